#include "core/io/hdf5_util.h"

#include <algorithm>

#include "core/common/error.h"

namespace omnisparse::h5 {
namespace fs = std::filesystem;

void Handle::reset() {
  if (id_ < 0) return;
  switch (H5Iget_type(id_)) {
    case H5I_FILE: H5Fclose(id_); break;
    case H5I_GROUP: H5Gclose(id_); break;
    case H5I_DATASET: H5Dclose(id_); break;
    case H5I_DATASPACE: H5Sclose(id_); break;
    case H5I_DATATYPE: H5Tclose(id_); break;
    case H5I_GENPROP_LST: H5Pclose(id_); break;
    case H5I_ATTR: H5Aclose(id_); break;
    default: break;
  }
  id_ = -1;
}

QuietErrors::QuietErrors() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}
QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

namespace {

struct VisitState {
  const fs::path* path;
  std::string error;
  uint64_t count = 0;
};

herr_t visit_link(hid_t group, const char* name, const H5L_info_t* info, void* op) {
  auto* st = static_cast<VisitState*>(op);
  if (++st->count > (1u << 20)) {
    st->error = "more than 1048576 links";
    return 1;
  }
  if (info->type != H5L_TYPE_HARD) {
    st->error = std::string("'") + name + "' is a " +
                (info->type == H5L_TYPE_SOFT ? "soft" : info->type == H5L_TYPE_EXTERNAL ? "external" : "user-defined") +
                " link (refused: only hard links are read from files we did not write)";
    return 1;
  }
  H5O_info_t oinfo;
  if (H5Oget_info_by_name(group, name, &oinfo, H5P_DEFAULT) < 0) {
    st->error = std::string("cannot read object '") + name + "'";
    return 1;
  }
  if (oinfo.type == H5O_TYPE_DATASET) {
    Handle d(H5Dopen2(group, name, H5P_DEFAULT));
    Handle dcpl(d.valid() ? H5Dget_create_plist(d) : -1);
    if (!dcpl.valid()) {
      st->error = std::string("cannot open dataset '") + name + "'";
      return 1;
    }
    if (H5Pget_external_count(dcpl) != 0) {
      st->error = std::string("dataset '") + name + "' uses external storage (refused)";
      return 1;
    }
    if (H5Pget_layout(dcpl) == H5D_VIRTUAL) {
      st->error = std::string("dataset '") + name + "' is a virtual dataset (refused)";
      return 1;
    }
  }
  return 0;
}

FormatError bad(const fs::path& path, const std::string& cause) { return FormatError(path, cause); }

Handle open_dataset(hid_t loc, const std::string& name, const fs::path& path) {
  if (H5Lexists(loc, name.c_str(), H5P_DEFAULT) <= 0) throw bad(path, "missing dataset '" + name + "'");
  Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!d.valid()) throw bad(path, "'" + name + "' is not a readable dataset");
  return d;
}

void expect_class(hid_t d, H5T_class_t want, const fs::path& path, const std::string& name, const char* what) {
  Handle t(H5Dget_type(d));
  if (!t.valid() || H5Tget_class(t) != want) throw bad(path, "dataset '" + name + "' is not " + what);
}

// Checks a dataset is 1-D with length n (or any length up to max_n when n < 0); returns it.
uint64_t expect_1d(hid_t d, const fs::path& path, const std::string& name, int64_t n, uint64_t max_n) {
  const auto dd = dims(d, path, name);
  if (dd.size() != 1) throw bad(path, "dataset '" + name + "' is not 1-D");
  if (n >= 0 && dd[0] != static_cast<uint64_t>(n))
    throw bad(path, "dataset '" + name + "' has " + std::to_string(dd[0]) + " entries, expected " +
                        std::to_string(n));
  if (dd[0] > max_n) throw bad(path, "dataset '" + name + "' has " + std::to_string(dd[0]) + " entries (limit " + std::to_string(max_n) + ")");
  return dd[0];
}

