#include "core/io/safetensors.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/resource.h>

#include <cmath>
#include <fstream>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/io/file_manifest.h"
#include "core/io/sha256.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace safetensors_test {  // named: the unity build compiles this file with its siblings

// A safetensors file from a literal header and data, with no manifest: the bad inputs.
void write_raw(const fs::path& p, const std::string& header, const std::string& data) {
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  write_file_atomic(p, bytes + header + data);
}

// The message of the FormatError that reading `p` throws ("" if it does not throw one).
std::string read_error(const fs::path& p, ReadLimits limits = {}) {
  try {
    read_safetensors(p, limits);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

void flip_byte(const fs::path& p, uint64_t at) {
  std::string s = read_file(p);
  ASSERT_LT(at, s.size());
  s[at] = static_cast<char>(s[at] ^ 0x5a);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}

const std::string kF32x2 = std::string(8, '\0');  // two zero floats


TEST(Sha256, MatchesStandardVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  test::TempDir dir;
  write_file_atomic(dir / "a", std::string(3 << 20, 'a'));  // spans several 1 MiB pieces
  EXPECT_EQ(sha256_file(dir / "a"), sha256_hex(std::string(3 << 20, 'a')));
}

TEST(Safetensors, RoundTripsMixedDtypesShapesAndMetadata) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  NamedTensors in = {
      {"w", at::randn({3, 5})},
      {"d", at::randn({2, 2, 2}, at::kDouble)},
      {"h", at::randn({7}).to(at::kHalf)},
      {"bf", at::randn({4}).to(at::kBFloat16)},
      {"idx", at::arange(10, at::kLong).reshape({2, 5})},
      {"i32", at::arange(-3, 3, at::kInt)},
      {"i16", at::arange(5, at::kShort)},
      {"i8", at::arange(-4, 4, at::kChar)},
      {"u8", at::arange(250, 256, at::kInt).to(at::kByte)},
      {"mask", at::rand({3, 3}) > 0.5},
      {"scalar", at::scalar_tensor(3.5)},
      {"empty", at::empty({0, 4})},
      {"empty_long", at::empty({2, 0}, at::kLong)},
      {"strided", at::randn({4, 6}).t()},  // non-contiguous input
  };
  std::map<std::string, std::string> meta = {{"config", R"({"layers": 2})"}, {"note", "x\ny"}};
  write_safetensors(p, in, meta);
  ASSERT_TRUE(fs::exists(manifest_path(p)));

  SafetensorsFile f = read_safetensors(p, {.require_manifest = true});
  EXPECT_EQ(f.metadata, meta);
  ASSERT_EQ(f.tensors.size(), in.size());
  for (const auto& [name, t] : in) {
    SCOPED_TRACE(name);
    const at::Tensor& back = f.at(name);
    EXPECT_EQ(back.scalar_type(), t.scalar_type());
    EXPECT_EQ(back.sizes(), t.sizes());
    EXPECT_TRUE(back.equal(t));
  }
  EXPECT_EQ(f.at("scalar").dim(), 0);
  EXPECT_FALSE(f.has("nope"));
  EXPECT_THROW(f.at("nope"), FormatError);

  // Data starts 8-byte aligned, and each tensor is aligned to its element size.
  std::string bytes = read_file(p);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ((8 + n) % 8, 0u);
  auto header = nlohmann::json::parse(bytes.substr(8, n));
  for (const auto& [name, t] : in)
    EXPECT_EQ(header[name]["data_offsets"][0].get<uint64_t>() % t.element_size(), 0u) << name;
}

TEST(Safetensors, WriterRefusesDuplicateReservedAndUnsupported) {
  test::TempDir dir;
  EXPECT_THROW(write_safetensors(dir / "a", {{"x", at::ones(1)}, {"x", at::ones(1)}}), InvalidArgument);
  EXPECT_THROW(write_safetensors(dir / "a", {{"__metadata__", at::ones(1)}}), InvalidArgument);
  EXPECT_THROW(write_safetensors(dir / "a", {{"c", at::ones(2, at::kComplexFloat)}}), InvalidArgument);
  EXPECT_FALSE(fs::exists(dir / "a"));
}

TEST(Safetensors, TruncatedFileIsRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_safetensors(p, {{"w", at::randn({64, 64})}});
  const std::string full = read_file(p);
  write_file_atomic(p, full.substr(0, full.size() - 100));
  EXPECT_NE(read_error(p).find("differs from the manifest's " + std::to_string(full.size())),
            std::string::npos) << read_error(p);
  fs::remove(manifest_path(p));  // without a manifest the offsets catch it
  EXPECT_NE(read_error(p).find("data_offsets [0, 16384] run past the data section (16284 bytes)"),
            std::string::npos) << read_error(p);
  write_file_atomic(p, full.substr(0, 40));  // cut inside the header
  EXPECT_NE(read_error(p).find("but the file has 40"), std::string::npos) << read_error(p);
  write_file_atomic(p, full.substr(0, 5));
  EXPECT_NE(read_error(p).find("fewer than the 8-byte header length"), std::string::npos);
}

TEST(Safetensors, HeaderClaimingTenGigabytesIsRefusedWithoutAllocating) {
  test::TempDir dir;
  const fs::path p = dir / "big.safetensors";
  std::string bytes(2048, ' ');
  const uint64_t claim = 10ull << 30;
  std::memcpy(bytes.data(), &claim, 8);
  write_file_atomic(p, bytes);
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  EXPECT_NE(read_error(p).find("header claims 10737418240 bytes but the file has 2048"), std::string::npos)
      << read_error(p);
  getrusage(RUSAGE_SELF, &after);
  EXPECT_LT(after.ru_maxrss - before.ru_maxrss, 64 * 1024);  // KiB: nothing near 10 GB touched
  // Within the file but over the cap.
  write_raw(p, std::string(4096, ' '), "");
  EXPECT_NE(read_error(p, {.max_header_bytes = 1024}).find("over the limit of 1024"), std::string::npos);
}

TEST(Safetensors, FlippedHeaderByteGivesInvalidJson) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_safetensors(p, {{"w", at::randn({4})}});
  flip_byte(p, 8);  // the opening '{'
  EXPECT_NE(read_error(p, {.verify_manifest = false}).find("header is not valid JSON"), std::string::npos);
  // With its manifest, the same damage is caught by the checksum first.
  EXPECT_NE(read_error(p).find("SHA-256"), std::string::npos) << read_error(p);
}

