// The stateless predictor (model.predictor "stateless"): what it sees, its state, its config.
#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/model/transducer.h"

namespace omnisparse {
namespace {

TransducerConfig stateless_config(int64_t context) {
  TransducerConfig c;
  c.input_dim = 24;
  c.encoder_layers = 1;
  c.encoder_hidden = 20;
  c.encoder_dim = 16;
  c.predictor = "stateless";
  c.context_size = context;
  c.predictor_embed = 8;
  c.predictor_hidden = 12;
  c.joiner_dim = 14;
  c.vocab_size = 7;
  c.dropout = 0.0;
  return c;
}

}  // namespace

TEST(StatelessPredictor, OutputIsReluOfTheLastContextEmbeddingsWithBlanksBeforeTheStart) {
  torch::manual_seed(3);
  Transducer m(stateless_config(3));
  auto tokens = torch::tensor({{0, 4, 2, 5}});
  auto pred = m->predict(tokens).pred[0];  // [4, 12]
  ASSERT_EQ(pred.sizes(), (std::vector<int64_t>{4, 12}));
  const auto E = m->embedding->weight;
  const std::vector<int64_t> padded{0, 0, 0, 4, 2, 5};  // two blanks before the start
  for (int64_t u = 0; u < 4; ++u) {
    auto x = torch::cat({E[padded[u]], E[padded[u + 1]], E[padded[u + 2]]});  // [3 * 8]
    auto expect = torch::relu(torch::matmul(m->predictor_context->weight, x) +
                              m->predictor_context->bias);
    EXPECT_TRUE(torch::allclose(pred[u], expect, 1e-5, 1e-6)) << "position " << u;
  }
}

TEST(StatelessPredictor, TokenByTokenWithTheStateEqualsTheWholeSequence) {
  torch::manual_seed(4);
  for (int64_t ctx : {1, 2, 4}) {
    Transducer m(stateless_config(ctx));
    auto tokens = torch::tensor({{0, 3, 3, 1, 6, 2}, {0, 5, 1, 2, 2, 4}});
    auto whole = m->predict(tokens);
    auto step = m->predict(tokens.narrow(1, 0, 1));
    for (int64_t u = 1; u < tokens.size(1); ++u) {
      step = m->predict(tokens.narrow(1, u, 1), step.state);
      EXPECT_TRUE(torch::allclose(step.pred.select(1, 0), whole.pred.select(1, u), 1e-6, 1e-6))
          << "context " << ctx << ", position " << u;
    }
    // The state is the last context - 1 tokens, batch in dimension 1, and selects like an
    // LSTM state (decoders narrow and concatenate states along dimension 1).
    ASSERT_EQ(whole.state.h.sizes(), (std::vector<int64_t>{1, 2, ctx - 1}));
    EXPECT_TRUE(whole.state.h.equal(step.state.h));
    if (ctx > 1) {
      EXPECT_EQ(whole.state.h[0][1][ctx - 2].item<int64_t>(), 4);
    }
    EXPECT_EQ(whole.state.c.numel(), 0);
  }
}

TEST(StatelessPredictor, IsOnePrunableLayerAndHasNoLstm) {
  Transducer m(stateless_config(2));
  EXPECT_TRUE(m->predictor.is_empty());
  int found = 0;
  for (const auto& l : m->prunable_layers()) {
    EXPECT_EQ(l.name.rfind("predictor.lstm", 0), std::string::npos) << l.name;
    if (l.name == "predictor.context") {
      ++found;
      EXPECT_EQ(l.group, "predictor");
      EXPECT_EQ(l.weight.sizes(), (std::vector<int64_t>{12, 16}));
    }
  }
  EXPECT_EQ(found, 1);
  // The gradient reaches the context layer through the joint, as every predictor weight.
  auto enc = torch::randn({1, 3, 16});
  m->joint(enc, m->predict(torch::tensor({{0, 2}})).pred).sum().backward();
  EXPECT_GT(m->predictor_context->weight.grad().abs().sum().item<double>(), 0.0);
}

TEST(StatelessPredictor, ConfigRoundTripsAndValidates) {
  TransducerConfig c = stateless_config(2);
  EXPECT_EQ(TransducerConfig::from_json(c.to_json()), c);
  EXPECT_EQ(c.to_json().at("predictor"), "stateless");
  // An LSTM predictor's JSON is unchanged by the new keys (fingerprints stay as they were).
  EXPECT_FALSE(TransducerConfig().to_json().contains("predictor"));
  EXPECT_FALSE(TransducerConfig().to_json().contains("context_size"));
  auto error_of = [](const nlohmann::json& j) {
    try {
      TransducerConfig::from_json(j);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of({{"predictor", "gru"}}).find("model.predictor must be"), std::string::npos);
  EXPECT_NE(error_of({{"predictor", 1}}).find("model.predictor must be a string"), std::string::npos);
  EXPECT_NE(error_of({{"predictor", "stateless"}, {"context_size", 0}}).find("model.context_size"),
            std::string::npos);
}

}  // namespace omnisparse
