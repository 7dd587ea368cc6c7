// EventTail: complete lines only, byte offsets, appended lines picked up, odd input survived.
#include <gtest/gtest.h>

#include <QFile>

#include <cmath>
#include <QSignalSpy>

#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"
#include "widgets/facade/event_tail.h"

using omnisparse::widgets::EventTail;

namespace {

void append(const QString& path, const QByteArray& bytes) {
  QFile f(path);
  ASSERT_TRUE(f.open(QIODevice::Append));
  f.write(bytes);
  f.flush();
}

}  // namespace

TEST(EventTail, ParsesCompleteLinesOnlyAndWaitsForTheRestOfAPartialLine) {
  omnisparse::test::qt_app();
  omnisparse::test::TempDir dir;
  const QString path = QString::fromStdString((dir / "events.jsonl").string());
  const QByteArray l1 = R"({"type":"start","time":1.0,"step":0})" "\n";
  const QByteArray l2 = R"({"type":"step","time":2.0,"step":1,"loss":2.5})" "\n";
  append(path, l1 + l2 + R"({"type":"step","time":3.0,"st)");

  EventTail tail;
  QList<QJsonObject> got;
  QObject::connect(&tail, &EventTail::eventsRead, [&](const QList<QJsonObject>& e) { got += e; });
  tail.setPath(path);
  ASSERT_EQ(got.size(), 2);
  EXPECT_EQ(got[1].value("loss").toDouble(), 2.5);
  EXPECT_EQ(tail.offset(), l1.size() + l2.size());  // the partial line is not consumed

  append(path, R"(ep":2,"loss":2.0})" "\n");
  EXPECT_EQ(tail.poll(), 1);
  ASSERT_EQ(got.size(), 3);
  EXPECT_EQ(got[2].value("step").toInt(), 2);
  EXPECT_EQ(got[2].value("loss").toDouble(), 2.0);
  EXPECT_EQ(tail.poll(), 0);  // nothing new: nothing emitted twice
  EXPECT_EQ(got.size(), 3);
}

TEST(EventTail, PicksUpAppendedLinesWithoutBeingPolled) {
  omnisparse::test::qt_app();
  omnisparse::test::TempDir dir;
  const QString path = QString::fromStdString((dir / "events.jsonl").string());
  EventTail tail;  // the file does not exist yet: the directory watch and the timer cover it
  tail.setPollInterval(100);
  int steps = 0;
  QObject::connect(&tail, &EventTail::eventsRead, [&](const QList<QJsonObject>& e) {
    for (const auto& o : e) steps += o.value("type").toString() == "step";
  });
  tail.setPath(path);
  for (int i = 1; i <= 5; ++i)
    append(path, QString(R"({"type":"step","time":%1,"step":%1,"loss":1.0})" "\n").arg(i).toUtf8());
  EXPECT_TRUE(omnisparse::test::wait_until([&] { return steps == 5; }, 5000)) << steps;
}

// The contract's rules (core/io/event_log.h): an object with string type, numeric time, integer
// step; anything else is counted, never shown; a blank line is not an error.
TEST(EventTail, SkipsMalformedLinesAndKeepsUnknownTypes) {
  omnisparse::test::qt_app();
  omnisparse::test::TempDir dir;
  const QString path = QString::fromStdString((dir / "events.jsonl").string());
  append(path, "not json\n\n{\"no_type\":1}\n{\"type\":\"future_kind\",\"time\":1,\"step\":0,\"x\":1}\n[1,2]\n"
               "{\"type\":\"step\",\"step\":3}\n{\"type\":\"step\",\"time\":\"2023-11-14T22:13:20Z\",\"step\":3}\n");
  EventTail tail;
  QList<QJsonObject> got;
  QObject::connect(&tail, &EventTail::eventsRead, [&](const QList<QJsonObject>& e) { got += e; });
  tail.setPath(path);
  ASSERT_EQ(got.size(), 1);
  EXPECT_EQ(got[0].value("type").toString(), "future_kind");
  EXPECT_EQ(got[0].value("x").toInt(), 1);
  EXPECT_EQ(tail.malformedLines(), 5);  // the blank line is not an error

  QJsonObject e;  // a line of the trainer's --json stdout goes through the same rule
  EXPECT_TRUE(EventTail::parseLine(R"({"type":"eval","time":2.5,"step":4,"wer":0.25})", &e));
  EXPECT_EQ(e.value("wer").toDouble(), 0.25);
  EXPECT_FALSE(EventTail::parseLine(R"({"type":"eval","step":4})", &e));
  EXPECT_FALSE(EventTail::parseLine("train: 2 workers x 1 thread", &e));
}

TEST(EventTail, ATruncatedFileIsReadAgainFromTheStart) {
  omnisparse::test::qt_app();
  omnisparse::test::TempDir dir;
  const QString path = QString::fromStdString((dir / "events.jsonl").string());
  append(path, R"({"type":"step","time":1,"step":1,"loss":3.0})" "\n" R"({"type":"step","time":2,"step":2,"loss":2.0})" "\n");
  EventTail tail;
  QSignalSpy resets(&tail, &EventTail::reset);
  QList<QJsonObject> got;
  QObject::connect(&tail, &EventTail::eventsRead, [&](const QList<QJsonObject>& e) { got += e; });
  tail.setPath(path);
  ASSERT_EQ(got.size(), 2);
  QFile f(path);
  ASSERT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate));  // a fresh launch
  f.write(R"({"type":"start","time":3,"step":0})" "\n");
  f.close();
  EXPECT_EQ(tail.poll(), 1);
  EXPECT_EQ(resets.count(), 1);
  EXPECT_EQ(got.last().value("type").toString(), "start");
}
