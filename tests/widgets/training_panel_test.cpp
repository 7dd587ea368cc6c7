// The training panel against the scripted fake trainer: curves after a full run, the crash and
// signal paths (last stderr lines, Resume enabled), stop, resume, and re-opening a finished run;
// the parent and supernet fields of the form (flags, run.json round trip, the sandwich rule's
// k >= 2), the cost with the parent in the status line, and the mask-overlap plot; the workers
// field (`--workers auto|N`), the workers / backend / total samples/s in the status line, Stop
// as SIGTERM to a launcher and a lost worker's error event as the run's error.
#include <gtest/gtest.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileInfo>
#include <QGroupBox>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>

#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"
#include "widgets/qcp.h"
#include "widgets/training_curves.h"
#include "widgets/training_history.h"
#include "widgets/training_panel.h"

using omnisparse::widgets::TrainingCurves;
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
  template <typename T>
  T* field(const char* name) const {
    T* w = panel.findChild<T*>(name);
    EXPECT_NE(w, nullptr) << name;
    return w;
  }
  void setMode(const QString& mode) const {
    auto* box = field<QComboBox>("mode");
    box->setCurrentIndex(box->findData(mode));
  }
  void setDistribution(const QString& rule) const {
    auto* box = field<QComboBox>("distribution");
    box->setCurrentIndex(box->findData(rule));
  }
};

// The value after `flag` in `args`, or "(absent)".
QString flag_value(const QStringList& args, const QString& flag) {
  const qsizetype i = args.indexOf(flag);
  return i >= 0 && i + 1 < args.size() ? args[i + 1] : QString("(absent)");
}

void write_file(const QString& path, const QByteArray& text) {
  QDir().mkpath(QFileInfo(path).absolutePath());
  QFile f(path);
  ASSERT_TRUE(f.open(QIODevice::WriteOnly | QIODevice::Truncate)) << path.toStdString();
  f.write(text);
}

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

TEST(TrainingPanel, ParentAndSupernetFieldsBecomeTrainFlags) {
  omnisparse::test::qt_app();
  Fixture f;
  f.setMode("omni");
  f.field<QLineEdit>("init_from")->setText("/runs/dense-15min");
  f.setDistribution("space");
  f.field<QSpinBox>("members_per_step")->setValue(3);
  f.field<QDoubleSpinBox>("p_dense")->setValue(0.35);
  f.field<QDoubleSpinBox>("distill_weight")->setValue(0.5);
  f.field<QDoubleSpinBox>("freeze_at")->setValue(0.7);
  f.field<QDoubleSpinBox>("shared_grad")->setValue(0.25);
  f.field<QDoubleSpinBox>("ramp_end")->setValue(0.45);
  f.field<QCheckBox>("follow_ramp")->setChecked(true);
  const QStringList a = f.panel.trainArguments(false);
  EXPECT_EQ(flag_value(a, "--init-from"), "/runs/dense-15min");
  EXPECT_EQ(flag_value(a, "--members"), "3");
  EXPECT_EQ(flag_value(a, "--distribution"), "space");
  EXPECT_EQ(flag_value(a, "--p-dense"), "0.35");
  EXPECT_EQ(flag_value(a, "--distill"), "0.5");
  EXPECT_EQ(flag_value(a, "--freeze-at"), "0.7");
  EXPECT_EQ(flag_value(a, "--shared-grad"), "0.25");
  EXPECT_EQ(flag_value(a, "--ramp-end"), "0.45");
  EXPECT_TRUE(a.contains("--follow-ramp"));
  EXPECT_FALSE(a.contains("--no-follow-ramp"));
  EXPECT_GT(a.indexOf("--members"), a.indexOf("train"));  // subcommand flags after "train"

  // The supernet flags belong to omni mode; the parent to every mode.
  for (const QString mode : {"dense", "gmp"}) {
    f.setMode(mode);
    const QStringList b = f.panel.trainArguments(false);
    EXPECT_EQ(flag_value(b, "--init-from"), "/runs/dense-15min") << mode.toStdString();
    for (const char* flag :
         {"--members", "--distribution", "--p-dense", "--distill", "--freeze-at", "--shared-grad",
          "--ramp-end", "--follow-ramp", "--no-follow-ramp"})
      EXPECT_FALSE(b.contains(flag)) << mode.toStdString() << " " << flag;
  }
  f.field<QLineEdit>("init_from")->clear();
  EXPECT_FALSE(f.panel.trainArguments(false).contains("--init-from"));
}

