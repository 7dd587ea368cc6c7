// The Pareto panel beside a run's parent (`train --init-from`): the parent run's one-shot rows
// overlaid and labelled as the parent, the toggle that hides them, the hint when the parent has
// no results yet (and the overlay once they appear), a checkpoint as the parent, and runs opened
// side by side (a gmp baseline) told apart in the legend. Run directories are written with
// core's ResultsStore, as `omnisparse pareto` writes them.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QSortFilterProxyModel>
#include <QLineEdit>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/io/results_store.h"
#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"
#include "widgets/pareto_panel.h"
#include "widgets/qcp.h"

namespace omnisparse::widgets {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kLayers = {"encoder.w", "joiner.w"};
const std::vector<std::vector<int64_t>> kShapes = {{64, 32}, {16, 64}};

struct Row {
  std::string id, source;
  float level;
  double wer;
};

// RUN/results.h5 with uniform rows (both layers at `level`) and the ranks of a random weight.
void write_results(const fs::path& run, const std::vector<Row>& rows) {
  fs::create_directories(run);
  std::vector<std::pair<std::string, std::vector<int64_t>>> fp;
  for (size_t i = 0; i < kLayers.size(); ++i) fp.push_back({kLayers[i], kShapes[i]});
  auto store = ResultsStore::open_or_create(run / "results.h5", layers_fingerprint(fp), kLayers);
  std::vector<SubnetResult> out;
  for (const Row& r : rows) {
    SubnetResult s;
    s.id = r.id;
    s.source = r.source;
    s.label = r.id;
    s.sparsity = {r.level, r.level};
    for (const auto& shape : kShapes)
      s.nnz += static_cast<int64_t>(std::ceil((1 - r.level) * shape[0] * shape[1] - 1e-9));
    s.total_params = 64 * 32 + 16 * 64 + 100;
    s.nonzero_params = s.nnz + 100;
    s.evals["dev"].wer = r.wer;
    s.evals["dev"].cer = r.wer / 2;
    out.push_back(s);
  }
  store.add_or_update(out);
  std::map<std::string, at::Tensor> ranks;
  for (size_t i = 0; i < kLayers.size(); ++i)
    ranks[kLayers[i]] = at::randperm(kShapes[i][0] * kShapes[i][1], at::kLong)
                            .view({kShapes[i][0], kShapes[i][1]})
                            .to(at::kInt);
  store.save_ranks(ranks);
}

void write_run_json(const fs::path& run, const std::string& json) {
  fs::create_directories(run);
  std::ofstream(run / "run.json") << json;
}

// A parent dense run (one-shot rows and one search row, which is not a one-shot result), a
// supernet started from it, and a gmp baseline beside them.
struct Runs {
  test::TempDir dir{"omnisparse-gui-parent"};
  fs::path dense = dir / "dense", omni = dir / "omni", gmp = dir / "gmp-80";
  QString q(const fs::path& p) const { return QString::fromStdString(p.string()); }

  explicit Runs(bool parent_results = true, const std::string& parent_path = "") {
    write_run_json(dense, R"({"config": {"mode": "dense", "data": "/corpus/commands"}, "mode": "dense"})");
    if (parent_results) write_parent_results();
    write_run_json(omni, R"({"config": {"mode": "omni", "init_from": ")" + dense.string() +
                             R"("}, "mode": "omni", "parent": {"path": ")" +
                             (parent_path.empty() ? dense.string() : parent_path) +
                             R"(", "kind": "run", "total_passes": 2000, "total_wall_s": 900}})");
    write_results(omni, {{"u0", "sweep", 0.0f, 0.20}, {"u5", "sweep", 0.5f, 0.22},
                         {"u9", "sweep", 0.9f, 0.35}, {"e1", "evo", 0.7f, 0.24}});
    write_run_json(gmp, R"({"config": {"mode": "gmp"}, "mode": "gmp"})");
    write_results(gmp, {{"g80", "gmp", 0.8f, 0.27}});
  }
  void write_parent_results() const {
    write_results(dense, {{"d0", "oneshot", 0.0f, 0.18}, {"d5", "oneshot", 0.5f, 0.21},
                          {"d7", "oneshot", 0.7f, 0.30}, {"d9", "oneshot", 0.9f, 0.70},
                          {"evo1", "evo", 0.6f, 0.25}});
  }
};

QStringList legend_texts(QCustomPlot* plot) {
  QStringList out;
  for (int i = 0; i < plot->legend->itemCount(); ++i)
    if (auto* item = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i)))
      out << item->plottable()->name();
  return out;
}

