// The facade reads what core's ResultsStore writes: rows, levels, dev WER and ranks arrive in
// the panels' plain structs. The run directory it builds (kept with OMNISPARSE_KEEP_TEST_DIRS=1)
// doubles as a screenshot fixture.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <QDir>

#include <cmath>
#include <fstream>
#include <random>

#include "core/io/results_store.h"
#include "tests/test_support.h"
#include "tests/widgets/qt_app.h"
#include "widgets/facade/mask_rule.h"
#include "widgets/facade/run_facade.h"
#include "widgets/pareto_plot.h"

namespace run_facade_test {  // named: the unity build compiles this file with its siblings

// Magnitude ranks of a random weight: rank 0 = largest |w|.
at::Tensor ranks_of(int64_t rows, int64_t cols, int seed) {
  at::manual_seed(seed);
  const at::Tensor w = at::randn({rows, cols});
  const at::Tensor order = w.abs().flatten().argsort(/*dim=*/0, /*descending=*/true);
  at::Tensor ranks = at::empty({rows * cols}, at::kLong);
  ranks.index_put_({order}, at::arange(rows * cols, at::kLong));
  return ranks.view({rows, cols}).to(at::kInt);
}

void write_results(const std::filesystem::path& run) {
  const std::vector<std::string> layers = {"encoder.lstm0.w_ih", "encoder.lstm0.w_hh",
                                           "predictor.lstm.w_hh", "joiner.out"};
  const std::vector<std::vector<int64_t>> shapes = {{1024, 80}, {1024, 256}, {512, 128}, {30, 320}};
  std::vector<std::pair<std::string, std::vector<int64_t>>> fp;
  int64_t total = 0;
  std::vector<int64_t> sizes;
  for (size_t i = 0; i < layers.size(); ++i) {
    fp.push_back({layers[i], shapes[i]});
    sizes.push_back(shapes[i][0] * shapes[i][1]);
    total += sizes.back();
  }
  auto store = omnisparse::ResultsStore::open_or_create(run / "results.h5",
                                                        omnisparse::layers_fingerprint(fp), layers);
  std::vector<omnisparse::SubnetResult> rows;
  auto make = [&](const std::string& id, const std::string& source, std::vector<float> levels,
                  double noise) {
    omnisparse::SubnetResult r;
    r.id = id;
    r.source = source;
    r.label = id;
    r.sparsity = levels;
    for (size_t i = 0; i < levels.size(); ++i)
      r.nnz += static_cast<int64_t>(std::ceil((1 - levels[i]) * sizes[i] - 1e-9));
    r.total_params = total + 20000;
    r.nonzero_params = r.nnz + 20000;
    r.bytes_dense = 4 * r.total_params;
    r.bytes_sparse = 6 * r.nnz + 4 * 20000;
    const double s = 1.0 - double(r.nnz) / total;
    r.evals["dev"].wer = 0.18 + 0.25 * std::pow(s, 3) + noise;
    r.evals["dev"].cer = r.evals["dev"].wer * 0.45;
    // The sweep is also scored on a real-voice set (pareto --also), the search on a fitness subset.
    if (source == "sweep") r.evals["real"] = {1.5 * r.evals["dev"].wer, 0.9 * r.evals["dev"].wer};
    else r.evals["dev-first100"] = {r.evals["dev"].wer + 0.01, r.evals["dev"].cer};
    r.rtf = 0.04 * (1 - 0.6 * s);
    r.latency_ms = 25 * (1 - 0.5 * s);
    rows.push_back(r);
  };
  const std::vector<float> ladder = {0, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 0.95f};
  for (float lv : ladder)
    make("uniform-" + std::to_string(int(std::lround(lv * 100))), "sweep", {lv, lv, lv, lv}, 0.004);
  std::mt19937 rng(3);
  for (int i = 0; i < 40; ++i) {
    std::vector<float> lv;
    for (int l = 0; l < 4; ++l) lv.push_back(ladder[rng() % ladder.size()]);
    make("evo-" + std::to_string(i), "evo", lv, 0.02 * ((rng() % 100) / 100.0) - 0.006);
  }
  store.add_or_update(rows);
  std::map<std::string, at::Tensor> ranks;
  for (size_t i = 0; i < layers.size(); ++i) ranks[layers[i]] = ranks_of(shapes[i][0], shapes[i][1], int(i));
  store.save_ranks(ranks);
}


TEST(RunFacade, ReadsRowsAndRanksThatTheResultsStoreWrote) {
  omnisparse::test::qt_app();
  omnisparse::test::TempDir dir("omnisparse-gui-run");
  const auto run = dir / "omni-tiny";
  std::filesystem::create_directories(run);
  write_results(run);

  QString err;
  const auto r = omnisparse::widgets::load_run_results(QString::fromStdString(run.string()), &err);
  ASSERT_TRUE(err.isEmpty()) << err.toStdString();
  EXPECT_EQ(r.name, "omni-tiny");
  ASSERT_EQ(r.rows.size(), 51);
  EXPECT_EQ(r.layer_names, (QStringList{"encoder.lstm0.w_ih", "encoder.lstm0.w_hh",
                                        "predictor.lstm.w_hh", "joiner.out"}));
  const auto& dense = *std::find_if(r.rows.begin(), r.rows.end(), [](auto& x) { return x.id == "uniform-0"; });
  EXPECT_EQ(dense.levels.size(), 4);
  EXPECT_NEAR(dense.wer, 0.184, 1e-9);
  EXPECT_EQ(dense.nnz, 1024 * 80 + 1024 * 256 + 512 * 128 + 30 * 320 + 20000);
  ASSERT_EQ(r.ranks.size(), 4);
  EXPECT_EQ(r.ranks[0].name, "encoder.lstm0.w_ih");  // model order, not alphabetical
  EXPECT_EQ(r.ranks[0].rows, 1024);
  EXPECT_EQ(r.ranks[0].cols, 80);
  EXPECT_EQ(omnisparse::widgets::survivor_count(r.ranks[3], 0.9), 960);  // ceil(0.1 * 9600)
  EXPECT_TRUE(omnisparse::widgets::check_nestedness(r.ranks, r.ladder).ok);
  EXPECT_EQ(r.ladder.size(), 11);
  // Every whole set, the main one first; the search's fitness subset is not one.
  EXPECT_EQ(r.sets, (QStringList{"dev", "real"}));
  EXPECT_EQ(dense.sets.size(), 2);
  const auto real = omnisparse::widgets::with_set(r, "real");
  ASSERT_EQ(real.rows.size(), 11);  // the sweep only
  for (const auto& row : real.rows) {
    EXPECT_EQ(row.source, "sweep");
    EXPECT_DOUBLE_EQ(row.wer, 1.5 * row.sets["dev"].wer);
    EXPECT_DOUBLE_EQ(row.cer, 0.9 * row.sets["dev"].wer);
  }
  EXPECT_EQ(omnisparse::widgets::with_set(r, "").rows.size(), 51);
  EXPECT_TRUE(omnisparse::widgets::with_set(r, "nope").rows.isEmpty());
  EXPECT_EQ(omnisparse::widgets::with_set(r, "nope", /*keep_if_absent=*/true).rows.size(), 51);
}

TEST(RunFacade, MissingOrCorruptResultsGiveAMessageNotAnException) {
  omnisparse::test::qt_app();
  omnisparse::test::TempDir dir("omnisparse-gui-run");
  QString err;
  auto r = omnisparse::widgets::load_run_results(QString::fromStdString(dir.path().string()), &err);
  EXPECT_TRUE(r.rows.isEmpty());
  EXPECT_TRUE(err.contains("no results.h5")) << err.toStdString();
  std::ofstream(dir / "results.h5") << "not an hdf5 file";
  err.clear();
  r = omnisparse::widgets::load_run_results(QString::fromStdString(dir.path().string()), &err);
  EXPECT_TRUE(r.rows.isEmpty());
  EXPECT_FALSE(err.isEmpty());
}

}  // namespace run_facade_test
