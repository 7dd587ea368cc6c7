// Bad exported models (issue 6, "Bad input"): each is refused with a FormatError that names the
// file and the cause; nothing crashes and nothing huge is allocated.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <fstream>

#include "core/common/atomic_file.h"
#include "core/io/file_manifest.h"
#include "core/io/h5_model_export.h"
#include "core/io/model_import.h"
#include "tests/io/model_export_test_util.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;
using test::format_error;

namespace {

void overwrite(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

void flip_byte(const fs::path& p, uint64_t at) {
  std::string s = read_file(p);
  s.at(at) = static_cast<char>(s[at] ^ 0x5a);
  overwrite(p, s);
}

at::Tensor& part(PackedModel& m, const std::string& name) {
  for (auto& [n, t] : m.tensors)
    if (n == name) return t;
  throw std::runtime_error("no part " + name);
}

// Writes a packed model after `edit` changed it (a well-formed container with bad content).
template <class Edit>
fs::path write_edited(const test::TempDir& dir, Edit&& edit) {
  PackedModel m = pack_model(test::small_payload());
  edit(m);
  const fs::path p = dir / "bad.safetensors";
  write_safetensors(p, m.tensors, m.metadata);
  return p;
}

std::string load_error(const fs::path& p) {
  return format_error([&] { read_model_safetensors(p); });
}

#define EXPECT_REFUSED(msg, path, cause)                       \
  do {                                                         \
    const std::string m_ = (msg);                              \
    EXPECT_NE(m_.find((path).string()), std::string::npos) << m_; \
    EXPECT_NE(m_.find(cause), std::string::npos) << m_;        \
  } while (0)

}  // namespace

TEST(ModelExportBadInput, TruncatedExportIsRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_model_safetensors(p, test::small_payload());
  const std::string bytes = read_file(p);
  fs::remove(manifest_path(p));  // no manifest: the structure alone must catch it
  overwrite(p, bytes.substr(0, bytes.size() - 10));
  EXPECT_REFUSED(load_error(p), p, "data section");
  overwrite(p, bytes.substr(0, 100));
  EXPECT_REFUSED(load_error(p), p, "header claims");
  const fs::path h = dir / "m.h5";
  write_model_h5(h, test::small_payload());
  const std::string hb = read_file(h);
  fs::remove(manifest_path(h));
  overwrite(h, hb.substr(0, hb.size() / 2));
  EXPECT_REFUSED(format_error([&] { read_model_h5(h); }), h, "");
}

TEST(ModelExportBadInput, FlippedDataAndHeaderBytesFailTheChecksum) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_model_safetensors(p, test::small_payload());
  const uint64_t size = fs::file_size(p);
  flip_byte(p, size - 3);  // inside the last tensor's data
  EXPECT_REFUSED(load_error(p), p, "SHA-256");
  write_model_safetensors(p, test::small_payload());
  flip_byte(p, 20);  // inside the JSON header
  EXPECT_REFUSED(load_error(p), p, "SHA-256");
  fs::remove(manifest_path(p));  // without a manifest the header itself is refused
  EXPECT_REFUSED(load_error(p), p, "");
}

TEST(ModelExportBadInput, HeaderClaimingTenGigabytesIsRefusedWithoutAllocating) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  std::string bytes(8, '\0');
  const uint64_t n = 10ull << 30;
  std::memcpy(bytes.data(), &n, 8);
  overwrite(p, bytes + "{}");
  EXPECT_REFUSED(load_error(p), p, "header claims 10737418240 bytes");
}

TEST(ModelExportBadInput, WrongDtypeForACsrPartIsRefused) {
  test::TempDir dir;
  auto p = write_edited(dir, [](PackedModel& m) {
    auto& c = part(m, "model.a.csr_col_idx");
    c = c.to(at::kLong);
  });
  EXPECT_REFUSED(load_error(p), p, "csr_col_idx has dtype Long, expected Int");
  p = write_edited(dir, [](PackedModel& m) {
    auto& v = part(m, "model.a.csr_values");
    v = v.to(at::kDouble);
  });
  EXPECT_REFUSED(load_error(p), p, "csr_values has dtype Double");
}

