// ChildJob (label gui): the owner of a running child may be destroyed at any moment (a dialog
// closed while its preview runs). The job stops the child and must not call back into the owner.
#include <gtest/gtest.h>

#include <QElapsedTimer>
#include <QObject>

#include <signal.h>

#include <memory>

#include "tests/widgets/qt_app.h"
#include "widgets/child_job.h"

namespace omnisparse::widgets {
namespace {

TEST(ChildJob, DestroyingARunningJobStopsTheChildAndReportsNothingToItsOwner) {
  test::qt_app();
  auto calls = std::make_shared<int>(0);
  QObject owner;
  qint64 pid = 0;
  QElapsedTimer clock;
  {
    ChildJob job;
    QObject::connect(&job, &ChildJob::finished, &owner, [calls](bool, const QString&) { ++*calls; });
    job.start("/bin/sh", {"-c", "exec sleep 30"});
    ASSERT_TRUE(test::wait_until([&] { return job.running(); }, 10000));
    pid = job.processId();
    ASSERT_GT(pid, 0);
    clock.start();
  }  // ~ChildJob: terminate, wait; its finished must not reach the (possibly half-destroyed) owner
  EXPECT_LT(clock.elapsed(), 5000);  // SIGTERM ends sleep at once; no 5 s grace wait
  EXPECT_EQ(*calls, 0);
  EXPECT_NE(::kill(static_cast<pid_t>(pid), 0), 0) << "the child outlived its job";
}

}  // namespace
}  // namespace omnisparse::widgets
