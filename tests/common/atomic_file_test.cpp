#include "core/common/atomic_file.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/common/error.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

TEST(AtomicFile, WritesAndReadsBack) {
  test::TempDir dir;
  write_file_atomic(dir / "a/b/c.txt", "hello");
  EXPECT_EQ(read_file(dir / "a/b/c.txt"), "hello");
}

TEST(AtomicFile, FailedWriterLeavesOldFileAndNoTemporary) {
  test::TempDir dir;
  write_file_atomic(dir / "f", "old");
  EXPECT_THROW(write_file_atomic(dir / "f",
                                 [](std::ostream& out) {
                                   out << "half";
                                   throw std::runtime_error("killed");
                                 }),
               std::runtime_error);
  EXPECT_EQ(read_file(dir / "f"), "old");
  int files = 0;
  for (auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, MissingFileErrorNamesThePath) {
  test::TempDir dir;
  try {
    read_file(dir / "nope.json");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("nope.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("no such file"), std::string::npos);
  }
}

}  // namespace omnisparse
