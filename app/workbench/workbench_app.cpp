#include "app/workbench/workbench_app.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSettings>
#include <QTemporaryDir>
#include <QTextStream>

#include "app/workbench/main_window.h"
#include "widgets/training_panel.h"

namespace omnisparse::workbench {

namespace {

// Lets queued replots and the event tail's first read happen before grabbing.
void settle(int ms) {
  QElapsedTimer t;
  t.start();
  while (t.elapsed() < ms) QApplication::processEvents(QEventLoop::AllEvents, 20);
}

int screenshot(MainWindow& window, const QStringList& runs, const QString& panel,
               const QString& out) {
  QTextStream err(stderr);
  // "welcome": the first-launch view, with no run open.
  const bool welcome = panel.compare("welcome", Qt::CaseInsensitive) == 0;
  if (!welcome && !window.panel(panel)) {
    err << "error: --panel must be training, pareto, masks, live or welcome (got '" << panel
        << "')\n";
    return 2;
  }
  if (runs.isEmpty() && !welcome) {
    err << "error: --screenshot needs a RUN directory (except --panel welcome)\n";
    return 2;
  }
  for (const QString& r : runs) {
    QString why;
    if (!window.openRun(r, &why)) {
      err << "error: " << why << "\n";
      return 2;
    }
  }
  window.resize(1400, 860);
  window.show();
  if (!welcome) {
    window.showPanel(panel);
    window.selectFirstFrontSubnet();
  }
  settle(400);
  if (!window.grab().save(out)) {
    err << "error: cannot write " << out << "\n";
    return 1;
  }
  QTextStream(stdout) << out << "\n";
  return 0;
}

}  // namespace

int run(QApplication& app) {
  QCommandLineParser parser;
  parser.setApplicationDescription("omnisparse workbench: train, explore and hear sparse ASR models");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("runs", "Run directories to open", "[RUN...]");
  QCommandLineOption shot("screenshot", "Render a panel offscreen to OUT.png and exit", "OUT.png");
  QCommandLineOption panel("panel", "Panel for --screenshot: training, pareto, masks, live or welcome", "NAME",
                           "training");
  parser.addOption(shot);
  parser.addOption(panel);
  parser.process(app);

  QTemporaryDir scratch_settings;
  if (parser.isSet(shot)) {
    // A render is not a session: it neither reads the user's window state and recent runs
    // (so screenshots look the same everywhere) nor adds the runs it opens to them. Its settings
    // live in a scratch directory of this process, so renders running side by side never share.
    if (!scratch_settings.isValid()) {
      QTextStream(stderr) << "omnisparse-workbench: cannot create a scratch directory for the render's settings: "
                          << scratch_settings.errorString() << "\n";
      return 1;
    }
    QCoreApplication::setOrganizationName("omnisparse-screenshot");
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, scratch_settings.path());
  }
  MainWindow window;
  if (parser.isSet(shot))
    return screenshot(window, parser.positionalArguments(), parser.value(panel), parser.value(shot));
  for (const QString& r : parser.positionalArguments()) window.openRun(r);
  window.show();
  return app.exec();
}

}  // namespace omnisparse::workbench
