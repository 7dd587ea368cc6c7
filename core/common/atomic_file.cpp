#include "core/common/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "core/common/error.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

fs::path temp_sibling(const fs::path& path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  // fmt, not "." + std::string: GCC 12 warns falsely (-Wrestrict) on that at -O2.
  return path.parent_path() /
         fmt::format(".{}.tmp.{}.{}", path.filename().string(), ::getpid(), rng() % 1000000);
}

void fsync_path(const fs::path& p, bool directory) {
  int fd = ::open(p.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return;  // best effort for directories on odd filesystems
  ::fsync(fd);
  ::close(fd);
}

void ensure_parent(const fs::path& path) {
  fs::path parent = path.parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw IoError(parent, "cannot create directory: " + ec.message());
}

void commit(const fs::path& tmp, const fs::path& path) {
  fsync_path(tmp, false);
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw IoError(path, "cannot rename temporary file into place: " + ec.message());
  }
  fs::path parent = path.parent_path();
  fsync_path(parent.empty() ? fs::path(".") : parent, true);
}

}  // namespace

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  write_file_atomic(path, [&](std::ostream& out) { out.write(bytes.data(), bytes.size()); });
}

void write_file_atomic(const fs::path& path, const std::function<void(std::ostream&)>& writer) {
  write_path_atomic(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(tmp, std::string("cannot open for writing: ") + std::strerror(errno));
    writer(out);
    out.flush();
    if (!out) throw IoError(path, "write failed (disk full?)");
  });
}

void write_path_atomic(const fs::path& path,
                       const std::function<void(const fs::path& tmp)>& write) {
  ensure_parent(path);
  const fs::path tmp = temp_sibling(path);
  try {
    write(tmp);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  commit(tmp, path);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw IoError(path, "no such file");
    throw IoError(path, std::string("cannot open: ") + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace omnisparse
