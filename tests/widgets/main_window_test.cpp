// The workbench window (label gui): the first-launch welcome view (its text not cut off, the
// recent-runs list), opening and closing a real run, and `--screenshot` of the real program.
#include <gtest/gtest.h>

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>

#include "app/workbench/main_window.h"
#include "app/workbench/welcome_view.h"
#include "tests/widgets/qt_app.h"
#include "tests/widgets/scratch_settings.h"
#include "tests/widgets/trained_run.h"
#include "widgets/training_panel.h"

namespace omnisparse::workbench {
namespace {

// Lets queued replots and event-tail reads happen.
void settle(int ms = 100) { test::wait_until([] { return false; }, ms); }

QString workbench_program() {
  return QDir(QCoreApplication::applicationDirPath()).absoluteFilePath("../bin/omnisparse-workbench");
}

TEST(MainWindow, WelcomeViewShowsItsWholeTextAndNoRecentRunsAtFirstLaunch) {
  test::ScratchSettings settings;  // the window reads and writes QSettings: this test's own, empty
  MainWindow w;
  w.resize(1400, 860);
  w.show();
  settle();
  auto* welcome = w.findChild<WelcomeView*>();
  ASSERT_NE(welcome, nullptr);
  EXPECT_TRUE(welcome->isVisible());
  EXPECT_FALSE(w.findChild<QTabWidget*>()->isVisible());
  QLabel* text = nullptr;
  for (QLabel* l : welcome->findChildren<QLabel*>())
    if (l->text().contains("Train one omni-sparsity supernet")) text = l;
  ASSERT_NE(text, nullptr);
  // Word-wrapped: it must be as tall as its text needs at its width (it was cut off once).
  EXPECT_GE(text->height(), text->heightForWidth(text->width()));
  EXPECT_GT(text->height(), 3 * text->fontMetrics().height());
  EXPECT_EQ(welcome->recentCount(), 0);
}

TEST(MainWindow, OpeningARunShowsThePanelsAndTheWelcomeViewOffersItAgainAfterClosing) {
  test::ScratchSettings settings;  // the window reads and writes QSettings: this test's own, empty
  const QString run = QString::fromStdString(widgets::trained_run().string());
  MainWindow w;
  w.resize(1400, 860);
  w.show();
  QString why;
  ASSERT_TRUE(w.openRun(run, &why)) << why.toStdString();
  settle();
  auto* welcome = w.findChild<WelcomeView*>();
  EXPECT_FALSE(welcome->isVisible());
  EXPECT_TRUE(w.findChild<QTabWidget*>()->isVisible());
  EXPECT_FALSE(w.openRun(run + "/no-such-dir", &why));
  EXPECT_TRUE(why.contains("not a directory")) << why.toStdString();

  w.closeRun(run);
  settle();
  ASSERT_TRUE(welcome->isVisible());
  ASSERT_EQ(welcome->recentCount(), 1);
  EXPECT_EQ(WelcomeView::recentRuns(), QStringList{run});
  // Clicking the recent entry opens the run again.
  QPushButton* entry = nullptr;
  for (QPushButton* b : welcome->findChildren<QPushButton*>())
    if (b->toolTip() == "Open " + run) entry = b;
  ASSERT_NE(entry, nullptr);
  entry->click();
  settle();
  EXPECT_FALSE(welcome->isVisible());
  EXPECT_TRUE(w.findChild<QTabWidget*>()->isVisible());
}

TEST(MainWindow, TrainingFormShowsTheConfigOfARealRun) {
  test::ScratchSettings settings;  // the window reads and writes QSettings: this test's own, empty
  const QString run = QString::fromStdString(widgets::trained_run().string());
  MainWindow w;
  ASSERT_TRUE(w.openRun(run));
  settle();
  auto* form = w.trainingPanel();
  EXPECT_EQ(form->findChild<QSpinBox*>("budget")->value(), 4);  // trained_run(): --steps 4
  const QStringList args = form->trainArguments(/*resume=*/true);
  const QString data = args.value(args.indexOf("--data") + 1);
  EXPECT_TRUE(data.endsWith("/corpus")) << data.toStdString();
  EXPECT_EQ(args.value(args.indexOf("--mode") + 1), "omni");
  EXPECT_EQ(args.value(args.indexOf("--steps") + 1), "4");
}

TEST(MainWindow, ScreenshotRendersTheWelcomeViewAndPanelsOfARealRun) {
  test::ScratchSettings settings;  // the window reads and writes QSettings: this test's own, empty
  const QString run = QString::fromStdString(widgets::trained_run().string());
  QTemporaryDir dir;
  auto shoot = [&](const QStringList& args, QString* err) {
    QProcess p;
    p.start(workbench_program(), args);
    EXPECT_TRUE(p.waitForFinished(60000));
    *err = QString::fromUtf8(p.readAllStandardError());
    return p.exitCode();
  };
  QString err;
  for (const QString panel : {"welcome", "training", "pareto", "masks"}) {
    const QString out = dir.filePath(panel + ".png");
    QStringList args{"--screenshot", out, "--panel", panel};
    if (panel != "welcome") args << run;
    ASSERT_EQ(shoot(args, &err), 0) << panel.toStdString() << ": " << err.toStdString();
    const QImage img(out);
    EXPECT_EQ(img.width(), 1400) << panel.toStdString();
    EXPECT_EQ(img.height(), 860) << panel.toStdString();
  }
  EXPECT_EQ(shoot({"--screenshot", dir.filePath("x.png"), "--panel", "nonsense", run}, &err), 2);
  EXPECT_TRUE(err.contains("training, pareto, masks, live or welcome")) << err.toStdString();
  EXPECT_EQ(shoot({"--screenshot", dir.filePath("y.png"), "--panel", "pareto"}, &err), 2);
  EXPECT_TRUE(err.contains("needs a RUN directory")) << err.toStdString();
}

}  // namespace
}  // namespace omnisparse::workbench
