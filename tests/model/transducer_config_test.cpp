#include "core/model/transducer_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/common/error.h"

namespace omnisparse {
using ::testing::HasSubstr;

namespace {
std::string config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}
}  // namespace

TEST(TransducerConfig, JsonRoundTripKeepsEveryField) {
  TransducerConfig c = preset("small");
  c.dropout = 0.25;
  c.ctc_weight = 0.3;
  c.vocab_size = 500;
  c.ctc_upsample = 2;
  auto j = c.to_json();
  EXPECT_EQ(j.size(), 14u);
  EXPECT_EQ(j["encoder_hidden"], 384);
  EXPECT_EQ(TransducerConfig::from_json(j), c);
  EXPECT_EQ(TransducerConfig::from_json(nlohmann::json::parse(j.dump())), c);
}

TEST(TransducerConfig, MissingKeysKeepDefaults) {
  auto c = TransducerConfig::from_json({{"encoder_layers", 2}});
  TransducerConfig expect;
  expect.encoder_layers = 2;
  EXPECT_EQ(c, expect);
}

TEST(TransducerConfig, UnknownKeyIsNamed) {
  auto msg = config_error([] { TransducerConfig::from_json({{"encoder_layer", 2}}); });
  EXPECT_THAT(msg, HasSubstr("'encoder_layer'"));
  EXPECT_THAT(msg, HasSubstr("encoder_layers"));  // the valid keys are listed
}

TEST(TransducerConfig, ZeroLayersNegativeDimsAndBadDropoutAreRejected) {
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"encoder_layers", 0}}); }),
              HasSubstr("model.encoder_layers must be a positive integer, got 0"));
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"predictor_layers", 0}}); }),
              HasSubstr("model.predictor_layers"));
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"joiner_dim", -5}}); }),
              HasSubstr("model.joiner_dim must be a positive integer, got -5"));
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"dropout", 1.0}}); }),
              HasSubstr("model.dropout must be in [0, 1)"));
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"dropout", -0.1}}); }),
              HasSubstr("model.dropout"));
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"vocab_size", 1}}); }),
              HasSubstr("model.vocab_size"));
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"ctc_weight", 1.5}}); }),
              HasSubstr("model.ctc_weight"));
  TransducerConfig c;
  c.encoder_hidden = -1;
  EXPECT_THAT(config_error([&] { c.Validate(); }), HasSubstr("model.encoder_hidden"));
}

TEST(TransducerConfig, WrongTypesAreRejected) {
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"encoder_layers", 2.5}}); }),
              HasSubstr("model.encoder_layers must be an integer"));
  EXPECT_THAT(config_error([] { TransducerConfig::from_json({{"dropout", "high"}}); }),
              HasSubstr("model.dropout must be a number"));
  EXPECT_THAT(config_error([] { TransducerConfig::from_json(nlohmann::json::array()); }),
              HasSubstr("JSON object"));
}

TEST(TransducerConfig, PresetsAreValidAndGrow) {
  for (const auto& name : preset_names()) EXPECT_NO_THROW(preset(name).Validate()) << name;
  EXPECT_LT(preset("tiny").encoder_hidden, preset("small").encoder_hidden);
  EXPECT_LT(preset("small").encoder_hidden, preset("medium").encoder_hidden);
  EXPECT_EQ(preset("tiny").vocab_size, 29);
  EXPECT_EQ(preset("tiny").frame_stacking, 4);
}

TEST(TransducerConfig, UnknownPresetListsValidNames) {
  auto msg = config_error([] { preset("huge"); });
  EXPECT_THAT(msg, HasSubstr("'huge'"));
  EXPECT_THAT(msg, HasSubstr("tiny, small, medium"));
}

}  // namespace omnisparse