TEST(TrainingPanel, DefaultsAreTheCoreDefaults) {
  omnisparse::test::qt_app();
  Fixture f;
  f.setMode("omni");
  const QStringList a = f.panel.trainArguments(false);
  EXPECT_EQ(flag_value(a, "--members"), "1");
  EXPECT_EQ(flag_value(a, "--distribution"), "levels");
  EXPECT_EQ(flag_value(a, "--p-dense"), "0.2");
  EXPECT_EQ(flag_value(a, "--distill"), "0");
  EXPECT_EQ(flag_value(a, "--freeze-at"), "0.5");
  EXPECT_EQ(flag_value(a, "--shared-grad"), "1");
  EXPECT_EQ(flag_value(a, "--ramp-end"), "0.5");
  EXPECT_TRUE(a.contains("--follow-ramp"));
  EXPECT_FALSE(a.contains("--init-from"));
}

TEST(TrainingPanel, SupernetGroupIsEnabledOnlyInOmniMode) {
  omnisparse::test::qt_app();
  Fixture f;
  auto* group = f.field<QGroupBox>("omni_group");
  f.setMode("omni");
  EXPECT_TRUE(group->isEnabled());
  EXPECT_TRUE(f.field<QSpinBox>("members_per_step")->isEnabled());
  f.setMode("dense");
  EXPECT_FALSE(group->isEnabled());
  EXPECT_FALSE(f.field<QSpinBox>("members_per_step")->isEnabled());
  EXPECT_TRUE(f.field<QLineEdit>("init_from")->isEnabled());  // a parent suits every mode
  f.setMode("gmp");
  EXPECT_FALSE(group->isEnabled());
  f.setMode("omni");
  EXPECT_TRUE(group->isEnabled());
  TrainingPanel no_run;  // nothing to train into: the form is read-only
  EXPECT_FALSE(no_run.findChild<QGroupBox*>("omni_group")->isEnabled());
  EXPECT_FALSE(no_run.findChild<QLineEdit*>("init_from")->isEnabled());
}

TEST(TrainingPanel, SandwichRuleNeverLaunchesWithFewerThanTwoMembers) {
  omnisparse::test::qt_app();
  Fixture f;
  f.setMode("omni");
  auto* members = f.field<QSpinBox>("members_per_step");
  members->setValue(1);
  f.setDistribution("sandwich");
  EXPECT_EQ(members->minimum(), 2);
  EXPECT_EQ(members->value(), 2);  // raised, not left invalid
  members->setValue(1);
  EXPECT_EQ(members->value(), 2);
  EXPECT_EQ(flag_value(f.panel.trainArguments(false), "--members"), "2");
  EXPECT_FALSE(f.field<QDoubleSpinBox>("p_dense")->isEnabled());  // sandwich has no p_dense
  EXPECT_FALSE(f.field<QCheckBox>("follow_ramp")->isEnabled());  // the core refuses it there
  EXPECT_TRUE(f.panel.trainArguments(false).contains("--no-follow-ramp"));
  f.setDistribution("levels");
  EXPECT_EQ(members->minimum(), 1);
  members->setValue(1);
  EXPECT_EQ(flag_value(f.panel.trainArguments(false), "--members"), "1");
  EXPECT_TRUE(f.field<QDoubleSpinBox>("p_dense")->isEnabled());
}

