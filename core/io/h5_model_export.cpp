#include "core/io/h5_model_export.h"

#include <climits>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/io/file_manifest.h"
#include "core/io/hdf5_util.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

constexpr const char* kH5Prefix = "model.";
constexpr const char* kSparseParts[] = {"values", "col_idx", "row_ptr"};

void write_tensor(hid_t loc, const std::string& name, const at::Tensor& t, const fs::path& path) {
  const at::Tensor c = t.to(at::kCPU).contiguous();
  hid_t file_type, mem_type;
  if (c.scalar_type() == at::kFloat) file_type = H5T_IEEE_F32LE, mem_type = H5T_NATIVE_FLOAT;
  else if (c.scalar_type() == at::kInt) file_type = H5T_STD_I32LE, mem_type = H5T_NATIVE_INT32;
  else throw InvalidArgument(path.string() + ": tensor '" + name + "' is neither F32 nor I32");
  std::vector<hsize_t> shape(c.sizes().begin(), c.sizes().end());
  h5::Handle space(c.dim() == 0 ? H5Screate(H5S_SCALAR)
                                : H5Screate_simple(c.dim(), shape.data(), nullptr));
  h5::Handle d(space.valid() ? H5Dcreate2(loc, name.c_str(), file_type, space, H5P_DEFAULT,
                                          H5P_DEFAULT, H5P_DEFAULT)
                             : -1);
  if (!d.valid() || (c.numel() > 0 && H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                               c.data_ptr()) < 0))
    throw IoError(path, "HDF5 cannot write '" + name + "'");
}

// A dataset as a tensor, after checking its class, size and storage. `budget` is the number of
// bytes the file can still account for (each dataset's bytes are really in the file).
at::Tensor read_tensor(hid_t loc, const std::string& name, const fs::path& path, uint64_t& budget) {
  h5::Handle d(H5Dopen2(loc, name.c_str(), H5P_DEFAULT));
  if (!d.valid()) throw FormatError(path, "'" + name + "' is not a readable dataset");
  h5::Handle type(H5Dget_type(d));
  const H5T_class_t cls = type.valid() ? H5Tget_class(type) : H5T_NO_CLASS;
  const size_t size = type.valid() ? H5Tget_size(type) : 0;
  at::ScalarType st;
  hid_t mem_type;
  if (cls == H5T_FLOAT && size == 4) st = at::kFloat, mem_type = H5T_NATIVE_FLOAT;
  else if (cls == H5T_INTEGER && size == 4 && H5Tget_sign(type) == H5T_SGN_2)
    st = at::kInt, mem_type = H5T_NATIVE_INT32;
  else throw FormatError(path, "dataset '" + name + "' is not F32 or I32 (HDF5 class " +
                                   std::to_string(cls) + ", " + std::to_string(size) + " bytes)");
  const std::vector<uint64_t> dims = h5::dims(d, path, name);
  std::vector<int64_t> shape;
  uint64_t numel = 1;
  for (uint64_t v : dims) {
    if (v > INT64_MAX || __builtin_mul_overflow(numel, v, &numel))
      throw FormatError(path, "dataset '" + name + "' has an impossible shape");
    shape.push_back(static_cast<int64_t>(v));
  }
  const uint64_t bytes = numel * 4;
  if (bytes > budget)
    throw FormatError(path, "dataset '" + name + "' claims " + std::to_string(bytes) +
                                " bytes, more than the file holds");
  if (H5Dget_storage_size(d) != bytes)
    throw FormatError(path, "dataset '" + name + "' stores " + std::to_string(H5Dget_storage_size(d)) +
                                " bytes for " + std::to_string(bytes) +
                                " bytes of data (compressed, filled or truncated: refused)");
  budget -= bytes;
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(st));
  if (numel > 0 && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data_ptr()) < 0)
    throw FormatError(path, "cannot read dataset '" + name + "' (truncated or corrupt?)");
  return t;
}

herr_t collect_attr(hid_t, const char* name, const H5A_info_t*, void* op) {
  auto* names = static_cast<std::vector<std::string>*>(op);
  if (names->size() >= 4096) return 1;
  names->emplace_back(name);
  return 0;
}

}  // namespace

