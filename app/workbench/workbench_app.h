// Entry point of the workbench: parses the command line (run directories to open,
// --screenshot OUT.png --panel NAME RUN for offscreen renders) and shows the main window.
#pragma once

class QApplication;

namespace omnisparse::workbench {
// Returns the process exit code (the event loop's, or the screenshot's).
int run(QApplication& app);
}
