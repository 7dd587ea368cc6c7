// Sidecar manifest for exported files and checkpoints: `<file>.sha256.json` next to `<file>`,
//   {"file": "model.safetensors", "size": 123456, "sha256": "<64 lowercase hex>"}
// so that a copy damaged in transit (or on disk) is refused instead of half-loaded, and so that
// `sha256sum` users can check it by hand.
//
//   write_manifest("run/exports/m.safetensors");            // after the file is complete
//   verify_manifest("run/exports/m.safetensors", true);     // FormatError if absent or wrong
//
// The manifest is written atomically after the file; a crash in between leaves a file without
// a manifest (accepted unless the caller requires one), never a manifest for a different file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace omnisparse {

struct FileManifest {
  std::string file;  // file name (no directory), as it was written
  uint64_t size = 0;
  std::string sha256;  // lowercase hex
};

std::filesystem::path manifest_path(const std::filesystem::path& file);

// Hashes `file` as it is now and writes its manifest atomically. Returns what was written.
FileManifest write_manifest(const std::filesystem::path& file);

// Reads and validates a manifest (size-capped, strict keys). Throws FormatError naming it.
FileManifest read_manifest(const std::filesystem::path& manifest);

// Checks `file` against its manifest. Returns false when there is no manifest and it is not
// `required`; true when it matches. Throws FormatError (naming `file`) on any mismatch, or when
// a required manifest is missing.
bool verify_manifest(const std::filesystem::path& file, bool required);

}  // namespace omnisparse