TEST(TrainingPanel, RunConfigFillsTheParentAndSupernetFields) {
  omnisparse::test::qt_app();
  Fixture f;
  write_file(f.run + "/run.json", R"({"config": {"mode": "omni", "preset": "tiny",
      "data": "/corpus/a", "steps": 900, "init_from": "/runs/dense",
      "model": {"predictor": "stateless", "context_size": 2},
      "omni": {"members_per_step": 4, "distribution": "sandwich", "p_dense": 0.3,
               "freeze_at": 0.65, "distill_weight": 1.5, "warmup": 0.0}}, "mode": "omni"})");
  f.panel.setRunDirectory(f.run);
  EXPECT_EQ(f.field<QLineEdit>("init_from")->text(), "/runs/dense");
  EXPECT_EQ(f.field<QSpinBox>("members_per_step")->value(), 4);
  EXPECT_EQ(f.field<QComboBox>("distribution")->currentData().toString(), "sandwich");
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("p_dense")->value(), 0.3);
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("freeze_at")->value(), 0.65);
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("distill_weight")->value(), 1.5);
  EXPECT_EQ(f.field<QSpinBox>("budget")->value(), 900);
  EXPECT_EQ(f.field<QComboBox>("predictor")->currentData().toString(), "stateless");
  EXPECT_EQ(flag_value(f.panel.trainArguments(true), "--predictor"), "stateless");

  // Another run that names none of them shows the core's defaults, not the previous run's.
  const QString plain = f.run + "-plain";
  write_file(plain + "/run.json", R"({"config": {"mode": "omni", "steps": 50}})");
  f.panel.setRunDirectory(plain);
  EXPECT_EQ(f.field<QLineEdit>("init_from")->text(), "");
  EXPECT_EQ(f.field<QSpinBox>("members_per_step")->value(), 1);
  EXPECT_EQ(f.field<QComboBox>("distribution")->currentData().toString(), "levels");
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("p_dense")->value(), 0.2);
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("freeze_at")->value(), 0.5);
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("distill_weight")->value(), 0.0);
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("ramp_end")->value(), 0.5);
  EXPECT_TRUE(f.field<QCheckBox>("follow_ramp")->isChecked());
  EXPECT_EQ(f.field<QComboBox>("predictor")->currentData().toString(), "lstm");

  // A gradual-pruning supernet's ramp settings come back.
  const QString ramp = f.run + "-ramp";
  write_file(ramp + "/run.json", R"({"config": {"mode": "omni", "steps": 50,
      "omni": {"distribution": "levels", "ramp_end": 0.35, "follow_ramp": false}}})");
  f.panel.setRunDirectory(ramp);
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("ramp_end")->value(), 0.35);
  EXPECT_FALSE(f.field<QCheckBox>("follow_ramp")->isChecked());
  // A run.json saved before follow_ramp existed (every other omni key): trained without it.
  const QString older = f.run + "-older";
  write_file(older + "/run.json", R"({"config": {"mode": "omni", "steps": 50,
      "omni": {"members_per_step": 1, "distribution": "levels", "p_dense": 0.2, "warmup": 0.0,
               "ramp_end": 0.2, "max_sparsity": 0.0, "refresh_every": 25, "freeze_at": 0.5,
               "granularity": "unstructured", "ladder": [0, 0.5, 0.7, 0.8, 0.9]}}})");
  f.panel.setRunDirectory(older);
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("ramp_end")->value(), 0.2);
  EXPECT_FALSE(f.field<QCheckBox>("follow_ramp")->isChecked());

  // Before members_per_step, "k" members by the sandwich rule, refreshed to the end.
  const QString legacy = f.run + "-legacy";
  write_file(legacy + "/run.json", R"({"config": {"mode": "omni", "omni": {"k": 3}}})");
  f.panel.setRunDirectory(legacy);
  EXPECT_EQ(f.field<QSpinBox>("members_per_step")->value(), 3);
  EXPECT_EQ(f.field<QComboBox>("distribution")->currentData().toString(), "sandwich");
  EXPECT_DOUBLE_EQ(f.field<QDoubleSpinBox>("freeze_at")->value(), 1.0);
}

