// The one way to include QCustomPlot: qcustomplot.h uses the `signals`/`slots`/`emit`/`foreach`
// keywords, which QT_NO_KEYWORDS (needed by torch headers) removes. Define them around the
// include only.
#pragma once

#define signals Q_SIGNALS
#define slots Q_SLOTS
#define emit Q_EMIT
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef emit
#undef foreach
