// The training panel against the scripted fake trainer: curves after a full run, the crash and
// signal paths (last stderr lines, Resume enabled), stop, resume, and re-opening a finished run.
#include <gtest/gtest.h>

#include <QFileInfo>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>

#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"
#include "widgets/qcp.h"
#include "widgets/training_history.h"
#include "widgets/training_panel.h"

using omnisparse::widgets::TrainingHistory;
using omnisparse::widgets::TrainingPanel;

namespace {

constexpr int kSteps = 12;

struct Fixture {
  omnisparse::test::TempDir dir{"omnisparse-gui"};
  QString run = QString::fromStdString((dir / "run").string());
  TrainingPanel panel;

  explicit Fixture(const QStringList& fake_args = {}) {
    if (!QFileInfo::exists(omnisparse::test::fake_trainer_path()))
      ADD_FAILURE() << "build the fake_trainer target first: " << omnisparse::test::fake_trainer_path().toStdString();
    panel.setTrainerCommand(omnisparse::test::fake_trainer_path(),
                            QStringList{"--interval-ms", "15"} + fake_args);
    panel.setRunDirectory(run);
    panel.setDataDirectory("/fake/corpus");
    panel.findChild<QSpinBox*>("budget")->setValue(kSteps);
  }
  bool runToEnd() {
    QSignalSpy finished(&panel, &TrainingPanel::trainerFinished);
    panel.launch();
    return omnisparse::test::wait_until([&] { return finished.count() == 1; });
  }
};

}  // namespace

TEST(TrainingPanel, ArgumentsFollowTheTrainCommandContract) {
  omnisparse::test::qt_app();
  Fixture f;
  const QStringList a = f.panel.trainArguments(/*resume=*/true);
  const int train = int(a.indexOf("train"));
  ASSERT_GT(train, 0);
  EXPECT_EQ(a[train - 1], "--json");  // the global flag goes before the subcommand
  EXPECT_EQ(a[a.indexOf("--steps") + 1], QString::number(kSteps));
  EXPECT_EQ(a[a.indexOf("--run") + 1], f.run);
  EXPECT_EQ(a[a.indexOf("--data") + 1], "/fake/corpus");
  EXPECT_EQ(a.last(), "--resume");
  EXPECT_FALSE(a.contains("--target-sparsity"));  // only gmp has a target
}

TEST(TrainingPanel, FinishedFakeRunShowsEveryLossPointAndFullProgress) {
  omnisparse::test::qt_app();
  Fixture f;
  ASSERT_TRUE(f.runToEnd());
  EXPECT_TRUE(f.panel.history().state() == TrainingHistory::State::Done);
  EXPECT_EQ(f.panel.lossPlot()->graph(0)->dataCount(), kSteps);
  EXPECT_EQ(f.panel.lossPlot()->graph(1)->dataCount(), kSteps);  // smoothed line
  EXPECT_EQ(f.panel.progressPercent(), 100);
  EXPECT_EQ(f.panel.werPlot()->graphCount(), 3);  // levels 0, 0.5, 0.9
  EXPECT_EQ(f.panel.werPlot()->graph(0)->dataCount(), kSteps / 5);  // evals at 5, 10
  EXPECT_FALSE(f.panel.canResume());
  EXPECT_FALSE(f.panel.findChild<QPushButton*>("resume")->isEnabled());
  EXPECT_TRUE(f.panel.findChild<QPushButton*>("launch")->isEnabled());
}

TEST(TrainingPanel, CrashShowsLastStderrLinesAndResumeFinishesTheRun) {
  omnisparse::test::qt_app();
  Fixture f({"--crash-at", "5"});
  QSignalSpy finished(&f.panel, &TrainingPanel::trainerFinished);
  ASSERT_TRUE(f.runToEnd());
  // The spy was attached before runToEnd's own spy: one signal, ok == false.
  ASSERT_EQ(finished.count(), 1);
  EXPECT_FALSE(finished[0][0].toBool());
  EXPECT_EQ(finished[0][1].toString(), "exited with code 3");
  EXPECT_TRUE(f.panel.messages().contains("error: training diverged at step 5"))
      << f.panel.messages().toStdString();
  EXPECT_TRUE(f.panel.messages().contains("rerun with --resume"));
  EXPECT_EQ(f.panel.lossPlot()->graph(0)->dataCount(), 5);
  EXPECT_TRUE(f.panel.canResume());
  EXPECT_TRUE(f.panel.findChild<QPushButton*>("resume")->isEnabled());

  f.panel.setTrainerCommand(omnisparse::test::fake_trainer_path(), {"--interval-ms", "15"});
  QSignalSpy again(&f.panel, &TrainingPanel::trainerFinished);
  f.panel.resume();
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return again.count() == 1; }));
  EXPECT_TRUE(again[0][0].toBool());
  EXPECT_EQ(f.panel.lossPlot()->graph(0)->dataCount(), kSteps);  // 5 before + 7 resumed
  EXPECT_EQ(f.panel.progressPercent(), 100);
}

TEST(TrainingPanel, KilledTrainerIsReportedAndStaysResumable) {
  omnisparse::test::qt_app();
  Fixture f({"--signal-at", "4"});
  QSignalSpy finished(&f.panel, &TrainingPanel::trainerFinished);
  ASSERT_TRUE(f.runToEnd());
  EXPECT_EQ(finished[0][1].toString(), "killed by a signal");
  EXPECT_EQ(f.panel.lossPlot()->graph(0)->dataCount(), 4);
  EXPECT_TRUE(f.panel.messages().contains("starting at step 1"));  // its last stderr line
  EXPECT_TRUE(f.panel.canResume());
}

TEST(TrainingPanel, StopEndsARunningTrainerAndLeavesItResumable) {
  omnisparse::test::qt_app();
  Fixture f;
  f.panel.findChild<QSpinBox*>("budget")->setValue(100000);
  QSignalSpy finished(&f.panel, &TrainingPanel::trainerFinished);
  f.panel.launch();
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return f.panel.history().step() >= 3; }));
  EXPECT_TRUE(f.panel.isTrainerRunning());
  f.panel.stop();
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return finished.count() == 1; }, 12000));
  EXPECT_FALSE(f.panel.isTrainerRunning());
  EXPECT_TRUE(f.panel.canResume());
}

TEST(TrainingPanel, OpeningAFinishedRunShowsTheSameCurves) {
  omnisparse::test::qt_app();
  Fixture f;
  ASSERT_TRUE(f.runToEnd());
  TrainingPanel viewer;  // a second window on the same run, no child process
  viewer.setRunDirectory(f.run);
  EXPECT_EQ(viewer.lossPlot()->graph(0)->dataCount(), kSteps);
  EXPECT_EQ(viewer.werPlot()->graphCount(), 3);
  EXPECT_EQ(viewer.progressPercent(), 100);
  EXPECT_EQ(viewer.findChild<QSpinBox*>("budget")->value(), kSteps);  // from run.json
}

TEST(TrainingHistory, AReplayedStepReplacesTheCurveFromThatStepOn) {
  TrainingHistory h;
  for (int s = 1; s <= 10; ++s) h.addEvent({{"type", "step"}, {"step", s}, {"loss", 10.0 - s}});
  h.addEvent({{"type", "step"}, {"step", 7}, {"loss", 0.5}});  // resumed from checkpoint 6
  ASSERT_EQ(h.loss().x.size(), 7);
  EXPECT_EQ(h.loss().x.last(), 7);
  EXPECT_EQ(h.loss().y.last(), 0.5);
  h.addEvent({{"type", "done"}, {"step", 7}});
  EXPECT_EQ(h.progress(), 1.0);
}