TEST(TrainingPanel, LaunchedSettingsComeBackFromTheRunItWrote) {
  omnisparse::test::qt_app();
  Fixture f;
  f.setMode("omni");
  f.field<QLineEdit>("init_from")->setText("/runs/dense");
  f.setDistribution("sandwich");
  f.field<QSpinBox>("members_per_step")->setValue(3);
  f.field<QDoubleSpinBox>("distill_weight")->setValue(0.8);
  f.field<QDoubleSpinBox>("freeze_at")->setValue(0.6);
  f.field<QDoubleSpinBox>("ramp_end")->setValue(0.3);
  ASSERT_TRUE(f.runToEnd());
  TrainingPanel viewer;  // the fake trainer wrote run.json from the flags, like the real one
  viewer.setRunDirectory(f.run);
  EXPECT_EQ(viewer.findChild<QLineEdit*>("init_from")->text(), "/runs/dense");
  EXPECT_EQ(viewer.findChild<QSpinBox*>("members_per_step")->value(), 3);
  EXPECT_EQ(viewer.findChild<QComboBox*>("distribution")->currentData().toString(), "sandwich");
  EXPECT_DOUBLE_EQ(viewer.findChild<QDoubleSpinBox*>("distill_weight")->value(), 0.8);
  EXPECT_DOUBLE_EQ(viewer.findChild<QDoubleSpinBox*>("freeze_at")->value(), 0.6);
  EXPECT_DOUBLE_EQ(viewer.findChild<QDoubleSpinBox*>("ramp_end")->value(), 0.3);
}

TEST(TrainingPanel, StatusLineOfARunningChildCountsThePassesWithItsParent) {
  omnisparse::test::qt_app();
  Fixture f;
  write_file(f.run + "/events.jsonl", R"({"type":"start","time":1,"step":0,"mode":"omni","device":"cpu","total_steps":1000,"parent":{"path":"/runs/dense-15min","kind":"run","step":937,"total_passes":2000,"total_wall_s":900}}
{"type":"step","time":2,"step":120,"loss":1.5,"progress":0.12,"passes":480,"elapsed_s":60,"parent_passes":2000,"total_passes":2480,"total_wall_s":960,"teacher_passes":0}
)");
  f.panel.setRunDirectory(f.run);
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return f.panel.history().step() == 120; }));
  const QString s = f.panel.statusText();
  EXPECT_TRUE(s.contains("step 120 / 1000 · 480 passes (2480 with the parent)")) << s.toStdString();
  EXPECT_TRUE(s.contains("Started from <b>dense-15min</b> (run, step 937)")) << s.toStdString();
  EXPECT_EQ(f.panel.history().parentPasses(), 2000);
  EXPECT_DOUBLE_EQ(f.panel.history().totalWallSeconds(), 960);
}

TEST(TrainingPanel, DoneLineOfAFakeRunWithAParentAddsTheParentsPassesAndTime) {
  omnisparse::test::qt_app();
  Fixture f({"--parent-passes", "2000", "--parent-wall-s", "600"});
  ASSERT_TRUE(f.runToEnd());
  const QString s = f.panel.statusText();
  // Own: 12 steps x 4 passes, well under a second; with the parent: +2000 passes, +10 minutes.
  EXPECT_TRUE(s.contains(QRegularExpression(
      R"(Done: 12 steps, 48 passes, 0:0\d wall \(2048 passes, 10:0\d with the parent\))")))
      << s.toStdString();
  EXPECT_EQ(f.panel.history().totalPasses(), 2048);
}

