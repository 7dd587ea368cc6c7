#include "app/workbench/workbench_app.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QLabel>
#include <QMainWindow>

namespace omnisparse::workbench {

int run(QApplication& app) {
  QCommandLineParser parser;
  parser.setApplicationDescription("omnisparse workbench: train, explore and hear sparse ASR models");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("runs", "Run directories to open", "[RUN...]");
  parser.process(app);

  QMainWindow window;
  window.setWindowTitle("omnisparse workbench");
  auto* label = new QLabel("omnisparse workbench\n\nThe panels arrive with the workbench issue.");
  label->setAlignment(Qt::AlignCenter);
  window.setCentralWidget(label);
  window.resize(1200, 800);
  window.show();
  return app.exec();
}

}  // namespace omnisparse::workbench
