// QSettings of one test only: an empty INI store in a scratch directory of this process, so tests
// that ctest runs side by side (-j2) never see each other's recent runs or remembered devices.
#pragma once

#include <QSettings>

#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"

namespace omnisparse::test {

struct ScratchSettings {
  TempDir dir{"omnisparse-settings"};
  ScratchSettings() {
    qt_app();
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope,
                       QString::fromStdString(dir.path().string()));
    QSettings().clear();
  }
};

}  // namespace omnisparse::test
