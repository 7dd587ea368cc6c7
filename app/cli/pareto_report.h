// How `omnisparse pareto` and `omnisparse demo` show a Pareto job's outcome (defined in
// app/cli/pareto.cpp): the front as a table, as JSON, and as a plot drawn by the same
// QCustomPlot code as the workbench's Pareto panel (widgets/pareto_plot.h).
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <ostream>
#include <vector>

#include "core/eval/pareto_job.h"

namespace omnisparse::cli {

// id, label, nnz, % of dense, bytes, WER, CER, RTF; one row per front member, ascending size.
void print_front_table(std::ostream& out, const ParetoJobReport& r);

nlohmann::json report_json(const ParetoJobReport& r);

// Every row of r.results on r.set, front highlighted, to a .png or .pdf; each overlay's rows on
// r.set as another series (the demo's one-shot floor). Creates an offscreen QApplication when
// there is none. A headless build (no Qt): InvalidArgument saying so.
void render_front_plot(const ParetoJobReport& r, const std::filesystem::path& out,
                       const std::vector<ParetoJobReport>& overlays = {});

}  // namespace omnisparse::cli
