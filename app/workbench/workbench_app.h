// Entry point of the workbench: parses the command line (run directories to open,
// --screenshot OUT.png --panel NAME for offscreen renders) and shows the main window.
#pragma once

class QApplication;

namespace omnisparse::workbench {
int run(QApplication& app);
}
