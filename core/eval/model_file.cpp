#include "core/eval/model_file.h"

#include <torch/torch.h>

#include <set>

#include "core/common/error.h"
#include "core/io/h5_model_export.h"
#include "core/io/model_export.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

bool is_hdf5_path(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".h5" || ext == ".hdf5";
}

// The name of the parameter a prunable layer's weight aliases ("encoder.weight_ih_l0").
std::string param_of(const Transducer& model, const PrunableLayer& layer) {
  for (const auto& p : model->named_parameters())
    if (p.value().data_ptr() == layer.weight.data_ptr()) return p.key();
  throw InvalidArgument("export: prunable layer '" + layer.name + "' aliases no parameter");
}

const std::string& meta_or(const std::map<std::string, std::string>& m, const char* key,
                           const std::string& fallback) {
  auto it = m.find(key);
  return it == m.end() ? fallback : it->second;
}

}  // namespace

int64_t config_param_count(const TransducerConfig& c) {
  // Doubles: a forged config must not overflow the arithmetic that guards against it.
  auto lstm = [](double in, double h, double layers) {
    return 4 * h * in + (layers - 1) * 4 * h * h + layers * (4 * h * h + 8 * h);
  };
  auto linear = [](double in, double out) { return in * out + out; };
  double n = linear(double(c.feat_dim) * c.frame_stacking, c.input_dim) +
             lstm(c.input_dim, c.encoder_hidden, c.encoder_layers) +
             linear(c.encoder_hidden, c.encoder_dim) + double(c.vocab_size) * c.predictor_embed +
             (c.stateless() ? linear(double(c.context_size) * c.predictor_embed, c.predictor_hidden)
                            : lstm(c.predictor_embed, c.predictor_hidden, c.predictor_layers)) +
             linear(c.encoder_dim, c.joiner_dim) + linear(c.predictor_hidden, c.joiner_dim) +
             linear(c.joiner_dim, c.vocab_size) +
             (c.ctc_weight > 0 ? linear(c.encoder_dim, c.vocab_size * c.ctc_upsample) : 0.0);
  return n > 9e18 ? INT64_MAX : static_cast<int64_t>(n);
}

nlohmann::json ExportReport::to_json() const {
  return {{"path", path.string()},
          {"format", format},
          {"subnet_id", subnet_id},
          {"params", accounting.total_params},
          {"nnz", accounting.nnz_total},
          {"bytes_dense", accounting.bytes_dense},
          {"bytes_stored", accounting.bytes_stored},
          {"file_bytes", file_bytes}};
}

Accounting export_accounting(const RunModel& rm, const SubnetConfig& config) {
  const int64_t nonprunable = rm.non_prunable_params();
  return rm.ranks ? account(config, *rm.ranks, nonprunable)
                  : account(config, rm.specs, Granularity{}, nonprunable);
}

ExportReport export_model(RunModel& rm, const SubnetConfig& config, const fs::path& out) {
  const std::string ext = out.extension().string();
  if (ext != ".safetensors" && !is_hdf5_path(out))
    throw InvalidArgument(out.string() + ": a model file is .safetensors, or .h5/.hdf5 for HDF5" +
                          (ext.empty() ? std::string(" (the name has no extension)")
                                       : " (not '" + ext + "')"));
  rm.select(config);
  const Granularity g = rm.ranks ? rm.ranks->granularity() : Granularity{};
  ExportReport r;
  r.accounting = export_accounting(rm, config);
  const PrunableLayers layers = rm.bundle.model->prunable_layers();
  ModelPayload payload{rm.bundle.weights(), rm.bundle.metadata(), {}};
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerAccount& a = r.accounting.layers.at(i);
    LayerStorage s;
    s.param = "model." + param_of(rm.bundle.model, layers[i]);
    s.layer = layers[i].name;
    s.mask = layers[i].mask->defined() ? layers[i].mask->detach().to(at::kCPU) : at::Tensor();
    s.level = a.level;
    if (s.mask.defined() && s.mask.ne(0).sum().item<int64_t>() != a.nnz)
      throw InvalidArgument("export: layer '" + s.layer + "' keeps a different number of weights "
                            "than its accounting (masks out of date?)");
    s.kind = a.stored_dense ? StorageKind::kDense
             : g.kind == Granularity::Kind::kBlock ? StorageKind::kBsr
                                                    : StorageKind::kCsr;
    s.block_rows = g.block_rows;
    s.block_cols = g.block_cols;
    payload.layers.push_back(std::move(s));
  }
  payload.metadata[kSubnetKey] = config.to_json().dump();
  payload.metadata[kSubnetIdKey] = config.id();
  payload.metadata[kSubnetLabelKey] = config.label();
  payload.metadata[kGranularityKey] = g.ToString();
  payload.metadata[kSourceRunKey] = rm.run.string();
  payload.metadata[kSourceStepKey] = std::to_string(rm.step);

  r.path = out;
  r.subnet_id = config.id();
  if (is_hdf5_path(out)) {
    r.format = "hdf5";
    write_model_h5(out, payload);
  } else {
    r.format = "safetensors";
    write_model_safetensors(out, payload);
  }
  r.file_bytes = static_cast<int64_t>(fs::file_size(out));
  return r;
}

