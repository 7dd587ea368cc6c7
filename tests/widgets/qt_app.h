// One QApplication for every widget test in this binary (the shared test main has already set
// QT_QPA_PLATFORM=offscreen), plus the path of the fake trainer helper.
#pragma once

#include <QApplication>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QString>

namespace omnisparse::test {

inline QApplication* qt_app() {
  static int argc = 1;
  static char name[] = "test_widgets";
  static char* argv[] = {name, nullptr};
  static QApplication* app = new QApplication(argc, argv);
  return app;
}

// build/bin/fake_trainer, next to the CLI (tests/helpers/fake_trainer.cpp).
inline QString fake_trainer_path() {
  qt_app();
  return QDir(QCoreApplication::applicationDirPath()).absoluteFilePath("../bin/fake_trainer");
}

// Spins the event loop until `done()` or `timeout_ms`; returns done().
template <typename F>
bool wait_until(F done, int timeout_ms = 15000) {
  QElapsedTimer t;
  t.start();
  while (!done() && t.elapsed() < timeout_ms) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
  return done();
}

}  // namespace omnisparse::test