template <class T>
std::vector<T> read_numeric(hid_t loc, const std::string& name, const fs::path& path, int64_t n,
                            H5T_class_t cls, hid_t memtype, const char* what) {
  Handle d = open_dataset(loc, name, path);
  expect_class(d, cls, path, name, what);
  std::vector<T> out(expect_1d(d, path, name, n, 1u << 22));
  if (!out.empty() && H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw bad(path, "cannot read dataset '" + name + "' (corrupt?)");
  return out;
}

IoError write_failed(const fs::path& path, const std::string& name) {
  return IoError(path, "HDF5 cannot write '" + name + "'");
}

template <class T>
void write_numeric(hid_t loc, const std::string& name, const T* data, std::vector<hsize_t> shape,
                   hid_t filetype, hid_t memtype, const fs::path& path) {
  Handle space(H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr));
  Handle d(space.valid() ? H5Dcreate2(loc, name.c_str(), filetype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1);
  if (!d.valid()) throw write_failed(path, name);
  hsize_t total = 1;
  for (auto s : shape) total *= s;
  if (total > 0 && H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
    throw write_failed(path, name);
}

Handle vl_string_type() {
  Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

}  // namespace

Handle open_untrusted(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError(path, "no such file");
  if (H5Fis_hdf5(path.c_str()) <= 0)
    throw bad(path, "not an HDF5 file (or truncated: no valid superblock)");
  Handle f(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT));
  if (!f.valid()) throw bad(path, "cannot open as HDF5 (truncated or corrupt)");
  check_tree(f, path);
  return f;
}

void check_tree(hid_t file, const fs::path& path) {
  VisitState st{&path, {}, 0};
  const herr_t r = H5Lvisit(file, H5_INDEX_NAME, H5_ITER_NATIVE, visit_link, &st);
  if (!st.error.empty()) throw bad(path, st.error);
  if (r < 0) throw bad(path, "cannot walk the HDF5 object tree (truncated or corrupt)");
}

std::vector<uint64_t> dims(hid_t dset, const fs::path& path, const std::string& name) {
  Handle space(H5Dget_space(dset));
  if (!space.valid()) throw bad(path, "cannot read the shape of '" + name + "'");
  const H5S_class_t cls = H5Sget_simple_extent_type(space);
  if (cls == H5S_SCALAR) return {};
  if (cls != H5S_SIMPLE) throw bad(path, "dataset '" + name + "' has no simple shape");
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > 8) throw bad(path, "dataset '" + name + "' has rank " + std::to_string(rank));
  std::vector<hsize_t> d(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space, d.data(), nullptr);
  return std::vector<uint64_t>(d.begin(), d.end());
}

std::vector<std::string> read_strings(hid_t loc, const std::string& name, const fs::path& path,
                                      int64_t n, uint64_t max_n) {
  Handle d = open_dataset(loc, name, path);
  Handle ft(H5Dget_type(d));
  if (!ft.valid() || H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0)
    throw bad(path, "dataset '" + name + "' is not variable-length strings");
  const uint64_t len = expect_1d(d, path, name, n, max_n);
  std::vector<char*> raw(len, nullptr);
  std::vector<std::string> out(len);
  if (len == 0) return out;
  Handle mt = vl_string_type();
  if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw.data()) < 0)
    throw bad(path, "cannot read dataset '" + name + "' (corrupt?)");
  for (uint64_t i = 0; i < len; ++i) out[i] = raw[i] ? raw[i] : "";
  Handle space(H5Dget_space(d));
  H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw.data());
  return out;
}

std::vector<double> read_f64(hid_t loc, const std::string& name, const fs::path& path, int64_t n) {
  return read_numeric<double>(loc, name, path, n, H5T_FLOAT, H5T_NATIVE_DOUBLE, "floating point");
}

std::vector<int64_t> read_i64(hid_t loc, const std::string& name, const fs::path& path, int64_t n) {
  return read_numeric<int64_t>(loc, name, path, n, H5T_INTEGER, H5T_NATIVE_INT64, "integer");
}

std::vector<float> read_f32_2d(hid_t loc, const std::string& name, const fs::path& path, uint64_t rows,
                               uint64_t cols) {
  Handle d = open_dataset(loc, name, path);
  expect_class(d, H5T_FLOAT, path, name, "floating point");
  const auto dd = dims(d, path, name);
  if (dd.size() != 2 || dd[0] != rows || dd[1] != cols)
    throw bad(path, "dataset '" + name + "' is not [" + std::to_string(rows) + ", " + std::to_string(cols) + "]");
  std::vector<float> out(rows * cols);
  if (!out.empty() && H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0)
    throw bad(path, "cannot read dataset '" + name + "' (corrupt?)");
  return out;
}