TEST(ParetoParent, OneShotRowsOfTheParentAreOverlaidAndLabelledAsTheParent) {
  test::qt_app();
  Runs r;
  ParetoPanel panel;
  panel.addRun(r.q(r.omni));
  panel.addRun(r.q(r.gmp));
  QCheckBox* toggle = panel.findChild<QCheckBox*>("show_parent");
  ASSERT_NE(toggle, nullptr);
  EXPECT_FALSE(toggle->isHidden());
  EXPECT_TRUE(toggle->isEnabled());
  EXPECT_TRUE(toggle->isChecked());
  ASSERT_EQ(panel.runs().size(), 3);
  const RunResults& parent = panel.runs()[2];
  EXPECT_EQ(parent.name, "dense (parent, one-shot)");
  EXPECT_EQ(parent.run_dir, r.q(r.dense));
  ASSERT_EQ(parent.rows.size(), 4);  // the search row is not a one-shot result
  for (const SubnetRow& row : parent.rows) EXPECT_EQ(row.source, "oneshot");
  EXPECT_EQ(panel.plottedPointCount(), 4 + 1 + 4);  // omni 4, gmp 1, parent 4

  // The legend says which run is which: the supernet, the baseline beside it, the parent.
  const QStringList legend = legend_texts(panel.plot());
  ASSERT_EQ(legend.size(), 3) << legend.join(" | ").toStdString();
  EXPECT_TRUE(legend[0].startsWith("omni (front")) << legend[0].toStdString();
  EXPECT_TRUE(legend[1].startsWith("gmp-80 (front 1 of 1")) << legend[1].toStdString();
  EXPECT_TRUE(legend[2].startsWith("dense (parent, one-shot) (front")) << legend[2].toStdString();
  EXPECT_EQ(panel.plot()->graph(4)->pen().style(), Qt::DashLine);  // the parent's front
  EXPECT_EQ(panel.plot()->graph(0)->pen().style(), Qt::SolidLine);
  // Its rows are in the table too, under the parent's name.
  panel.filter()->setText("parent, one-shot");
  EXPECT_EQ(panel.proxy()->rowCount(), 4);
  panel.filter()->clear();
  EXPECT_TRUE(panel.describe(2, 0).contains("dense (parent, one-shot)"));

  toggle->setChecked(false);
  EXPECT_EQ(panel.runs().size(), 2);
  EXPECT_EQ(panel.plottedPointCount(), 5);
  EXPECT_EQ(legend_texts(panel.plot()).size(), 2);
  toggle->setChecked(true);
  EXPECT_EQ(panel.runs().size(), 3);

  // Opened itself, the parent shows all its rows once, not twice.
  panel.addRun(r.q(r.dense));
  ASSERT_EQ(panel.runs().size(), 3);
  EXPECT_EQ(panel.runs()[2].name, "dense");
  EXPECT_EQ(panel.runs()[2].rows.size(), 5);
}

TEST(ParetoParent, ParentWithoutResultsSaysHowToMakeThemAndShowsThemOnceWritten) {
  test::qt_app();
  Runs r(/*parent_results=*/false);
  ParetoPanel panel;
  panel.addRun(r.q(r.omni));
  QCheckBox* toggle = panel.parentToggle();
  EXPECT_FALSE(toggle->isHidden());
  EXPECT_FALSE(toggle->isEnabled());
  const QString want = QString("omnisparse pareto --run %1 --data /corpus/commands --oneshot "
                               "--levels 0 0.5 0.7 0.8 0.9").arg(r.q(r.dense));
  EXPECT_TRUE(toggle->toolTip().contains(want)) << toggle->toolTip().toStdString();
  EXPECT_EQ(panel.runs().size(), 1);

  r.write_parent_results();  // `omnisparse pareto --oneshot` ran on the parent
  ASSERT_TRUE(test::wait_until([&] { return panel.runs().size() == 2; }, 10000))
      << "the parent's new results.h5 was not picked up";
  EXPECT_TRUE(toggle->isEnabled());
  EXPECT_EQ(panel.runs()[1].rows.size(), 4);
}

TEST(ParetoParent, ACheckpointOfARunIsThatRunsParentRun) {
  test::qt_app();
  const fs::path ckpt_rel = "checkpoints/ckpt-400.safetensors";
  Runs r;
  fs::create_directories(r.dense / "checkpoints");
  std::ofstream(r.dense / ckpt_rel) << "weights";
  write_run_json(r.omni, R"({"config": {"mode": "omni"}, "parent": {"path": ")" +
                             (r.dense / ckpt_rel).string() + R"(", "kind": "checkpoint"}})");
  ParetoPanel panel;
  panel.addRun(r.q(r.omni));
  ASSERT_EQ(panel.runs().size(), 2);
  EXPECT_EQ(panel.runs()[1].name, "dense (parent, one-shot)");

  // No parent at all: no toggle.
  ParetoPanel plain;
  plain.addRun(r.q(r.gmp));
  EXPECT_TRUE(plain.parentToggle()->isHidden());
  EXPECT_EQ(plain.runs().size(), 1);
}

TEST(ParetoParent, RunsWithTheSameDirectoryNameAreToldApartInTheLegend) {
  test::qt_app();
  ParetoPanel panel;
  RunResults a, b;
  a.run_dir = "/exp/k2/run";
  b.run_dir = "/exp/k4/run";
  a.name = b.name = "run";
  SubnetRow row;
  row.id = "u0";
  row.source = "sweep";
  row.nnz = 1000;
  row.wer = 0.2;
  a.rows = b.rows = {row};
  panel.setRuns({a, b});
  const QStringList legend = legend_texts(panel.plot());
  ASSERT_EQ(legend.size(), 2);
  EXPECT_TRUE(legend[0].startsWith("k2/run")) << legend[0].toStdString();
  EXPECT_TRUE(legend[1].startsWith("k4/run")) << legend[1].toStdString();
}

}  // namespace
}  // namespace omnisparse::widgets
