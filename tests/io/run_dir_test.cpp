#include "core/io/run_dir.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

TEST(RunDir, CreateMakesLayoutAndOpenReadsRunJson) {
  test::TempDir dir;
  RunDir run = RunDir::create(dir / "run");
  EXPECT_TRUE(fs::is_directory(dir / "run/checkpoints"));
  EXPECT_TRUE(fs::is_directory(dir / "run/exports"));
  EXPECT_EQ(run.results_path(), dir / "run/results.h5");
  EXPECT_EQ(run.events_path(), dir / "run/events.jsonl");
  EXPECT_FALSE(RunDir::is_run_dir(dir / "run"));  // no run.json yet
  run.write_run_json({{"mode", "omni"}, {"seed", 7}});
  RunDir again = RunDir::open(dir / "run");
  EXPECT_EQ(again.read_run_json()["seed"], 7);
  EXPECT_TRUE(RunDir::is_run_dir(dir / "run"));
}

TEST(RunDir, CreateRefusesExistingRunAndNonEmptyDirectories) {
  test::TempDir dir;
  RunDir::create(dir / "run").write_run_json({{"mode", "dense"}});
  EXPECT_THROW(RunDir::create(dir / "run"), InvalidArgument);
  write_file_atomic(dir / "other/file.txt", "x");
  EXPECT_THROW(RunDir::create(dir / "other"), InvalidArgument);
  fs::create_directories(dir / "empty");
  EXPECT_NO_THROW(RunDir::create(dir / "empty"));
}

TEST(RunDir, OpenGivesClearErrorsForNonRunDirectories) {
  test::TempDir dir;
  try {
    RunDir::open(dir / "missing");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no such run directory"), std::string::npos);
  }
  fs::create_directories(dir / "plain");
  try {
    RunDir::open(dir / "plain");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("not a run directory (no run.json)"), std::string::npos);
  }
  write_file_atomic(dir / "bad/run.json", "{\"mode\": ");
  try {
    RunDir::open(dir / "bad");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("run.json: not valid JSON"), std::string::npos) << e.what();
  }
  write_file_atomic(dir / "arr/run.json", "[1]");
  EXPECT_THROW(RunDir::open(dir / "arr"), FormatError);
}

}  // namespace omnisparse
