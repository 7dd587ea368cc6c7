#include "core/io/file_manifest.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <system_error>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/io/sha256.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {
constexpr uint64_t kMaxManifestBytes = 64 * 1024;  // a manifest is ~150 bytes

bool is_hex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
}  // namespace

fs::path manifest_path(const fs::path& file) {
  return fs::path(file.string() + ".sha256.json");
}

FileManifest write_manifest(const fs::path& file) {
  std::error_code ec;
  const uint64_t size = fs::file_size(file, ec);
  if (ec) throw IoError(file, "cannot stat: " + ec.message());
  FileManifest m{file.filename().string(), size, sha256_file(file)};
  nlohmann::json j = {{"file", m.file}, {"size", m.size}, {"sha256", m.sha256}};
  write_file_atomic(manifest_path(file), j.dump(2) + "\n");
  return m;
}

FileManifest read_manifest(const fs::path& manifest) {
  std::error_code ec;
  const uint64_t size = fs::file_size(manifest, ec);
  if (ec) throw IoError(manifest, "cannot stat: " + ec.message());
  if (size > kMaxManifestBytes)
    throw FormatError(manifest, "manifest is " + std::to_string(size) +
                                    " bytes; a valid one is under 64 KiB");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(manifest));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(manifest, std::string("manifest is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw FormatError(manifest, "manifest is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "file" && it.key() != "size" && it.key() != "sha256")
      throw FormatError(manifest, "manifest has unknown key '" + it.key() + "'");
  if (!j.contains("file") || !j["file"].is_string())
    throw FormatError(manifest, "manifest lacks string 'file'");
  if (!j.contains("size") || !j["size"].is_number_unsigned())
    throw FormatError(manifest, "manifest lacks non-negative integer 'size'");
  if (!j.contains("sha256") || !j["sha256"].is_string() ||
      !is_hex64(j["sha256"].get<std::string>()))
    throw FormatError(manifest, "manifest 'sha256' is not 64 lowercase hex digits");
  return {j["file"].get<std::string>(), j["size"].get<uint64_t>(),
          j["sha256"].get<std::string>()};
}

bool verify_manifest(const fs::path& file, bool required) {
  const fs::path mpath = manifest_path(file);
  std::error_code ec;
  if (!fs::exists(mpath, ec)) {
    if (required)
      throw FormatError(file, "no manifest " + mpath.filename().string() +
                                  " (required to check the file's SHA-256)");
    return false;
  }
  const FileManifest m = read_manifest(mpath);
  const uint64_t size = fs::file_size(file, ec);
  if (ec) throw IoError(file, "cannot stat: " + ec.message());
  if (m.size != size)
    throw FormatError(file, "size " + std::to_string(size) + " bytes differs from the manifest's " +
                                std::to_string(m.size) + " (truncated or replaced?)");
  const std::string actual = sha256_file(file);
  if (actual != m.sha256)
    throw FormatError(file, "SHA-256 " + actual + " differs from the manifest's " + m.sha256 +
                                " (file corrupted or modified)");
  return true;
}

}  // namespace omnisparse
