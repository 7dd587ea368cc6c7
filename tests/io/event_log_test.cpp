#include "core/io/event_log.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "tests/test_support.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {
void append_raw(const fs::path& p, const std::string& s) {
  std::ofstream(p, std::ios::binary | std::ios::app) << s;
}
}  // namespace

TEST(EventLog, AppendsOneObjectPerLineWithTypeTimeStep) {
  test::TempDir dir;
  const fs::path p = dir / "events.jsonl";
  const double t0 = unix_time_now();
  {
    EventLog log(p);
    log.append("step", 1, {{"loss", 2.5}, {"lr", 1e-3}, {"sparsities", {0.0, 0.9}}});
    log.append("eval", 1, {{"wer", 0.4}});
    // Flushed per event: a reader sees it while the log is still open.
    EXPECT_EQ(read_events(p).events.size(), 2u);
    log.append("done", 2);
  }
  EventRead r = read_events(p);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_TRUE(r.corrupt.empty());
  EXPECT_EQ(r.next_offset, fs::file_size(p));
  EXPECT_EQ(r.events[0]["type"], "step");
  EXPECT_EQ(r.events[0]["step"], 1);
  EXPECT_DOUBLE_EQ(r.events[0]["loss"].get<double>(), 2.5);
  EXPECT_EQ(r.events[0]["sparsities"][1], 0.9);
  EXPECT_EQ(r.events[2]["type"], "done");
  const double t = r.events[2]["time"].get<double>();
  EXPECT_GE(t, t0 - 0.002);
  EXPECT_LE(t, unix_time_now() + 0.002);
  // Nothing new: the same offset comes back.
  EventRead again = read_events(p, r.next_offset);
  EXPECT_TRUE(again.events.empty());
  EXPECT_EQ(again.next_offset, r.next_offset);
}

TEST(EventLog, ReservedFieldsAndNonObjectsAreRefused) {
  test::TempDir dir;
  EventLog log(dir / "e.jsonl");
  EXPECT_THROW(log.append("step", 1, {{"step", 3}}), InvalidArgument);
  EXPECT_THROW(log.append("step", 1, nlohmann::json::array()), InvalidArgument);
}

TEST(EventLog, PartialLastLineIsLeftUntilCompleted) {
  test::TempDir dir;
  const fs::path p = dir / "events.jsonl";
  append_raw(p, R"({"type":"step","time":1.5,"step":1})" "\n" R"({"type":"step","ti)");
  EventRead a = read_events(p);
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_TRUE(a.corrupt.empty());
  append_raw(p, R"(me":2.5,"step":2})" "\n");
  EventRead b = read_events(p, a.next_offset);
  ASSERT_EQ(b.events.size(), 1u);
  EXPECT_EQ(b.events[0]["step"], 2);
  EXPECT_TRUE(b.corrupt.empty());
}

TEST(EventLog, CorruptLinesAreSkippedAndReported) {
  test::TempDir dir;
  const fs::path p = dir / "events.jsonl";
  const std::string good1 = R"({"type":"step","time":1.0,"step":1})" "\n";
  const std::string bad = "{garbage\n";
  const std::string noStep = R"({"type":"step","time":1.0})" "\n";
  append_raw(p, good1 + bad + "\n" + noStep + R"({"type":"eval","time":2.0,"step":5})" "\n");
  EventRead r = read_events(p);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1]["type"], "eval");
  ASSERT_EQ(r.corrupt.size(), 2u);
  EXPECT_EQ(r.corrupt[0].offset, good1.size());
  EXPECT_EQ(r.corrupt[0].reason, "not valid JSON");
  EXPECT_EQ(r.corrupt[1].reason, "no integer 'step'");
}

TEST(EventLog, ReopeningAfterACrashMidLineKeepsTheNextEventIntact) {
  test::TempDir dir;
  const fs::path p = dir / "events.jsonl";
  append_raw(p, R"({"type":"step","time":1.0,"step":1})" "\n" R"({"type":"st)");  // killed
  {
    EventLog log(p);
    log.append("step", 2);
  }
  EventRead r = read_events(p);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[1]["step"], 2);
  EXPECT_EQ(r.corrupt.size(), 1u);
}

TEST(EventLog, MissingOrTruncatedFileRestartsTheReader) {
  test::TempDir dir;
  const fs::path p = dir / "events.jsonl";
  EventRead none = read_events(p);
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.next_offset, 0u);
  append_raw(p, R"({"type":"step","time":1.0,"step":9})" "\n");
  EventRead r = read_events(p, 10000);  // offset from an older, longer file
  EXPECT_TRUE(r.restarted);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0]["step"], 9);
}

TEST(EventLog, LineLongerThanTheReadLimitIsSkipped) {
  test::TempDir dir;
  const fs::path p = dir / "events.jsonl";
  append_raw(p, std::string(100, 'x') + "\n" + R"({"type":"step","time":1.0,"step":3})" "\n");
  uint64_t off = 0;
  std::vector<nlohmann::json> events;
  size_t corrupt = 0;
  for (int i = 0; i < 10 && off < fs::file_size(p); ++i) {
    EventRead r = read_events(p, off, 64);
    off = r.next_offset;
    events.insert(events.end(), r.events.begin(), r.events.end());
    corrupt += r.corrupt.size();
  }
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["step"], 3);
  EXPECT_EQ(corrupt, 2u);  // the first 64 bytes, then the rest of that line
}

}  // namespace omnisparse