TEST(TrainingPanel, MaskEventsDrawOneOverlapLinePerLevelAndTheFreezePoint) {
  omnisparse::test::qt_app();
  // 12 steps, refresh every 3, frozen at progress 0.5: refreshes when steps 0, 3 and 6 are
  // planned; the first has no overlap, the n-th has 1 - level / (10 n).
  Fixture f({"--refresh-every", "3"});
  f.setMode("omni");
  ASSERT_TRUE(f.runToEnd());
  const TrainingHistory& h = f.panel.history();
  EXPECT_EQ(h.maskRefreshSteps(), (QVector<double>{0, 3, 6}));
  EXPECT_EQ(h.masksFrozenAt(), 6);
  QCustomPlot* plot = f.panel.maskPlot();
  ASSERT_EQ(plot->graphCount(), 3);  // 50, 70, 90 %
  const double levels[] = {0.5, 0.7, 0.9};
  const char* names[] = {"50 %", "70 %", "90 %"};
  for (int g = 0; g < 3; ++g) {
    QCPGraph* graph = plot->graph(g);
    EXPECT_EQ(graph->name(), names[g]);
    ASSERT_EQ(graph->dataCount(), 2) << g;
    auto it = graph->data()->constBegin();
    EXPECT_EQ(it->key, 3);
    EXPECT_NEAR(it->value, 100 * (1 - levels[g] / 10), 1e-9);
    ++it;
    EXPECT_EQ(it->key, 6);
    EXPECT_NEAR(it->value, 100 * (1 - levels[g] / 20), 1e-9);
  }
  // A level has one colour in both plots: 50 % is the second WER series (after 0 %).
  EXPECT_EQ(plot->graph(0)->pen().color(), f.panel.werPlot()->graph(1)->pen().color());
  auto* curves = f.panel.findChild<TrainingCurves*>();
  ASSERT_NE(curves, nullptr);
  EXPECT_TRUE(curves->freezeMarker()->visible());
  EXPECT_EQ(curves->freezeMarker()->point1->coords().x(), 6);
  curves->replotNow();
  EXPECT_GE(plot->xAxis->range().upper, 12);  // runs to the last step, past the freeze
  EXPECT_LE(plot->yAxis->range().upper, 101);
}

TEST(TrainingHistory, MaskEventsReplayedAfterAResumeReplaceTheLaterRefreshes) {
  TrainingHistory h;
  auto masks = [](int step, double overlap, bool frozen) {
    QJsonObject o;
    if (overlap >= 0) o = {{"0.50", overlap}, {"0.90", overlap / 2}};
    return QJsonObject{{"type", "masks"}, {"step", step}, {"overlap", o}, {"frozen", frozen}};
  };
  h.addEvent(masks(0, -1, false));
  h.addEvent(masks(25, 0.9, false));
  h.addEvent(masks(50, 0.95, true));
  EXPECT_EQ(h.masksFrozenAt(), 50);
  ASSERT_EQ(h.maskOverlap().size(), 2);
  EXPECT_EQ(h.maskOverlap()[0.9].y, (QVector<double>{0.45, 0.475}));
  h.addEvent(masks(25, 0.7, false));  // resumed from the checkpoint of step 24
  EXPECT_EQ(h.maskRefreshSteps(), (QVector<double>{0, 25}));
  EXPECT_EQ(h.masksFrozenAt(), -1);
  EXPECT_EQ(h.maskOverlap()[0.5].x, (QVector<double>{25}));
  EXPECT_DOUBLE_EQ(h.maskOverlap()[0.5].y[0], 0.7);
}

TEST(TrainingHistory, ParentCostIsUnknownWhenTheEventsSayNull) {
  TrainingHistory h;
  EXPECT_FALSE(h.hasParent());
  EXPECT_EQ(h.totalPasses(), -1);
  h.addEvent({{"type", "start"}, {"step", 0}, {"parent", QJsonObject{{"path", "/m.safetensors"},
                                                                     {"kind", "model"}}}});
  h.addEvent({{"type", "step"}, {"step", 5}, {"passes", 10}, {"parent_passes", QJsonValue()},
              {"total_passes", QJsonValue()}, {"total_wall_s", QJsonValue()}});
  EXPECT_TRUE(h.hasParent());
  EXPECT_EQ(h.passes(), 10);
  EXPECT_EQ(h.totalPasses(), -1);
  EXPECT_EQ(h.totalWallSeconds(), -1);
  h.addEvent({{"type", "stopped"}, {"step", 7}, {"passes", 14}, {"total_passes", 514},
              {"parent_passes", 500}});
  EXPECT_EQ(h.passes(), 14);
  EXPECT_EQ(h.totalPasses(), 514);
  EXPECT_EQ(h.parentPasses(), 500);
}

