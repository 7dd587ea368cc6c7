// The dtype table and the writer. The reader is in safetensors_reader.cpp.
#include <bit>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/io/file_manifest.h"
#include "core/io/safetensors.h"

namespace omnisparse {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; big-endian hosts would need byte swapping");

namespace {

struct DtypeName {
  at::ScalarType type;
  const char* name;
};

// The whitelist. U16/U32/U64 and F8 exist in the format but have no LibTorch 1.13 dtype.
constexpr DtypeName kDtypes[] = {
    {at::kDouble, "F64"}, {at::kFloat, "F32"}, {at::kHalf, "F16"}, {at::kBFloat16, "BF16"},
    {at::kLong, "I64"},   {at::kInt, "I32"},   {at::kShort, "I16"}, {at::kChar, "I8"},
    {at::kByte, "U8"},    {at::kBool, "BOOL"},
};

}  // namespace

std::string safetensors_dtype(at::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.name;
  throw InvalidArgument(std::string("safetensors: unsupported tensor dtype ") + c10::toString(t));
}

bool scalar_type_from_safetensors(const std::string& dtype, at::ScalarType* out) {
  for (const auto& d : kDtypes)
    if (dtype == d.name) {
      *out = d.type;
      return true;
    }
  return false;
}

bool SafetensorsFile::has(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return true;
  return false;
}

const at::Tensor& SafetensorsFile::at(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  throw FormatError(path, "no tensor named '" + name + "'");
}

void write_safetensors(const std::filesystem::path& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  struct Item {
    std::string name;
    at::Tensor t;  // CPU, contiguous
    std::string dtype;
  };
  std::vector<Item> items;
  std::set<std::string> names;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__")
      throw InvalidArgument(path.string() + ": tensor name '__metadata__' is reserved");
    if (!names.insert(name).second)
      throw InvalidArgument(path.string() + ": duplicate tensor name '" + name + "'");
    if (!t.defined()) throw InvalidArgument(path.string() + ": tensor '" + name + "' is undefined");
    items.push_back({name, t.detach().to(at::kCPU).contiguous(), safetensors_dtype(t.scalar_type())});
  }
  // Largest element size first, then by name: no padding between tensors, and each tensor is
  // aligned to its element size because the data section starts 8-byte aligned.
  std::stable_sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.t.element_size() != b.t.element_size()) return a.t.element_size() > b.t.element_size();
    return a.name < b.name;
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& it : items) {
    const uint64_t bytes = it.t.nbytes();
    header[it.name] = {{"dtype", it.dtype},
                       {"shape", it.t.sizes().vec()},
                       {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');  // data section starts 8-byte aligned

  write_file_atomic(path, [&](std::ostream& out) {
    const uint64_t n = text.size();  // little-endian host (static_assert above)
    out.write(reinterpret_cast<const char*>(&n), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& it : items)
      if (it.t.nbytes() > 0)
        out.write(static_cast<const char*>(it.t.data_ptr()),
                  static_cast<std::streamsize>(it.t.nbytes()));
  });
  write_manifest(path);
}

}  // namespace omnisparse
