// omnisparse-workbench: the desktop GUI. The window and panels live in app/workbench/ and widgets/.
#include <QApplication>

#include <cstdlib>
#include <cstring>

#include "app/workbench/workbench_app.h"
#include "widgets/facade/run_facade.h"

int main(int argc, char** argv) {
  // --screenshot renders offscreen: no display needed (must be chosen before QApplication).
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--screenshot") == 0) setenv("QT_QPA_PLATFORM", "offscreen", 0);
  QApplication app(argc, argv);
  QApplication::setOrganizationName("omnisparse");
  QApplication::setApplicationName("omnisparse-workbench");
  QApplication::setApplicationVersion(omnisparse::widgets::version());
  return omnisparse::workbench::run(app);
}
