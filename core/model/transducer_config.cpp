#include "core/model/transducer_config.h"

#include <functional>
#include <map>

#include "core/common/error.h"

namespace omnisparse {
namespace {

// One table drives to_json, from_json and the error messages, so a new field is one line.
struct Field {
  std::function<nlohmann::json(const TransducerConfig&)> get;
  std::function<void(TransducerConfig&, const nlohmann::json&)> set;
};

template <typename T>
Field field(T TransducerConfig::*member) {
  return {[member](const TransducerConfig& c) { return nlohmann::json(c.*member); },
          [member](TransducerConfig& c, const nlohmann::json& v) { c.*member = v.get<T>(); }};
}

const std::map<std::string, Field>& fields() {
  static const std::map<std::string, Field> table = {
      {"feat_dim", field(&TransducerConfig::feat_dim)},
      {"frame_stacking", field(&TransducerConfig::frame_stacking)},
      {"input_dim", field(&TransducerConfig::input_dim)},
      {"encoder_layers", field(&TransducerConfig::encoder_layers)},
      {"encoder_hidden", field(&TransducerConfig::encoder_hidden)},
      {"encoder_dim", field(&TransducerConfig::encoder_dim)},
      {"predictor", field(&TransducerConfig::predictor)},
      {"context_size", field(&TransducerConfig::context_size)},
      {"predictor_embed", field(&TransducerConfig::predictor_embed)},
      {"predictor_layers", field(&TransducerConfig::predictor_layers)},
      {"predictor_hidden", field(&TransducerConfig::predictor_hidden)},
      {"joiner_dim", field(&TransducerConfig::joiner_dim)},
      {"vocab_size", field(&TransducerConfig::vocab_size)},
      {"dropout", field(&TransducerConfig::dropout)},
      {"ctc_weight", field(&TransducerConfig::ctc_weight)},
      {"ctc_upsample", field(&TransducerConfig::ctc_upsample)},
  };
  return table;
}

void require_positive(const char* key, int64_t v) {
  if (v <= 0) {
    throw ConfigError("model." + std::string(key) + " must be a positive integer, got " +
                      std::to_string(v));
  }
}

}  // namespace

void TransducerConfig::Validate() const {
  require_positive("feat_dim", feat_dim);
  require_positive("frame_stacking", frame_stacking);
  require_positive("input_dim", input_dim);
  require_positive("encoder_layers", encoder_layers);
  require_positive("encoder_hidden", encoder_hidden);
  require_positive("encoder_dim", encoder_dim);
  if (predictor != "lstm" && predictor != "stateless") {
    throw ConfigError("model.predictor must be \"lstm\" or \"stateless\", got \"" + predictor +
                      "\"");
  }
  if (context_size < 1 || context_size > 16) {
    throw ConfigError("model.context_size must be an integer in [1, 16], got " +
                      std::to_string(context_size));
  }
  require_positive("predictor_embed", predictor_embed);
  require_positive("predictor_layers", predictor_layers);
  require_positive("predictor_hidden", predictor_hidden);
  require_positive("ctc_upsample", ctc_upsample);
  require_positive("joiner_dim", joiner_dim);
  if (vocab_size < 2) {
    throw ConfigError("model.vocab_size must be at least 2 (blank + one token), got " +
                      std::to_string(vocab_size));
  }
  if (!(dropout >= 0.0 && dropout < 1.0)) {
    throw ConfigError("model.dropout must be in [0, 1), got " + std::to_string(dropout));
  }
  if (!(ctc_weight >= 0.0 && ctc_weight < 1.0)) {
    throw ConfigError("model.ctc_weight must be in [0, 1) (0 disables the CTC head), got " +
                      std::to_string(ctc_weight));
  }
}

nlohmann::json TransducerConfig::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, f] : fields()) {
    if (!stateless() && (key == "predictor" || key == "context_size")) continue;
    j[key] = f.get(*this);
  }
  return j;
}

TransducerConfig TransducerConfig::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw ConfigError("model config must be a JSON object");
  TransducerConfig c;
  for (const auto& [key, value] : j.items()) {
    auto it = fields().find(key);
    if (it == fields().end()) {
      std::string valid;
      for (const auto& [k, f] : fields()) valid += (valid.empty() ? "" : ", ") + k;
      throw ConfigError("unknown model config key '" + key + "' (valid keys: " + valid + ")");
    }
    const nlohmann::json current = it->second.get(c);
    if (current.is_string()) {
      if (!value.is_string()) {
        throw ConfigError("model." + key + " must be a string, got " + value.dump());
      }
      it->second.set(c, value);
      continue;
    }
    const bool want_int = current.is_number_integer();
    if (!value.is_number() || (want_int && !value.is_number_integer())) {
      throw ConfigError("model." + key + " must be " + (want_int ? "an integer" : "a number") +
                        ", got " + value.dump());
    }
    it->second.set(c, value);
  }
  c.Validate();
  return c;
}

std::vector<std::string> preset_names() { return {"tiny", "small", "medium"}; }

TransducerConfig preset(const std::string& name) {
  TransducerConfig c;  // the defaults are the tiny preset
  if (name == "tiny") return c;
  if (name == "small") {
    c.input_dim = 256;
    c.encoder_layers = 4;
    c.encoder_hidden = 384;
    c.encoder_dim = 320;
    c.predictor_embed = 128;
    c.predictor_layers = 1;
    c.predictor_hidden = 320;
    c.joiner_dim = 320;
    return c;
  }
  if (name == "medium") {
    c.input_dim = 512;
    c.encoder_layers = 5;
    c.encoder_hidden = 1024;
    c.encoder_dim = 640;
    c.predictor_embed = 256;
    c.predictor_layers = 2;
    c.predictor_hidden = 640;
    c.joiner_dim = 640;
    c.dropout = 0.2;
    return c;
  }
  std::string valid;
  for (const auto& n : preset_names()) valid += (valid.empty() ? "" : ", ") + n;
  throw ConfigError("unknown model preset '" + name + "' (valid presets: " + valid + ")");
}

}  // namespace omnisparse