void write_model_h5(const fs::path& path, const ModelPayload& payload) {
  const PackedModel p = pack_model(payload);
  h5::QuietErrors quiet;
  write_path_atomic(path, [&](const fs::path& tmp) {
    h5::Handle f(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
    if (!f.valid()) throw IoError(tmp, "HDF5 cannot create the file");
    {
      h5::Handle meta = h5::create_group(f, "metadata", path);
      for (const auto& [k, v] : p.metadata) h5::write_string_attr(meta, k, v, path);
    }
    h5::Handle model = h5::create_group(f, "model", path);
    for (const auto& [name, t] : p.tensors) {
      if (!name.starts_with(kH5Prefix))
        throw InvalidArgument(path.string() + ": tensor '" + name + "' is not named model.<param>");
      std::string key = name.substr(6);
      std::string part;
      for (const char* kind : {".csr_", ".bsr_"})
        for (const char* suffix : kSparseParts)
          if (key.ends_with(std::string(kind) + suffix)) {
            part = suffix;
            key = key.substr(0, key.size() - part.size() - 5);
            if (H5Lexists(model, key.c_str(), H5P_DEFAULT) <= 0) {
              h5::Handle g = h5::create_group(model, key, path);
              h5::write_string_attr(g, "format", std::string(kind).substr(1, 3), path);
            }
          }
      if (part.empty()) {
        write_tensor(model, key, t, path);
      } else {
        h5::Handle g(H5Gopen2(model, key.c_str(), H5P_DEFAULT));
        write_tensor(g, part, t, path);
      }
    }
  });
  write_manifest(path);
}

StoredModel read_model_h5(const fs::path& path, const ImportLimits& limits, bool require_manifest) {
  h5::QuietErrors quiet;
  verify_manifest(path, require_manifest);
  std::error_code ec;
  uint64_t budget = fs::file_size(path, ec);
  if (ec) throw IoError(path, "cannot stat: " + ec.message());
  h5::Handle f = h5::open_untrusted(path);

  std::map<std::string, std::string> metadata;
  if (H5Lexists(f, "metadata", H5P_DEFAULT) <= 0) throw FormatError(path, "no /metadata group");
  h5::Handle meta(H5Gopen2(f, "metadata", H5P_DEFAULT));
  if (!meta.valid()) throw FormatError(path, "/metadata is not a group");
  std::vector<std::string> keys;
  if (H5Aiterate2(meta, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attr, &keys) != 0)
    throw FormatError(path, "cannot list the /metadata attributes (corrupt, or over 4096)");
  for (const auto& k : keys) metadata[k] = h5::read_string_attr(meta, k, path);

  if (H5Lexists(f, "model", H5P_DEFAULT) <= 0) throw FormatError(path, "no /model group");
  h5::Handle model(H5Gopen2(f, "model", H5P_DEFAULT));
  if (!model.valid()) throw FormatError(path, "/model is not a group");
  NamedTensors stored;
  for (const auto& key : h5::list_group(model, path)) {
    H5O_info_t info;
    if (H5Oget_info_by_name(model, key.c_str(), &info, H5P_DEFAULT) < 0)
      throw FormatError(path, "cannot read /model/" + key);
    if (info.type == H5O_TYPE_DATASET) {
      stored.emplace_back(kH5Prefix + key, read_tensor(model, key, path, budget));
      continue;
    }
    if (info.type != H5O_TYPE_GROUP) throw FormatError(path, "/model/" + key + " is neither a dataset nor a group");
    h5::Handle g(H5Gopen2(model, key.c_str(), H5P_DEFAULT));
    const std::string fmt = h5::read_string_attr(g, "format", path);
    if (fmt != "csr" && fmt != "bsr")
      throw FormatError(path, "/model/" + key + " has format '" + fmt + "' (csr or bsr)");
    const auto members = h5::list_group(g, path, 16);
    if (members.size() != 3)
      throw FormatError(path, "/model/" + key + " has " + std::to_string(members.size()) +
                                  " members, expected values, col_idx, row_ptr");
    for (const char* part : kSparseParts) {
      if (H5Lexists(g, part, H5P_DEFAULT) <= 0)
        throw FormatError(path, "/model/" + key + " has no '" + part + "'");
      stored.emplace_back(kH5Prefix + key + "." + fmt + "_" + part,
                          read_tensor(g, part, path, budget));
    }
  }
  for (const auto& [name, t] : stored)
    if (t.scalar_type() == at::kFloat && t.numel() > 0 && !at::isfinite(t).all().item<bool>())
      throw FormatError(path, "tensor '" + name + "' has non-finite values");
  return unpack_model(stored, metadata, path, limits);
}

}  // namespace omnisparse