LoadedExport load_export(const fs::path& path, const ImportLimits& limits) {
  StoredModel s = is_hdf5_path(path) ? read_model_h5(path, limits)
                                     : read_model_safetensors(path, {}, limits);
  // Guard the allocation the config asks for before building the model.
  auto cfg = s.metadata.find("omnisparse.model_config");
  if (cfg != s.metadata.end()) {
    TransducerConfig c;
    try {
      c = TransducerConfig::from_json(nlohmann::json::parse(cfg->second));
    } catch (const std::exception& e) {
      throw FormatError(path, std::string("invalid model config: ") + e.what());
    }
    if (config_param_count(c) > limits.max_params)
      throw FormatError(path, "the model config asks for " + std::to_string(config_param_count(c)) +
                                  " parameters, above the loader's limit of " +
                                  std::to_string(limits.max_params));
  }
  LoadedExport e{ModelBundle::FromTensors(s.metadata, s.tensors, path), std::nullopt, {}, {}, {}, 0,
                 s.metadata};
  e.bundle.model->eval();
  // Every parameter exactly once: FromTensors checks presence and shape; refuse extras here.
  std::set<std::string> expected;
  for (const auto& p : e.bundle.model->named_parameters()) expected.insert("model." + p.key());
  for (const auto& b : e.bundle.model->named_buffers()) expected.insert("model." + b.key());
  for (const auto& [name, t] : s.tensors)
    if (!expected.count(name)) throw FormatError(path, "tensor '" + name + "' is not a parameter of the model");
  if (s.tensors.size() != expected.size())
    throw FormatError(path, "the file stores " + std::to_string(s.tensors.size()) +
                                " parameters, the model has " + std::to_string(expected.size()));

  const LayerSpecs specs = specs_of(e.bundle.model->prunable_layers());
  int64_t covered = 0;  // weights of the layers the storage map describes
  for (auto it = s.storage.begin(); it != s.storage.end(); ++it) {
    bool found = false;
    for (const auto& l : specs) found |= it->value("layer", std::string()) == l.name;
    if (!found) throw FormatError(path, "storage entry '" + it.key() + "' names no prunable layer");
    covered += (*it)["shape"][0].get<int64_t>() * (*it)["shape"][1].get<int64_t>();
  }
  e.nonzero_params = e.bundle.model->num_parameters() - covered + s.nnz_prunable;
  static const std::string none;
  const std::string& subnet = meta_or(s.metadata, kSubnetKey, none);
  if (!subnet.empty()) {
    try {
      e.config = SubnetConfig::FromJson(nlohmann::json::parse(subnet), names_of(specs));
    } catch (const std::exception& ex) {
      throw FormatError(path, std::string("invalid sub-network config: ") + ex.what());
    }
  }
  e.subnet_id = meta_or(s.metadata, kSubnetIdKey, none);
  e.subnet_label = meta_or(s.metadata, kSubnetLabelKey, none);
  e.source_run = meta_or(s.metadata, kSourceRunKey, none);
  return e;
}

ModelBundle load_exported_model(const fs::path& path) { return load_export(path).bundle; }

}  // namespace omnisparse
