#include "core/eval/model_bundle.h"

#include <torch/torch.h>

#include <unordered_map>

#include "core/common/error.h"
#include "core/io/results_store.h"

namespace omnisparse {

namespace {

constexpr const char* kConfigKey = "omnisparse.model_config";
constexpr const char* kTokenizerKey = "omnisparse.tokenizer";
constexpr const char* kFbankKey = "omnisparse.fbank";
constexpr const char* kStatsKey = "omnisparse.feature_stats";
constexpr const char* kFingerprintKey = "omnisparse.fingerprint";

nlohmann::json parse_meta(const std::map<std::string, std::string>& meta, const char* key,
                          const std::filesystem::path& source) {
  auto it = meta.find(key);
  if (it == meta.end()) throw FormatError(source, std::string("missing metadata '") + key + "'");
  try {
    return nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(source, std::string("metadata '") + key + "' is not valid JSON: " + e.what());
  }
}

}  // namespace

std::string model_fingerprint(const TransducerConfig& config) {
  // The same fingerprint results.h5 is keyed by (core/io/results_store.h): prunable layer names
  // and shapes, so a bundle, its checkpoints and its results agree on what "the same model" is.
  torch::NoGradGuard no_grad;
  Transducer probe(config);
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
  for (const auto& l : probe->prunable_layers()) shapes.push_back({l.name, {l.rows(), l.cols()}});
  return layers_fingerprint(shapes);
}

ModelBundle ModelBundle::Create(const TransducerConfig& config, FeatureStats stats) {
  config.Validate();
  ModelBundle b;
  b.config = config;
  b.model = Transducer(config);
  b.stats = std::move(stats);
  return b;
}

std::vector<std::pair<std::string, at::Tensor>> ModelBundle::weights() const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& p : model->named_parameters())
    out.emplace_back("model." + p.key(), p.value().detach().to(at::kCPU).contiguous());
  for (const auto& b : model->named_buffers())
    out.emplace_back("model." + b.key(), b.value().detach().to(at::kCPU).contiguous());
  return out;
}

std::map<std::string, std::string> ModelBundle::metadata() const {
  return {{kConfigKey, config.to_json().dump()},
          {kTokenizerKey, tokenizer.to_json().dump()},
          {kFbankKey, fbank.to_json().dump()},
          {kStatsKey, stats.to_json().dump()},
          {kFingerprintKey, fingerprint()}};
}

std::string ModelBundle::fingerprint() const { return model_fingerprint(config); }

FbankConfig fbank_of(const std::map<std::string, std::string>& metadata,
                     const std::filesystem::path& source) {
  try {
    return FbankConfig::from_json(parse_meta(metadata, kFbankKey, source));
  } catch (const FormatError&) {
    throw;
  } catch (const Error& e) {
    throw FormatError(source, std::string("invalid fbank metadata: ") + e.what());
  }
}

ModelBundle ModelBundle::FromTensors(const std::map<std::string, std::string>& metadata,
                                     const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                                     const std::filesystem::path& source) {
  ModelBundle b;
  try {
    b.config = TransducerConfig::from_json(parse_meta(metadata, kConfigKey, source));
    b.tokenizer = CharTokenizer::from_json(parse_meta(metadata, kTokenizerKey, source));
    b.fbank = FbankConfig::from_json(parse_meta(metadata, kFbankKey, source));
    b.stats = FeatureStats::from_json(parse_meta(metadata, kStatsKey, source));
  } catch (const FormatError&) {
    throw;
  } catch (const Error& e) {
    throw FormatError(source, std::string("invalid model metadata: ") + e.what());
  }
  if (b.config.vocab_size != b.tokenizer.vocab_size())
    throw FormatError(source, "model vocabulary " + std::to_string(b.config.vocab_size) +
                                  " does not match the tokenizer's " +
                                  std::to_string(b.tokenizer.vocab_size()));
  if (b.config.feat_dim != b.fbank.num_mel_bins)
    throw FormatError(source, "model expects " + std::to_string(b.config.feat_dim) +
                                  " features but the fbank config makes " +
                                  std::to_string(b.fbank.num_mel_bins));
  b.model = Transducer(b.config);
  b.load_weights(tensors, source);
  auto fp = metadata.find(kFingerprintKey);
  if (fp != metadata.end() && fp->second != b.fingerprint())
    throw FormatError(source, "model fingerprint " + fp->second + " does not match its config (" +
                                  b.fingerprint() + ")");
  return b;
}

void ModelBundle::load_weights(const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                               const std::filesystem::path& source) {
  std::unordered_map<std::string, const at::Tensor*> by_name;
  for (const auto& [name, t] : tensors) by_name[name] = &t;
  torch::NoGradGuard no_grad;
  auto load = [&](const std::string& key, torch::Tensor& dst) {
    auto it = by_name.find("model." + key);
    if (it == by_name.end()) throw FormatError(source, "missing tensor 'model." + key + "'");
    const at::Tensor& src = *it->second;
    if (src.sizes() != dst.sizes())
      throw FormatError(source, "tensor 'model." + key + "' has shape " +
                                    c10::str(src.sizes()) + ", the model expects " +
                                    c10::str(dst.sizes()));
    if (src.scalar_type() != dst.scalar_type())
      throw FormatError(source, "tensor 'model." + key + "' has dtype " +
                                    std::string(c10::toString(src.scalar_type())) +
                                    ", the model expects " + c10::toString(dst.scalar_type()));
    dst.copy_(src);
  };
  for (auto& p : model->named_parameters()) load(p.key(), p.value());
  for (auto& b : model->named_buffers()) load(b.key(), b.value());
}

}  // namespace omnisparse