TEST(ModelExportBadInput, ColumnIndexOutOfRangeIsRefused) {
  test::TempDir dir;
  auto p = write_edited(dir, [](PackedModel& m) { part(m, "model.a.csr_col_idx")[0] = 5; });
  EXPECT_REFUSED(load_error(p), p, "column index 5 in row");
  p = write_edited(dir, [](PackedModel& m) { part(m, "model.a.csr_col_idx")[0] = -1; });
  EXPECT_REFUSED(load_error(p), p, "column index -1");
  p = write_edited(dir, [](PackedModel& m) { part(m, "model.b.bsr_col_idx")[0] = 2; });
  EXPECT_REFUSED(load_error(p), p, "column index 2 in row 0 is outside [0, 2)");
}

TEST(ModelExportBadInput, RowPointersNotMonotoneAreRefused) {
  test::TempDir dir;
  auto p = write_edited(dir, [](PackedModel& m) {
    auto& rp = part(m, "model.a.csr_row_ptr");
    rp[1] = rp[6].item<int32_t>();  // row 0 takes every entry; row 1 then ends before it starts
  });
  EXPECT_REFUSED(load_error(p), p, "row_ptr is not monotone");
  p = write_edited(dir, [](PackedModel& m) { part(m, "model.a.csr_row_ptr")[0] = 1; });
  EXPECT_REFUSED(load_error(p), p, "row_ptr[0] is 1");
  p = write_edited(dir, [](PackedModel& m) { part(m, "model.a.csr_row_ptr")[6] = 0; });
  EXPECT_REFUSED(load_error(p), p, "row_ptr ends at 0");
}

TEST(ModelExportBadInput, DuplicateColumnInARowIsRefused) {
  test::TempDir dir;
  const SparseParts good = pack_csr(test::small_payload().tensors[0].second,
                                    test::small_payload().layers[0].mask);
  const int32_t* rp = good.row_ptr.data_ptr<int32_t>();
  int64_t row = 0;
  while (rp[row + 1] - rp[row] < 2) ++row;  // a row with two entries
  auto p = write_edited(dir, [&](PackedModel& m) {
    auto& ci = part(m, "model.a.csr_col_idx");
    ci[rp[row] + 1] = ci[rp[row]].item<int32_t>();
  });
  EXPECT_REFUSED(load_error(p), p, "row " + std::to_string(row) + " has a column twice");
}

TEST(ModelExportBadInput, InconsistentStructureIsRefused) {
  test::TempDir dir;
  auto p = write_edited(dir, [](PackedModel& m) { m.tensors.emplace_back("model.a", at::zeros({6, 5})); });
  EXPECT_REFUSED(load_error(p), p, "stored both dense and sparse");
  p = write_edited(dir, [](PackedModel& m) {
    std::erase_if(m.tensors, [](const auto& t) { return t.first == "model.a.csr_values"; });
  });
  EXPECT_REFUSED(load_error(p), p, "missing tensor 'model.a.csr_values'");
  p = write_edited(dir, [](PackedModel& m) { m.tensors.emplace_back("model.z.csr_values", at::zeros({1})); });
  EXPECT_REFUSED(load_error(p), p, "sparse part 'model.z.csr_values' has no entry");
  p = write_edited(dir, [](PackedModel& m) { m.metadata[kFormatKey] = "pytorch"; });
  EXPECT_REFUSED(load_error(p), p, "not an omnisparse model export");
  p = write_edited(dir, [](PackedModel& m) { m.metadata[kFormatVersionKey] = "2"; });
  EXPECT_REFUSED(load_error(p), p, "version 2 is not supported");
  p = write_edited(dir, [](PackedModel& m) { m.metadata[kStorageKey] = "{not json"; });
  EXPECT_REFUSED(load_error(p), p, "storage map is not valid JSON");
  p = write_edited(dir, [](PackedModel& m) {
    auto s = nlohmann::json::parse(m.metadata[kStorageKey]);
    s["model.a"]["nnz"] = 1;
    m.metadata[kStorageKey] = s.dump();
  });
  EXPECT_REFUSED(load_error(p), p, "the storage map declares 1");
}

