#include "core/io/checkpoint_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/io/file_manifest.h"
#include "core/io/run_dir.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {
NamedTensors weights(float v) { return {{"w", at::full({4, 4}, v)}, {"b", at::full({4}, -v)}}; }

void corrupt_tail(const fs::path& p) {
  std::string s = read_file(p);
  s[s.size() - 1] ^= 0x7f;
  std::ofstream(p, std::ios::binary | std::ios::trunc) << s;
}
}  // namespace

TEST(CheckpointStore, PointerNamesTheNewestCompleteCheckpoint) {
  test::TempDir dir;
  RunDir run = RunDir::create(dir / "run");
  CheckpointStore store = run.checkpoints(/*keep_last=*/3);
  EXPECT_FALSE(store.latest().has_value());
  store.save(100, weights(1), {{"state", R"({"step":100})"}});
  const auto t_file = fs::last_write_time(store.path_for(100));
  const auto t_ptr = fs::last_write_time(store.pointer_path());
  EXPECT_LE(t_file, t_ptr);  // the pointer is written after the file
  EXPECT_TRUE(fs::exists(manifest_path(store.path_for(100))));
  EXPECT_EQ(read_file(store.pointer_path()), "ckpt-100.safetensors\n");
  store.save(200, weights(2));
  auto c = store.load_latest();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->ref.step, 200);
  EXPECT_TRUE(c->ref.skipped.empty());
  EXPECT_TRUE(c->file.at("w").equal(at::full({4, 4}, 2.f)));
  EXPECT_EQ(run.latest_checkpoint()->step, 200);
}

TEST(CheckpointStore, CorruptOrMissingPointerFallsBackToNewestValidFile) {
  test::TempDir dir;
  CheckpointStore store(dir / "ckpt", 5);
  store.save(100, weights(1));
  store.save(200, weights(2));
  store.save(300, weights(3));
  write_file_atomic(store.pointer_path(), "../../etc/passwd\n");
  auto c = store.load_latest();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->ref.step, 300);
  ASSERT_EQ(c->ref.skipped.size(), 1u);
  EXPECT_NE(c->ref.skipped[0].find("pointer 'latest' is corrupt"), std::string::npos);

  // The newest file damaged (its manifest catches it) and the pointer gone: step 200.
  corrupt_tail(store.path_for(300));
  fs::remove(store.pointer_path());
  c = store.load_latest();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->ref.step, 200);
  EXPECT_TRUE(c->file.at("b").equal(at::full({4}, -2.f)));
  ASSERT_EQ(c->ref.skipped.size(), 2u);
  EXPECT_NE(c->ref.skipped[1].find("ckpt-300.safetensors"), std::string::npos);

  // A pointer to a corrupt file is passed over too.
  write_file_atomic(store.pointer_path(), "ckpt-300.safetensors\n");
  EXPECT_EQ(store.latest()->step, 200);

  // A pointer that cannot be read (here a directory) is reported with the reason.
  fs::remove(store.pointer_path());
  fs::create_directory(store.pointer_path());
  c = store.load_latest();
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->ref.step, 200);
  ASSERT_GE(c->ref.skipped.size(), 1u);
  EXPECT_EQ(c->ref.skipped[0].rfind("pointer 'latest' is unreadable (", 0), 0u) << c->ref.skipped[0];
  EXPECT_NE(c->ref.skipped[0].find("directory"), std::string::npos) << c->ref.skipped[0];
}

TEST(CheckpointStore, KeepsTheLastNAndDropsAbandonedFutureAndTemporaries) {
  test::TempDir dir;
  CheckpointStore store(dir / "ckpt", 2);
  for (int s : {10, 20, 30, 40}) store.save(s, weights(static_cast<float>(s)));
  EXPECT_EQ(store.steps(), (std::vector<int64_t>{30, 40}));
  EXPECT_FALSE(fs::exists(manifest_path(store.path_for(10))));
  write_file_atomic(dir / "ckpt/.ckpt-50.safetensors.tmp.123.4", "half");  // crashed writer
  store.save(35, weights(35));  // resumed from 30: 40 is an abandoned future
  EXPECT_EQ(store.steps(), (std::vector<int64_t>{30, 35}));
  EXPECT_FALSE(fs::exists(dir / "ckpt/.ckpt-50.safetensors.tmp.123.4"));
  EXPECT_EQ(store.latest()->step, 35);
  EXPECT_THROW(CheckpointStore(dir / "x", 0), InvalidArgument);
}

TEST(CheckpointStore, NoValidCheckpointGivesNothing) {
  test::TempDir dir;
  CheckpointStore store(dir / "ckpt", 2);
  store.save(1, weights(1));
  corrupt_tail(store.path_for(1));
  auto c = store.load_latest();
  EXPECT_FALSE(c.has_value());
}

}  // namespace omnisparse
