// The hardened safetensors reader: every check that bounds memory or offsets runs on the
// header alone, before any tensor is allocated; values are checked after reading.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/common/error.h"
#include "core/io/file_manifest.h"
#include "core/io/safetensors.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

struct Entry {
  std::string name;
  at::ScalarType type;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

// Reads exactly n bytes at `offset`; false on a short read (file shrank under us).
bool pread_all(int fd, void* dst, uint64_t n, uint64_t offset) {
  char* p = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<uint64_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

Entry parse_entry(const fs::path& path, const std::string& name, const nlohmann::json& j) {
  auto bad = [&](const std::string& cause) {
    return FormatError(path, "tensor '" + name + "': " + cause);
  };
  if (!j.is_object()) throw bad("header entry is not a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
      throw bad("unknown header key '" + it.key() + "'");
  if (!j.contains("dtype") || !j["dtype"].is_string()) throw bad("missing string 'dtype'");
  if (!j.contains("shape") || !j["shape"].is_array()) throw bad("missing array 'shape'");
  if (!j.contains("data_offsets") || !j["data_offsets"].is_array() ||
      j["data_offsets"].size() != 2)
    throw bad("'data_offsets' is not an array [begin, end]");

  Entry e;
  e.name = name;
  const std::string dtype = j["dtype"].get<std::string>();
  if (!scalar_type_from_safetensors(dtype, &e.type))
    throw bad("unsupported dtype '" + dtype +
              "' (accepted: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
  uint64_t numel = 1;
  for (const auto& d : j["shape"]) {
    if (!d.is_number_unsigned()) throw bad("shape has a non-integer or negative dimension " + d.dump());
    const uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, v, &numel))
      throw bad("shape " + j["shape"].dump() + " overflows 64 bits");
    e.shape.push_back(static_cast<int64_t>(v));
  }
  for (const auto& o : j["data_offsets"])
    if (!o.is_number_unsigned()) throw bad("data_offsets has a non-integer or negative value " + o.dump());
  e.begin = j["data_offsets"][0].get<uint64_t>();
  e.end = j["data_offsets"][1].get<uint64_t>();
  if (e.end < e.begin)
    throw bad("data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
              "] end before they begin");
  uint64_t need = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(c10::elementSize(e.type)), &need))
    throw bad("shape " + shape_str(e.shape) + " overflows 64 bits");
  if (need != e.end - e.begin)
    throw bad("shape " + shape_str(e.shape) + " of " + dtype + " needs " + std::to_string(need) +
              " bytes but data_offsets span " + std::to_string(e.end - e.begin));
  return e;
}

void check_values(const fs::path& path, const Entry& e, const at::Tensor& t, bool check_finite) {
  if (t.numel() == 0) return;
  if (e.type == at::kBool) {
    const at::Tensor bad = t.view(at::kByte).flatten().gt(1);  // other bytes are UB as bool
    if (bad.any().item<bool>())
      throw FormatError(path, "tensor '" + e.name + "': BOOL byte other than 0/1 at flat index " +
                                  std::to_string(bad.nonzero()[0][0].item<int64_t>()));
  }
  if (check_finite && at::isFloatingType(e.type)) {
    const at::Tensor bad = at::isfinite(t).logical_not().flatten();
    const int64_t n = bad.sum().item<int64_t>();
    if (n > 0) {
      const int64_t i = bad.nonzero()[0][0].item<int64_t>();
      const double v = t.flatten()[i].item<double>();
      throw FormatError(path, "tensor '" + e.name + "' has " + std::to_string(n) +
                                  " non-finite values (first at flat index " + std::to_string(i) +
                                  ": " + (std::isnan(v) ? "NaN" : (v > 0 ? "+Inf" : "-Inf")) + ")");
    }
  }
}

}  // namespace

SafetensorsFile read_safetensors(const fs::path& path, const ReadLimits& limits) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    throw IoError(path, errno == ENOENT ? "no such file" : std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw IoError(path, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw FormatError(path, "not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < 8)
    throw FormatError(path, "file has " + std::to_string(size) +
                                " bytes, fewer than the 8-byte header length (truncated?)");
  uint64_t header_len = 0;  // little-endian on disk and on host
  if (!pread_all(fd.get(), &header_len, 8, 0)) throw FormatError(path, "cannot read the header length");
  if (header_len > size - 8)
    throw FormatError(path, "header claims " + std::to_string(header_len) +
                                " bytes but the file has " + std::to_string(size) +
                                " (truncated, or not a safetensors file)");
  if (header_len > limits.max_header_bytes)
    throw FormatError(path, "header claims " + std::to_string(header_len) +
                                " bytes, over the limit of " +
                                std::to_string(limits.max_header_bytes));
  if (limits.verify_manifest || limits.require_manifest)
    verify_manifest(path, limits.require_manifest);

  std::string text(header_len, '\0');
  if (!pread_all(fd.get(), text.data(), header_len, 8)) throw FormatError(path, "file shrank while reading the header");
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(path, std::string("header is not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object()) throw FormatError(path, "header is not a JSON object");

  SafetensorsFile out;
  out.path = path;
  std::vector<Entry> entries;
  const uint64_t data_size = size - 8 - header_len;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) throw FormatError(path, "__metadata__ is not a JSON object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string())
          throw FormatError(path, "__metadata__ value of '" + m.key() + "' is not a string");
        out.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    Entry e = parse_entry(path, it.key(), *it);
    if (e.end > data_size)
      throw FormatError(path, "tensor '" + e.name + "': data_offsets [" + std::to_string(e.begin) +
                                  ", " + std::to_string(e.end) + "] run past the data section (" +
                                  std::to_string(data_size) + " bytes)");
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (e.begin < cursor)
      throw FormatError(path, "tensor '" + e.name + "' [" + std::to_string(e.begin) + ", " +
                                  std::to_string(e.end) + ") overlaps tensor '" +
                                  entries[i - 1].name + "' (ends at " + std::to_string(cursor) + ")");
    if (e.begin > cursor)
      throw FormatError(path, "data bytes [" + std::to_string(cursor) + ", " +
                                  std::to_string(e.begin) + ") belong to no tensor (hole before '" +
                                  e.name + "')");
    cursor = e.end;
  }
  if (cursor != data_size)
    throw FormatError(path, "data section has " + std::to_string(data_size) +
                                " bytes but the tensors cover " + std::to_string(cursor));

  // Validated: total allocation == data_size <= file size.
  for (const Entry& e : entries) {
    at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(e.type));
    const uint64_t n = e.end - e.begin;
    if (n > 0 && !pread_all(fd.get(), t.data_ptr(), n, 8 + header_len + e.begin))
      throw FormatError(path, "file shrank while reading tensor '" + e.name + "'");
    check_values(path, e, t, limits.check_finite);
    out.tensors.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace omnisparse