TEST(ModelExportBadInput, ForgedHugeShapeIsRefusedBeforeDensifying) {
  test::TempDir dir;
  auto p = write_edited(dir, [](PackedModel& m) {
    auto s = nlohmann::json::parse(m.metadata[kStorageKey]);
    s["model.a"]["shape"] = {6, 2000000000};  // 48 GB dense from a few bytes of CSR
    m.metadata[kStorageKey] = s.dump();
  });
  EXPECT_REFUSED(load_error(p), p, "above the loader's limit");
}

TEST(ModelExportBadInput, ManifestMismatchIsRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_model_safetensors(p, test::small_payload());
  auto j = nlohmann::json::parse(read_file(manifest_path(p)));
  j["sha256"] = std::string(64, 'a');
  write_file_atomic(manifest_path(p), j.dump());
  EXPECT_REFUSED(load_error(p), p, "SHA-256");
  const fs::path h = dir / "m.h5";
  write_model_h5(h, test::small_payload());
  write_file_atomic(manifest_path(h), j.dump());
  EXPECT_REFUSED(format_error([&] { read_model_h5(h); }), h, "");
}

TEST(ModelExportBadInput, Hdf5ExternalLinkIsRefused) {
  test::TempDir dir;
  const fs::path h = dir / "m.h5";
  write_model_h5(h, test::small_payload());
  fs::remove(manifest_path(h));
  {
    hid_t f = H5Fopen(h.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    ASSERT_GE(H5Lcreate_external("/etc/passwd.h5", "/secret", f, "model/leak", H5P_DEFAULT, H5P_DEFAULT), 0);
    H5Fclose(f);
  }
  EXPECT_REFUSED(format_error([&] { read_model_h5(h); }), h, "external link");
}

TEST(ModelExportBadInput, Hdf5WrongDtypeIsRefused) {
  test::TempDir dir;
  const fs::path h = dir / "m.h5";
  write_model_h5(h, test::small_payload());
  fs::remove(manifest_path(h));
  {
    hid_t f = H5Fopen(h.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(f, 0);
    ASSERT_GE(H5Ldelete(f, "model/a/col_idx", H5P_DEFAULT), 0);
    hsize_t n = 3;
    hid_t space = H5Screate_simple(1, &n, nullptr);
    hid_t d = H5Dcreate2(f, "model/a/col_idx", H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int64_t v[3] = {0, 1, 2};
    H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
    H5Dclose(d);
    H5Sclose(space);
    H5Fclose(f);
  }
  EXPECT_REFUSED(format_error([&] { read_model_h5(h); }), h, "is not F32 or I32");
}

TEST(ModelExportBadInput, PickleAndTorchScriptFilesAreNeverLoaded) {
  test::TempDir dir;
  const fs::path p = dir / "model.pt";
  // Adjacent literals end each hex escape ("\x00" "a"), and sizeof counts the bytes exactly.
  const char pickle[] = "\x80\x02}q\x00(X\x01\x00\x00\x00" "aq\x01K\x01u.";
  overwrite(p, std::string(pickle, sizeof(pickle) - 1));
  EXPECT_REFUSED(load_error(p), p, "Python pickle");
  const char zip[] = "PK\x03\x04\x00\x00\x08\x00\x00\x00" "archive/data.pkl";
  overwrite(p, std::string(zip, sizeof(zip) - 1));
  EXPECT_REFUSED(load_error(p), p, "zip archive");
}

}  // namespace omnisparse
