#include "core/io/run_dir.h"

#include <system_error>

#include "core/common/atomic_file.h"
#include "core/common/error.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {
constexpr uintmax_t kMaxRunJsonBytes = 16u << 20;

nlohmann::json parse_run_json(const fs::path& file) {
  std::error_code ec;
  const uintmax_t size = fs::file_size(file, ec);
  if (ec) throw IoError(file, "cannot stat: " + ec.message());
  if (size > kMaxRunJsonBytes)
    throw FormatError(file, "run.json is " + std::to_string(size) + " bytes (limit 16 MiB)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(file));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(file, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object()) throw FormatError(file, "not a JSON object");
  return j;
}

void make_dir(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) throw IoError(p, "cannot create directory: " + ec.message());
}
}  // namespace

RunDir RunDir::create(const fs::path& path) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    if (!fs::is_directory(path, ec)) throw InvalidArgument(path.string() + ": exists and is not a directory");
    if (fs::exists(path / "run.json", ec))
      throw InvalidArgument(path.string() +
                            ": already a run directory (resume it, or choose a new path)");
    if (!fs::is_empty(path, ec))
      throw InvalidArgument(path.string() + ": directory is not empty and is not a run directory");
  }
  RunDir run(path);
  make_dir(run.checkpoints_dir());
  make_dir(run.exports_dir());
  return run;
}

RunDir RunDir::open(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError(path, "no such run directory");
  if (!fs::is_directory(path, ec)) throw IoError(path, "not a directory");
  if (!fs::exists(path / "run.json", ec))
    throw FormatError(path, "not a run directory (no run.json)");
  parse_run_json(path / "run.json");
  return RunDir(path);
}

bool RunDir::is_run_dir(const fs::path& path) {
  try {
    open(path);
    return true;
  } catch (const Error&) {
    return false;
  }
}

void RunDir::write_run_json(const nlohmann::json& j) const {
  if (!j.is_object()) throw InvalidArgument(run_json_path().string() + ": run.json must be a JSON object");
  write_file_atomic(run_json_path(), j.dump(2) + "\n");
}

nlohmann::json RunDir::read_run_json() const { return parse_run_json(run_json_path()); }

}  // namespace omnisparse
