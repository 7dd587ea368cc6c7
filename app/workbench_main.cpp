// omnisparse-workbench: the desktop GUI. The window and panels live in app/workbench/ and widgets/.
#include <QApplication>

#include "app/workbench/workbench_app.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName("omnisparse");
  QApplication::setApplicationName("omnisparse-workbench");
  QApplication::setApplicationVersion(OMNISPARSE_VERSION);
  return omnisparse::workbench::run(app);
}