TEST(TrainingPanel, EmptyPlotsUseTheirWholeWidth) {
  omnisparse::test::qt_app();
  // A dense run: no mask refreshes, and no evaluation yet. An empty legend once squeezed the
  // title and axes of its plot into a column a few hundred pixels narrower than the plot.
  Fixture f;
  f.panel.resize(1150, 800);
  f.panel.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&f.panel));
  omnisparse::test::wait_until([] { return false; }, 200);
  for (QCustomPlot* plot : {f.panel.maskPlot(), f.panel.werPlot()}) {
    EXPECT_GT(plot->width(), 300);
    EXPECT_GE(plot->axisRect()->outerRect().width(), plot->width() - 2)
        << plot->axisRect()->outerRect().width() << " of " << plot->width();
  }
}

// --- Data-parallel workers (`train --workers N|auto`) ------------------------------------------

TEST(TrainingPanelWorkers, FieldDefaultsToAutoAndBecomesTheWorkersFlag) {
  omnisparse::test::qt_app();
  Fixture f;
  auto* workers = f.field<QSpinBox>("workers");
  EXPECT_EQ(workers->text(), "auto");
  EXPECT_FALSE(workers->toolTip().isEmpty());
  EXPECT_TRUE(workers->toolTip().contains("one per CPU core")) << workers->toolTip().toStdString();
  EXPECT_TRUE(workers->toolTip().contains("one per GPU"));
  QStringList a = f.panel.trainArguments(false);
  EXPECT_EQ(flag_value(a, "--workers"), "auto");
  EXPECT_GT(a.indexOf("--workers"), a.indexOf("train"));  // a flag of the subcommand

  workers->setValue(2);
  a = f.panel.trainArguments(false);
  EXPECT_EQ(flag_value(a, "--workers"), "2");
  EXPECT_EQ(a.count("--workers"), 1);
  // A resume may use another count: the field applies to it too.
  const QStringList r = f.panel.trainArguments(true);
  EXPECT_EQ(flag_value(r, "--workers"), "2");
  EXPECT_EQ(r.last(), "--resume");
  workers->setValue(0);
  EXPECT_EQ(flag_value(f.panel.trainArguments(false), "--workers"), "auto");
}

TEST(TrainingPanelWorkers, RunJsonWorkersFillTheField) {
  omnisparse::test::qt_app();
  Fixture f;
  write_file(f.run + "/run.json", R"({"config": {"mode": "dense", "steps": 50}, "workers": 2})");
  f.panel.setRunDirectory(f.run);
  EXPECT_EQ(f.field<QSpinBox>("workers")->value(), 2);
  EXPECT_EQ(flag_value(f.panel.trainArguments(true), "--workers"), "2");
  const QString older = f.run + "-older";  // before --workers: the default
  write_file(older + "/run.json", R"({"config": {"mode": "dense", "steps": 50}})");
  f.panel.setRunDirectory(older);
  EXPECT_EQ(f.field<QSpinBox>("workers")->text(), "auto");
}

TEST(TrainingPanelWorkers, StatusLineShowsWorkersBackendAndTotalSamplesPerSecond) {
  omnisparse::test::qt_app();
  Fixture f;
  write_file(f.run + "/events.jsonl", R"({"type":"start","time":1,"step":0,"mode":"dense","device":"cpu","total_steps":1000,"workers":2,"backend":"gloo","threads":1,"parent":null}
{"type":"step","time":2,"step":120,"loss":1.5,"progress":0.12,"passes":240,"elapsed_s":60,"eta_s":440,"samples_per_s":142.4,"workers":2,"sync_ms":3.14,"straggle_ms":1.96}
)");
  f.panel.setRunDirectory(f.run);
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return f.panel.history().step() == 120; }));
  const TrainingHistory& h = f.panel.history();
  EXPECT_EQ(h.workers(), 2);
  EXPECT_EQ(h.backend(), "gloo");
  EXPECT_EQ(h.threadsPerWorker(), 1);
  EXPECT_DOUBLE_EQ(h.syncMs(), 3.14);
  EXPECT_DOUBLE_EQ(h.straggleMs(), 1.96);
  const QString s = f.panel.statusText();
  EXPECT_TRUE(s.contains("step 120 / 1000 · 240 passes")) << s.toStdString();
  EXPECT_TRUE(s.contains("2 workers (gloo) · 142 samples/s total · all-reduce 3.1 ms/step (2.0 waiting for the slowest worker)"))
      << s.toStdString();
  EXPECT_EQ(f.panel.progressText(), "12 % · ETA 7:20");  // samples/s: once, in the status line

  // The run ends: the done line names the workers.
  QFile events(f.run + "/events.jsonl");
  ASSERT_TRUE(events.open(QIODevice::Append));
  events.write(R"({"type":"done","time":3,"step":1000,"passes":2000,"wall_s":500,"workers":2})" "\n");
  events.close();
  ASSERT_TRUE(omnisparse::test::wait_until(
      [&] { return h.state() == TrainingHistory::State::Done; }));
  EXPECT_TRUE(f.panel.statusText().contains("Done: 1000 steps, 2000 passes, 8:20 wall · 2 workers"))
      << f.panel.statusText().toStdString();
}

