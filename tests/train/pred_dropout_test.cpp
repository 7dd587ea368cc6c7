// pred_dropout (docs/DESIGN.md section 3): in a transducer step, a share of the utterances get a
// zero predictor output, so the joiner learns to emit from the encoder alone; the share falls
// linearly from the end of the CTC-only phase to 0 at pred_dropout_end. Real micro training runs
// from one parent: with every utterance dropped, no gradient reaches the predictor.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include "core/common/error.h"
#include "core/io/checkpoint.h"
#include "core/io/run_dir.h"
#include "core/train/trainer.h"
#include "tests/test_support.h"
#include "tests/train/micro_run.h"

namespace omnisparse {
namespace fs = std::filesystem;
namespace pred_dropout_test {  // named: the unity build compiles this file with its siblings

TEST(PredDropout, FallsLinearlyFromTheEndOfTheCtcPhaseToZero) {
  TrainConfig c;
  c.ctc_warmup = 0.4;
  c.pred_dropout = 0.3;
  c.pred_dropout_end = 0.8;
  EXPECT_DOUBLE_EQ(c.pred_dropout_at(0.0), 0.3);
  EXPECT_DOUBLE_EQ(c.pred_dropout_at(0.4), 0.3);
  EXPECT_NEAR(c.pred_dropout_at(0.6), 0.15, 1e-12);
  EXPECT_NEAR(c.pred_dropout_at(0.7), 0.075, 1e-12);
  EXPECT_DOUBLE_EQ(c.pred_dropout_at(0.8), 0.0);
  EXPECT_DOUBLE_EQ(c.pred_dropout_at(1.0), 0.0);
  c.pred_dropout = 0;
  EXPECT_DOUBLE_EQ(c.pred_dropout_at(0.5), 0.0);
}

TEST(PredDropout, BadValuesAreRefusedNamingTheKeyAndAFineTuneHasNone) {
  auto message = [](const TrainConfig& c) {
    try {
      c.Validate();
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  TrainConfig c;
  c.steps = 10;
  c.pred_dropout = 1.0;
  EXPECT_EQ(message(c), "train config: pred_dropout must be in [0, 1)");
  c.pred_dropout = 0.3;
  c.pred_dropout_end = 0.4;  // = ctc_warmup: it would never act
  EXPECT_EQ(message(c),
            "train config: pred_dropout_end must be after ctc_warmup (it falls to 0 from there)");
  c.pred_dropout_end = 1.5;
  EXPECT_EQ(message(c), "train config: pred_dropout_end must be in [0, 1]");
  c.pred_dropout_end = 0.8;
  EXPECT_EQ(message(c), "");
  EXPECT_NE(c.ToString().find("CTC-only 40 %, predictor dropped for 30 % of utterances until 80 %"),
            std::string::npos)
      << c.ToString();

  const TrainConfig round = TrainConfig::from_json(c.to_json());
  EXPECT_EQ(round.pred_dropout, 0.3);
  EXPECT_EQ(round.pred_dropout_end, 0.8);
  TrainConfig tune = c;
  tune.apply_fine_tune_defaults(nlohmann::json::object());
  EXPECT_EQ(tune.pred_dropout, 0.0);
  TrainConfig own = c;
  own.apply_fine_tune_defaults({{"pred_dropout", 0.3}});
  EXPECT_EQ(own.pred_dropout, 0.3);
}

TrainSummary train(const TrainConfig& c) {
  TrainerOptions o;
  o.progress_bar = false;
  return Trainer(c, o).run();
}

TEST(PredDropout, AnUtteranceDroppedSendsNoGradientIntoThePredictor) {
  test::TempDir dir("omnisparse-pred-dropout");
  const fs::path parent = dir.path() / "parent";
  train(test::micro_config(parent, TrainMode::Dense, 1));
  const std::vector<std::string> predictor = {"embedding.", "predictor."};
  const std::vector<std::string> encoder = {"encoder."};

  auto child = [&](const std::string& name, double dropout) {
    // One step: at progress 0 the share is pred_dropout itself (no CTC-only phase here).
    TrainConfig c = test::micro_config(dir.path() / name, TrainMode::Dense, 1);
    c.init_from = parent.string();
    c.pred_dropout = dropout;
    c.pred_dropout_end = 1.0;
    train(c);
    return dir.path() / name;
  };
  const fs::path all_dropped = child("dropped", 1 - 1e-9);
  const fs::path none_dropped = child("kept", 0.0);
  using test::latest_weights, test::max_change;
  ASSERT_FALSE(latest_weights(parent, predictor).empty());
  EXPECT_EQ(max_change(latest_weights(parent, predictor), latest_weights(all_dropped, predictor)),
            0.0);
  EXPECT_GT(max_change(latest_weights(parent, encoder), latest_weights(all_dropped, encoder)), 0.0);
  EXPECT_GT(max_change(latest_weights(parent, predictor), latest_weights(none_dropped, predictor)),
            0.0);
}

}  // namespace pred_dropout_test
}  // namespace omnisparse
