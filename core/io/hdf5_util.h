// Small, defensive helpers over the HDF5 C API (1.10) for files we write and files we did not:
// RAII handles, silencing HDF5's error-stack printing, refusing links and storage that reach
// outside the file, and reading 1-D/2-D datasets only after checking their class and shape.
// Every failure is an omnisparse error naming the file (FormatError for content, IoError for
// writes); HDF5 never prints to stderr from here.
//
//   h5::QuietErrors quiet;                              // per thread, restored on scope exit
//   h5::Handle f = h5::open_untrusted(path);            // FormatError if not a safe HDF5 file
//   auto ids = h5::read_strings(f, "subnets/id", path, -1);
//
// The Debian libhdf5 is built thread-safe; QuietErrors is per thread because HDF5's error
// reporting setting is per thread in such builds.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace omnisparse::h5 {

class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();  // closes by the id's type (file, group, dataset, space, type, plist, attr)

 private:
  hid_t id_ = -1;
};

class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// Opens read-only after H5Fis_hdf5, then walks every link: soft or external links, datasets
// with external storage (H5Pget_external_count > 0) or virtual layout -> FormatError.
Handle open_untrusted(const std::filesystem::path& path);
void check_tree(hid_t file, const std::filesystem::path& path);

// Shape of a dataset; FormatError if it is not simple or has more than 8 dimensions.
std::vector<uint64_t> dims(hid_t dset, const std::filesystem::path& path, const std::string& name);

// Readers: `name` relative to `loc`. `n` is the expected length (-1: any, up to max_n).
// FormatError if missing, of another class, or of another shape.
std::vector<std::string> read_strings(hid_t loc, const std::string& name,
                                      const std::filesystem::path& path, int64_t n,
                                      uint64_t max_n = 1u << 22);
std::vector<double> read_f64(hid_t loc, const std::string& name, const std::filesystem::path& path,
                             int64_t n);
std::vector<int64_t> read_i64(hid_t loc, const std::string& name, const std::filesystem::path& path,
                              int64_t n);
// [rows, cols] row-major.
std::vector<float> read_f32_2d(hid_t loc, const std::string& name, const std::filesystem::path& path,
                               uint64_t rows, uint64_t cols);
std::string read_string_attr(hid_t loc, const std::string& name, const std::filesystem::path& path);
int64_t read_i64_attr(hid_t loc, const std::string& name, const std::filesystem::path& path);

// Writers (contiguous layout). IoError naming `path` on failure.
void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& v,
                   const std::filesystem::path& path);
void write_f64(hid_t loc, const std::string& name, const std::vector<double>& v,
               const std::filesystem::path& path);
void write_i64(hid_t loc, const std::string& name, const std::vector<int64_t>& v,
               const std::filesystem::path& path);
void write_u8(hid_t loc, const std::string& name, const std::vector<uint8_t>& v,
              const std::filesystem::path& path);
void write_f32_2d(hid_t loc, const std::string& name, const std::vector<float>& v, uint64_t rows,
                  uint64_t cols, const std::filesystem::path& path);
void write_string_attr(hid_t loc, const std::string& name, const std::string& value,
                       const std::filesystem::path& path);
void write_i64_attr(hid_t loc, const std::string& name, int64_t value,
                    const std::filesystem::path& path);
Handle create_group(hid_t loc, const std::string& name, const std::filesystem::path& path);
// Child link names of a group, in name order (FormatError past max_n).
std::vector<std::string> list_group(hid_t group, const std::filesystem::path& path,
                                    uint64_t max_n = 1u << 16);

}  // namespace omnisparse::h5