TEST(TrainingPanelWorkers, OneWorkerIsNotATotalAndOlderEventsShowOnlyTheRate) {
  omnisparse::test::qt_app();
  Fixture f;
  write_file(f.run + "/events.jsonl", R"({"type":"start","time":1,"step":0,"mode":"dense","device":"cpu","total_steps":100,"workers":1,"backend":"none","threads":2}
{"type":"step","time":2,"step":10,"loss":1.5,"progress":0.1,"samples_per_s":31.96,"workers":1,"sync_ms":0}
)");
  f.panel.setRunDirectory(f.run);
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return f.panel.history().step() == 10; }));
  EXPECT_EQ(f.panel.throughputText(), "1 worker · 32.0 samples/s");

  // A resume with two workers: the layout is the latest start's.
  QFile events(f.run + "/events.jsonl");
  ASSERT_TRUE(events.open(QIODevice::Append));
  events.write(R"({"type":"resume","time":3,"step":10,"mode":"dense","device":"cpu","total_steps":100,"workers":2,"backend":"gloo","threads":1})" "\n");
  events.close();
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return f.panel.history().workers() == 2; }));
  EXPECT_EQ(f.panel.throughputText(), "2 workers (gloo)");  // no rate before its first step

  TrainingHistory older;  // a trainer before --workers: no layout in its events
  older.addEvent({{"type", "start"}, {"step", 0}, {"mode", "dense"}});
  older.addEvent({{"type", "step"}, {"step", 1}, {"samples_per_s", 20.0}});
  EXPECT_EQ(older.workers(), 0);
  EXPECT_EQ(older.backend(), "");
  EXPECT_EQ(older.syncMs(), -1);
}

TEST(TrainingPanelWorkers, TwoWorkerRunEndToEndWithTheFakeLauncher) {
  omnisparse::test::qt_app();
  Fixture f;
  f.field<QSpinBox>("workers")->setValue(2);
  ASSERT_TRUE(f.runToEnd());
  EXPECT_EQ(f.panel.history().workers(), 2);
  EXPECT_TRUE(f.panel.statusText().contains(" · 2 workers")) << f.panel.statusText().toStdString();
  TrainingPanel viewer;  // the fake trainer wrote "workers": 2 into run.json, like the real one
  viewer.setRunDirectory(f.run);
  EXPECT_EQ(viewer.findChild<QSpinBox*>("workers")->value(), 2);
}

TEST(TrainingPanelWorkers, StopSendsSigtermAndTheWorkersSaveAndStop) {
  omnisparse::test::qt_app();
  // --handle-term: on SIGTERM the fake stops after its step with a "stopped" event and exits 0,
  // as the launcher does once every worker has stopped; a SIGKILL would leave no such event.
  Fixture f({"--handle-term"});
  f.field<QSpinBox>("workers")->setValue(2);
  f.panel.findChild<QSpinBox*>("budget")->setValue(100000);
  QSignalSpy finished(&f.panel, &TrainingPanel::trainerFinished);
  f.panel.launch();
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return f.panel.history().step() >= 3; }));
  f.panel.stop();
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return finished.count() == 1; }, 8000));
  EXPECT_TRUE(finished[0][0].toBool()) << finished[0][1].toString().toStdString();
  QFile events(f.run + "/events.jsonl");
  ASSERT_TRUE(events.open(QIODevice::ReadOnly));
  const QList<QByteArray> lines = events.readAll().trimmed().split('\n');
  const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
  EXPECT_EQ(last.value("type").toString(), "stopped");
  EXPECT_EQ(last.value("workers").toInt(), 2);
  EXPECT_TRUE(f.panel.canResume());
}