std::string read_string_attr(hid_t loc, const std::string& name, const fs::path& path) {
  if (H5Aexists(loc, name.c_str()) <= 0) throw bad(path, "missing attribute '" + name + "'");
  Handle a(H5Aopen(loc, name.c_str(), H5P_DEFAULT));
  Handle ft(a.valid() ? H5Aget_type(a) : -1);
  Handle space(a.valid() ? H5Aget_space(a) : -1);
  if (!ft.valid() || H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) <= 0 || !space.valid() ||
      H5Sget_simple_extent_npoints(space) != 1)
    throw bad(path, "attribute '" + name + "' is not one variable-length string");
  Handle mt = vl_string_type();
  char* raw = nullptr;
  if (H5Aread(a, mt, &raw) < 0) throw bad(path, "cannot read attribute '" + name + "'");
  std::string out = raw ? raw : "";
  H5Dvlen_reclaim(mt, space, H5P_DEFAULT, &raw);
  return out;
}

int64_t read_i64_attr(hid_t loc, const std::string& name, const fs::path& path) {
  if (H5Aexists(loc, name.c_str()) <= 0) throw bad(path, "missing attribute '" + name + "'");
  Handle a(H5Aopen(loc, name.c_str(), H5P_DEFAULT));
  Handle ft(a.valid() ? H5Aget_type(a) : -1);
  Handle space(a.valid() ? H5Aget_space(a) : -1);
  if (!ft.valid() || H5Tget_class(ft) != H5T_INTEGER || !space.valid() || H5Sget_simple_extent_npoints(space) != 1)
    throw bad(path, "attribute '" + name + "' is not one integer");
  int64_t v = 0;
  if (H5Aread(a, H5T_NATIVE_INT64, &v) < 0) throw bad(path, "cannot read attribute '" + name + "'");
  return v;
}

void write_strings(hid_t loc, const std::string& name, const std::vector<std::string>& v, const fs::path& path) {
  std::vector<const char*> ptrs;
  for (const auto& s : v) ptrs.push_back(s.c_str());
  Handle t = vl_string_type();
  write_numeric(loc, name, ptrs.data(), {v.size()}, t, t, path);
}

void write_f64(hid_t loc, const std::string& name, const std::vector<double>& v, const fs::path& path) {
  write_numeric(loc, name, v.data(), {v.size()}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, path);
}

void write_i64(hid_t loc, const std::string& name, const std::vector<int64_t>& v, const fs::path& path) {
  write_numeric(loc, name, v.data(), {v.size()}, H5T_STD_I64LE, H5T_NATIVE_INT64, path);
}

void write_u8(hid_t loc, const std::string& name, const std::vector<uint8_t>& v, const fs::path& path) {
  write_numeric(loc, name, v.data(), {v.size()}, H5T_STD_U8LE, H5T_NATIVE_UINT8, path);
}

void write_f32_2d(hid_t loc, const std::string& name, const std::vector<float>& v, uint64_t rows,
                  uint64_t cols, const fs::path& path) {
  write_numeric(loc, name, v.data(), {rows, cols}, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, path);
}

void write_string_attr(hid_t loc, const std::string& name, const std::string& value, const fs::path& path) {
  Handle t = vl_string_type();
  Handle space(H5Screate(H5S_SCALAR));
  Handle a(H5Acreate2(loc, name.c_str(), t, space, H5P_DEFAULT, H5P_DEFAULT));
  const char* p = value.c_str();
  if (!a.valid() || H5Awrite(a, t, &p) < 0) throw write_failed(path, "@" + name);
}

void write_i64_attr(hid_t loc, const std::string& name, int64_t value, const fs::path& path) {
  Handle space(H5Screate(H5S_SCALAR));
  Handle a(H5Acreate2(loc, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT));
  if (!a.valid() || H5Awrite(a, H5T_NATIVE_INT64, &value) < 0) throw write_failed(path, "@" + name);
}

Handle create_group(hid_t loc, const std::string& name, const fs::path& path) {
  Handle g(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (!g.valid()) throw write_failed(path, name);
  return g;
}

namespace {
struct ListState {
  std::vector<std::string> names;
  uint64_t max_n;
};
herr_t list_cb(hid_t, const char* name, const H5L_info_t*, void* op) {
  auto* st = static_cast<ListState*>(op);
  if (st->names.size() >= st->max_n) return 1;
  st->names.emplace_back(name);
  return 0;
}
}  // namespace

std::vector<std::string> list_group(hid_t group, const fs::path& path, uint64_t max_n) {
  ListState st{{}, max_n};
  hsize_t idx = 0;
  const herr_t r = H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &idx, list_cb, &st);
  if (r < 0) throw bad(path, "cannot list a group (corrupt?)");
  if (r > 0) throw bad(path, "a group has more than " + std::to_string(max_n) + " members");
  return st.names;
}

}  // namespace omnisparse::h5
