// safetensors files: our own writer and a hardened reader (weights only; nothing executes).
//
// Layout: 8-byte little-endian header length N, N bytes of JSON header
//   {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//    "__metadata__": {"<key>": "<string value>", ...}}
// (padded with spaces so the data starts 8-byte aligned), then the raw little-endian data;
// offsets are relative to the start of the data section. Files are compatible with the
// reference `safetensors` Python/Rust library in both directions.
//
//   write_safetensors("m.safetensors", {{"w", w}, {"b", b}}, {{"config", cfg.dump()}});
//   SafetensorsFile f = read_safetensors("m.safetensors");   // FormatError if anything is off
//   at::Tensor w = f.at("w");
//
// The writer sorts tensors by element size (largest first), then by name, exactly like the
// reference library: the data section then has no holes and every tensor is aligned to its own
// element size. It writes atomically and then a sidecar SHA-256 manifest (file_manifest.h).
//
// The reader validates everything before it allocates tensor memory: file size, header size
// cap, JSON structure, dtype whitelist, shape x element size == byte span, offsets ordered,
// in range, non-overlapping and covering the data section exactly, the manifest's SHA-256
// (when present, or always with `require_manifest`); then reads and checks values (finite
// floats, 0/1 booleans). Every failure is a FormatError naming the file and the exact cause.
// Thread-safe: no shared state.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace omnisparse {

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

struct ReadLimits {
  uint64_t max_header_bytes = 100ull << 20;  // the reference library's cap (100 MB)
  bool check_finite = true;                  // refuse NaN/Inf in floating tensors
  bool verify_manifest = true;               // check `<file>.sha256.json` when it exists
  bool require_manifest = false;             // refuse files without a manifest
};

struct SafetensorsFile {
  NamedTensors tensors;  // CPU, contiguous, in file (offset) order
  std::map<std::string, std::string> metadata;

  bool has(const std::string& name) const;
  // Throws FormatError(path, "no tensor named ...") when absent.
  const at::Tensor& at(const std::string& name) const;
  std::filesystem::path path;
};

// Dtypes written and read: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL.
// Throws InvalidArgument for an unsupported dtype, a duplicate or reserved name
// ("__metadata__"), IoError when the file cannot be written. Also writes the manifest.
void write_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata = {});

SafetensorsFile read_safetensors(const std::filesystem::path& path, const ReadLimits& limits = {});

// The safetensors dtype name for a LibTorch dtype ("F32" for kFloat); InvalidArgument if none.
std::string safetensors_dtype(at::ScalarType t);
// The LibTorch dtype for a safetensors dtype name; false when it is not on the whitelist.
bool scalar_type_from_safetensors(const std::string& dtype, at::ScalarType* out);

}  // namespace omnisparse