TEST(Safetensors, FlippedDataByteIsCaughtByManifest) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_safetensors(p, {{"w", at::arange(100, at::kInt)}});
  flip_byte(p, fs::file_size(p) - 3);
  const std::string e = read_error(p);
  EXPECT_NE(e.find("differs from the manifest's"), std::string::npos) << e;
  EXPECT_NE(e.find("m.safetensors"), std::string::npos) << e;
  // Without the check the file parses (ints have no invalid values): the manifest is what catches it.
  EXPECT_EQ(read_error(p, {.verify_manifest = false}), "");
}

TEST(Safetensors, ManifestMissingOrWrongIsRefusedWhenRequired) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_safetensors(p, {{"w", at::randn({4})}});
  const std::string good = read_file(manifest_path(p));
  auto m = nlohmann::json::parse(good);
  m["size"] = m["size"].get<uint64_t>() + 1;
  write_file_atomic(manifest_path(p), m.dump());
  EXPECT_NE(read_error(p).find("differs from the manifest's"), std::string::npos);
  write_file_atomic(manifest_path(p), "{\"file\": 3}");
  EXPECT_NE(read_error(p).find("manifest lacks string 'file'"), std::string::npos) << read_error(p);
  fs::remove(manifest_path(p));
  EXPECT_EQ(read_error(p), "");  // optional by default
  EXPECT_NE(read_error(p, {.require_manifest = true}).find("no manifest"), std::string::npos);
}