TEST(TrainingPanelWorkers, ALostWorkersErrorEventIsTheRunsError) {
  omnisparse::test::qt_app();
  Fixture f({"--lose-worker-at", "4"});
  f.field<QSpinBox>("workers")->setValue(2);
  QSignalSpy finished(&f.panel, &TrainingPanel::trainerFinished);
  QSignalSpy messages(&f.panel, &TrainingPanel::statusMessage);
  ASSERT_TRUE(f.runToEnd());
  ASSERT_EQ(finished.count(), 1);
  EXPECT_FALSE(finished[0][0].toBool());
  EXPECT_EQ(finished[0][1].toString(), "exited with code 1");
  const TrainingHistory& h = f.panel.history();
  EXPECT_EQ(h.state(), TrainingHistory::State::Failed);
  EXPECT_EQ(h.failedRank(), 1);
  const QString s = f.panel.statusText();
  EXPECT_TRUE(s.contains("Error:</b> worker rank 1 was killed by signal 9 (Killed); the other "
                         "workers were stopped"))
      << s.toStdString();
  EXPECT_TRUE(s.contains("Trainer exited with code 1.")) << s.toStdString();  // and how it ended
  EXPECT_LT(s.indexOf("worker rank 1"), s.indexOf("exited with code 1"));  // the cause first
  EXPECT_TRUE(messages.last()[0].toString().contains("worker rank 1 was killed"))
      << messages.last()[0].toString().toStdString();
  EXPECT_TRUE(f.panel.messages().contains("continue with --resume")) << f.panel.messages().toStdString();
  EXPECT_TRUE(f.panel.canResume());

  // Resumed (with one worker): the error is history, the run goes on.
  f.panel.setTrainerCommand(omnisparse::test::fake_trainer_path(), {"--interval-ms", "15"});
  f.field<QSpinBox>("workers")->setValue(1);
  QSignalSpy again(&f.panel, &TrainingPanel::trainerFinished);
  f.panel.resume();
  ASSERT_TRUE(omnisparse::test::wait_until([&] { return again.count() == 1; }));
  EXPECT_TRUE(again[0][0].toBool());
  EXPECT_EQ(h.state(), TrainingHistory::State::Done);
  EXPECT_EQ(h.failedRank(), -1);
  EXPECT_FALSE(f.panel.statusText().contains("Error")) << f.panel.statusText().toStdString();
}

TEST(TrainingPanelWorkers, TheLaunchersErrorAfterTheSurvivorsOwnNamesTheLostWorker) {
  // What a real `train --workers 2` writes when rank 1 is killed: rank 0's own error (it lost
  // its peer in the all-reduce), then the launcher's, which names the lost worker.
  TrainingHistory h;
  h.addEvent({{"type", "start"}, {"step", 0}, {"workers", 2}, {"backend", "gloo"}, {"threads", 1}});
  h.addEvent({{"type", "step"}, {"step", 24}, {"samples_per_s", 350.7}, {"workers", 2},
              {"sync_ms", 4.6}});
  h.addEvent({{"type", "error"}, {"step", 24},
              {"message", "worker rank 0: lost contact with another worker during all-reduce"}});
  EXPECT_EQ(h.failedRank(), -1);
  h.addEvent({{"type", "error"}, {"step", 24}, {"failed_rank", 1},
              {"message", "worker rank 1 was killed by signal 9 (Killed); the other workers were "
                          "stopped"}});
  EXPECT_EQ(h.state(), TrainingHistory::State::Failed);
  EXPECT_EQ(h.failedRank(), 1);
  EXPECT_TRUE(h.errorMessage().startsWith("worker rank 1 was killed by signal 9"));
  EXPECT_EQ(h.workers(), 2);
}
