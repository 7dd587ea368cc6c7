// The Pareto panel on hand-made rows: front membership against a brute-force reference, what is
// plotted, the table (rows, filter, numeric sort) and the two-way selection link.
#include <gtest/gtest.h>

#include <QComboBox>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTest>

#include <set>

#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"
#include "widgets/pareto_panel.h"
#include "widgets/pareto_plot.h"
#include "widgets/qcp.h"
#include "widgets/results_table_model.h"

using namespace omnisparse::widgets;

namespace {

SubnetRow row(const QString& id, qint64 nnz, double wer, const QString& source = "uniform") {
  SubnetRow r;
  r.id = id;
  r.source = source;
  r.label = id;
  r.nnz = nnz;
  r.total_params = 1'000'000;
  r.bytes_dense = 4'000'000;
  r.bytes_sparse = nnz * 6;
  r.wer = wer;
  r.cer = wer / 2;
  r.rtf = 0.05;
  r.latency_ms = 12;
  return r;
}

// Run "omni": front = u0 (1M, .20), u1 (900k, .21), u3 (600k, .22), e1 (400k, .25),
// u7 (200k, .40).
RunResults omni_run() {
  RunResults r;
  r.run_dir = "/runs/omni";
  r.name = "omni";
  r.rows = {row("u0", 1'000'000, 0.20), row("u3", 600'000, 0.22), row("u5", 500'000, 0.30),
            row("e1", 400'000, 0.25, "evo"), row("e2", 450'000, 0.26, "evo"),
            row("u7", 200'000, 0.40), row("u6", 300'000, 0.45), row("u1", 900'000, 0.21)};
  return r;
}

RunResults gmp_run() {
  RunResults r;
  r.run_dir = "/runs/gmp";
  r.name = "gmp";
  r.rows = {row("g50", 500'000, 0.24, "gmp"), row("g80", 200'000, 0.33, "gmp"),
            row("g90", 100'000, 0.50, "gmp")};
  return r;
}

std::vector<bool> brute_force_front(const QVector<SubnetRow>& rows) {
  std::vector<bool> out;
  for (const auto& p : rows) {
    bool dominated = false;
    for (const auto& q : rows)
      dominated |= q.nnz <= p.nnz && q.wer <= p.wer && (q.nnz < p.nnz || q.wer < p.wer);
    out.push_back(!dominated);
  }
  return out;
}

std::set<std::pair<qint64, double>> points_of(QCPGraph* g) {
  std::set<std::pair<qint64, double>> s;
  for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
    s.insert({qint64(it->key), std::round(it->value * 1000) / 1000});
  return s;
}

}  // namespace

TEST(ParetoFront, EqualsTheBruteForceNonDominatedSetWithTies) {
  QRandomGenerator rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    QVector<SubnetRow> rows;
    for (int i = 0; i < 60; ++i)  // few distinct values: many ties in nnz and in WER
      rows << row(QString::number(i), 1000 * rng.bounded(8), 0.1 * rng.bounded(6));
    const QVector<bool> got = pareto_front(rows);
    const std::vector<bool> want = brute_force_front(rows);
    ASSERT_EQ(std::vector<bool>(got.begin(), got.end()), want) << "trial " << trial;
  }
}

TEST(ParetoPanel, PlotsEveryPointAndItsFrontGraphHoldsExactlyTheNonDominatedRows) {
  omnisparse::test::qt_app();
  ParetoPanel panel;
  panel.setRuns({omni_run(), gmp_run()});
  EXPECT_EQ(panel.plottedPointCount(), 11);
  const auto want = brute_force_front(omni_run().rows);
  std::set<std::pair<qint64, double>> front, dominated;
  for (int i = 0; i < omni_run().rows.size(); ++i)
    (want[i] ? front : dominated).insert({omni_run().rows[i].nnz, omni_run().rows[i].wer * 100});
  EXPECT_EQ(points_of(panel.plot()->graph(0)), front);      // omni front
  EXPECT_EQ(points_of(panel.plot()->graph(1)), dominated);  // omni dominated, faded
  EXPECT_EQ(front.size(), 5u);
  EXPECT_EQ(panel.plot()->graph(0)->lineStyle(), QCPGraph::lsStepLeft);
  EXPECT_LT(panel.plot()->graph(1)->scatterStyle().pen().color().alpha(), 255);
  EXPECT_EQ(panel.plot()->graph(2)->dataCount(), 3);  // gmp: all on its own front
  EXPECT_EQ(panel.plot()->legend->itemCount(), 2);    // one entry per run
  EXPECT_NE(panel.plot()->graph(0)->pen().color(), panel.plot()->graph(2)->pen().color());
}

TEST(ParetoPanel, SwitchesBetweenEvaluationSetsWithAFrontEach) {
  omnisparse::test::qt_app();
  RunResults omni = omni_run();
  // A real-voice set scored for the uniform rows only; on it u3 is worse than u5.
  for (SubnetRow& r : omni.rows) {
    r.sets.insert("dev", {r.wer, r.cer});
    if (r.source == "uniform") r.sets.insert("real", {r.id == "u3" ? 0.70 : 2 * r.wer, r.wer});
  }
  omni.sets = {"dev", "real"};
  RunResults gmp = gmp_run();  // no real-voice scores
  for (SubnetRow& r : gmp.rows) r.sets.insert("dev", {r.wer, r.cer});
  gmp.sets = {"dev"};
  ParetoPanel panel;
  panel.setRuns({omni, gmp});
  ASSERT_TRUE(panel.setChooser()->isVisibleTo(&panel));
  EXPECT_EQ(panel.setChooser()->count(), 2);
  EXPECT_EQ(panel.evaluationSet(), "");
  EXPECT_EQ(panel.plottedPointCount(), 11);

  panel.setEvaluationSet("real");
  EXPECT_EQ(panel.evaluationSet(), "real");
  ASSERT_EQ(panel.runs().size(), 2);
  EXPECT_EQ(panel.runs()[0].rows.size(), 6);  // the uniform rows
  EXPECT_TRUE(panel.runs()[1].rows.isEmpty());  // gmp was not scored on it
  EXPECT_EQ(panel.plottedPointCount(), 6);
  EXPECT_EQ(panel.table()->model()->rowCount(), 6);
  std::set<QString> front;
  for (int i = 0; i < panel.runs()[0].rows.size(); ++i)
    if (panel.front()[0][i]) front.insert(panel.runs()[0].rows[i].id);
  // real WER: u0 .40, u1 .42, u3 .70, u5 .60, u7 .80, u6 .90
  EXPECT_EQ(front, (std::set<QString>{"u0", "u1", "u5", "u7"}));
  EXPECT_EQ(panel.plot()->yAxis->label(), "WER on real (%)");

  panel.setEvaluationSet("");
  EXPECT_EQ(panel.plottedPointCount(), 11);
  EXPECT_EQ(panel.plot()->yAxis->label(), "WER (%)");
  // One set only: no chooser.
  panel.setRuns({gmp_run()});
  EXPECT_FALSE(panel.setChooser()->isVisibleTo(&panel));
}

TEST(ParetoPanel, TableHasOneRowPerSubnetAndTheFilterReducesThem) {
  omnisparse::test::qt_app();
  ParetoPanel panel;
  panel.setRuns({omni_run(), gmp_run()});
  EXPECT_EQ(panel.proxy()->rowCount(), 11);
  panel.filter()->setText("evo");
  EXPECT_EQ(panel.proxy()->rowCount(), 2);
  panel.filter()->setText("gmp");
  EXPECT_EQ(panel.proxy()->rowCount(), 3);
  panel.filter()->clear();
  EXPECT_EQ(panel.proxy()->rowCount(), 11);
}

TEST(ParetoPanel, TableSortsByNumbersNotByText) {
  omnisparse::test::qt_app();
  ParetoPanel panel;
  panel.setRuns({omni_run(), gmp_run()});
  panel.table()->sortByColumn(ResultsTableModel::Nnz, Qt::AscendingOrder);
  // "100 k" < "200 k" < ... < "1 M" numerically; as text "1 M" would come first.
  const QModelIndex first = panel.proxy()->index(0, ResultsTableModel::Id);
  const QModelIndex last = panel.proxy()->index(10, ResultsTableModel::Id);
  EXPECT_EQ(first.data().toString(), "g90");
  EXPECT_EQ(last.data().toString(), "u0");
}

TEST(ParetoPanel, SelectingATableRowSelectsThePointAndEmits) {
  omnisparse::test::qt_app();
  ParetoPanel panel;
  panel.setRuns({omni_run(), gmp_run()});
  QSignalSpy spy(&panel, &ParetoPanel::subnetSelected);
  panel.filter()->setText("g80");
  ASSERT_EQ(panel.proxy()->rowCount(), 1);
  panel.table()->selectionModel()->setCurrentIndex(
      panel.proxy()->index(0, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
  EXPECT_EQ(panel.selectedRun(), 1);
  EXPECT_EQ(panel.selectedRow(), 1);
  ASSERT_EQ(spy.count(), 1);
  EXPECT_EQ(spy[0][0].toString(), "/runs/gmp");
  EXPECT_EQ(spy[0][1].toString(), "g80");
  QCPGraph* highlight = panel.plot()->graph(panel.plot()->graphCount() - 1);
  ASSERT_EQ(highlight->dataCount(), 1);
  EXPECT_EQ(highlight->data()->constBegin()->key, 200'000);
  EXPECT_DOUBLE_EQ(highlight->data()->constBegin()->value, 33.0);
}

TEST(ParetoPanel, ClickingAPointSelectsItsTableRow) {
  omnisparse::test::qt_app();
  ParetoPanel panel;
  panel.resize(1200, 700);
  panel.setRuns({omni_run(), gmp_run()});
  panel.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&panel));
  panel.plot()->replot();
  const QPoint at(int(panel.plot()->xAxis->coordToPixel(400'000)),
                  int(panel.plot()->yAxis->coordToPixel(25.0)));
  EXPECT_EQ(panel.pointAt(at), qMakePair(0, 3));
  QSignalSpy spy(&panel, &ParetoPanel::subnetSelected);
  QTest::mouseClick(panel.plot(), Qt::LeftButton, {}, at);
  EXPECT_EQ(panel.selectedRun(), 0);
  EXPECT_EQ(panel.selectedRow(), 3);
  ASSERT_EQ(spy.count(), 1);
  EXPECT_EQ(spy[0][1].toString(), "e1");
  const QModelIndex current = panel.table()->selectionModel()->currentIndex();
  ASSERT_TRUE(current.isValid());
  EXPECT_EQ(panel.proxy()->index(current.row(), ResultsTableModel::Id).data().toString(), "e1");
  EXPECT_TRUE(panel.describe(0, 3).contains("on the Pareto front"));
  EXPECT_TRUE(panel.describe(0, 2).contains("WER 30.00 %"));
  // Far from every point: nothing.
  EXPECT_EQ(panel.pointAt(QPointF(2, 2)), qMakePair(-1, -1));
}

TEST(ParetoPlot, RenderWritesAPngOffscreen) {
  omnisparse::test::qt_app();
  omnisparse::test::TempDir dir;
  const QString path = QString::fromStdString((dir / "front.png").string());
  QString err;
  ASSERT_TRUE(render_pareto({{"omni", omni_run().rows, {}}}, path, {800, 500}, &err)) << err.toStdString();
  QImage img(path);
  EXPECT_EQ(img.width(), 1600);  // rendered at 2x
  EXPECT_FALSE(render_pareto({}, path + ".gif", {800, 500}, &err));
  EXPECT_TRUE(err.contains(".png or .pdf"));
}

TEST(ParetoPanel, SubnetIdsAndTheirHeaderAreShownWholeAfterRunsLoad) {
  omnisparse::test::qt_app();
  ParetoPanel panel;
  panel.resize(1200, 700);
  RunResults r = omni_run();
  r.rows[0].id = "37a164a380";  // a real 10-hex-digit id
  panel.setRuns({r, gmp_run()});
  panel.show();
  QCoreApplication::processEvents();
  QTableView* t = panel.table();
  const int width = t->horizontalHeader()->sectionSize(ResultsTableModel::Id);
  EXPECT_GE(width, t->fontMetrics().horizontalAdvance("37a164a380") + 8);
  QFont bold = t->horizontalHeader()->font();
  bold.setBold(true);
  EXPECT_GE(width, QFontMetrics(bold).horizontalAdvance("Sub-network") + 16);
}