TEST(Safetensors, UnknownDtypeIsRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_raw(p, R"({"x":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}})", kF32x2);
  EXPECT_NE(read_error(p).find("tensor 'x': unsupported dtype 'Q4'"), std::string::npos) << read_error(p);
  write_raw(p, R"({"x":{"dtype":"U16","shape":[4],"data_offsets":[0,8]}})", kF32x2);
  EXPECT_NE(read_error(p).find("unsupported dtype 'U16'"), std::string::npos);
}

TEST(Safetensors, ShapeSpanMismatchIsRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_raw(p, R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kF32x2);
  EXPECT_NE(read_error(p).find("shape [3] of F32 needs 12 bytes but data_offsets span 8"), std::string::npos)
      << read_error(p);
  write_raw(p, R"({"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kF32x2);
  EXPECT_NE(read_error(p).find("negative dimension -2"), std::string::npos) << read_error(p);
  write_raw(p, R"({"x":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", kF32x2);
  EXPECT_NE(read_error(p).find("overflows 64 bits"), std::string::npos) << read_error(p);
}

TEST(Safetensors, OverlappingOffsetsAreRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_raw(p,
            R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
            std::string(12, '\0'));
  EXPECT_NE(read_error(p).find("tensor 'b' [4, 12) overlaps tensor 'a'"), std::string::npos) << read_error(p);
}

TEST(Safetensors, OffsetsOutOfRangeOrLeavingHolesAreRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_raw(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[1000000,1000008]}})", kF32x2);
  EXPECT_NE(read_error(p).find("run past the data section (8 bytes)"), std::string::npos) << read_error(p);
  write_raw(p, R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", kF32x2);
  EXPECT_NE(read_error(p).find("data bytes [0, 4) belong to no tensor"), std::string::npos) << read_error(p);
  write_raw(p, R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", kF32x2);
  EXPECT_NE(read_error(p).find("data section has 8 bytes but the tensors cover 4"), std::string::npos);
  write_raw(p, R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", kF32x2);
  EXPECT_NE(read_error(p).find("end before they begin"), std::string::npos) << read_error(p);
}

TEST(Safetensors, MalformedHeaderEntriesAreRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_raw(p, R"([1, 2])", "");
  EXPECT_NE(read_error(p).find("header is not a JSON object"), std::string::npos);
  write_raw(p, R"({"__metadata__":{"k":3}})", "");
  EXPECT_NE(read_error(p).find("__metadata__ value of 'k' is not a string"), std::string::npos);
  write_raw(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}})", kF32x2);
  EXPECT_NE(read_error(p).find("unknown header key 'extra'"), std::string::npos);
  write_raw(p, R"({"a":{"dtype":"F32","shape":[2]}})", kF32x2);
  EXPECT_NE(read_error(p).find("'data_offsets' is not an array"), std::string::npos);
}

TEST(Safetensors, NonFiniteValuesAreRefusedUnlessAllowed) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  at::Tensor w = at::zeros({10});
  w[7] = std::nan("");
  w[8] = INFINITY;
  write_safetensors(p, {{"ok", at::ones(3)}, {"w", w}});
  const std::string e = read_error(p);
  EXPECT_NE(e.find("tensor 'w' has 2 non-finite values (first at flat index 7: NaN)"), std::string::npos) << e;
  SafetensorsFile f = read_safetensors(p, {.check_finite = false});
  EXPECT_TRUE(std::isnan(f.at("w")[7].item<float>()));
}

TEST(Safetensors, BoolBytesOtherThanZeroOrOneAreRefused) {
  test::TempDir dir;
  const fs::path p = dir / "m.safetensors";
  write_raw(p, R"({"m":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}})" "     ",
            std::string("\x01\x00\x07", 3));
  EXPECT_NE(read_error(p).find("BOOL byte other than 0/1 at flat index 2"), std::string::npos) << read_error(p);
}

TEST(Safetensors, MissingFileIsAnIoErrorNamingIt) {
  test::TempDir dir;
  try {
    read_safetensors(dir / "none.safetensors");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("none.safetensors: no such file"), std::string::npos);
  }
}

}  // namespace safetensors_test

}  // namespace omnisparse
