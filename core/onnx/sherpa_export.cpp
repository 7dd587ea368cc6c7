#include "core/onnx/sherpa_export.h"

#include <unistd.h>

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/common/atomic_file.h"
#include "core/common/error.h"
#include "core/eval/model_file.h"
#include "core/io/sha256.h"
#include "core/onnx/onnx_graph.h"

namespace omnisparse {
namespace fs = std::filesystem;

namespace {

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;
constexpr int32_t kInt64 = onnx::TensorProto::INT64;

// ONNX's LSTM orders the gate blocks (i, o, f, c); PyTorch's are (i, f, g, o).
at::Tensor iofc(const at::Tensor& w) {
  auto g = w.detach().chunk(4, 0);
  return at::cat({g[0], g[3], g[1], g[2]}, 0);
}

struct Writer {
  OnnxGraph& g;
  bool int8;

  std::string matrix(const std::string& name, const at::Tensor& w) {
    return int8 ? g.int8_initializer(name, w) : g.initializer(name, w);
  }
  // x [..., in] -> x W^T + b
  std::string linear(const std::string& x, const std::string& name, const at::Tensor& w,
                     const at::Tensor& b) {
    std::string y = g.node("MatMul", {x, matrix(name + ".weight_t", w.detach().t().contiguous())});
    if (b.defined()) y = g.node("Add", {y, g.initializer(name + ".bias", b)});
    return y;
  }
  std::string linear(const std::string& x, const std::string& name, const MaskedLinear& m) {
    return linear(x, name, m->effective_weight(), m->bias);
  }
  std::string shape(const std::string& name, std::vector<int64_t> dims) {
    return g.initializer(name, at::tensor(dims, at::kLong));
  }
};

std::string encoder_graph(ModelBundle& b, const SherpaExportOptions& o) {
  const TransducerConfig& c = b.config;
  const std::string L = std::to_string(c.encoder_layers), H = std::to_string(c.encoder_hidden);
  OnnxGraph g("encoder");
  Writer w{g, o.int8};
  g.input("x", kFloat, {"N", std::to_string(o.chunk_frames), std::to_string(c.feat_dim)});
  g.input("h", kFloat, {L, "N", H});
  g.input("c", kFloat, {L, "N", H});
  // sherpa-onnx's fbank takes samples in [-1, 1]; ours scales them by input_scale first, which
  // adds 2 ln(input_scale) to every log energy, the floor included (fbank.h's mel_floor is on the
  // [-1, 1] scale, as kaldi-native-fbank's). A front end saved with another floor keeps
  // sherpa-onnx's, shifted: the difference is listed in model.json.
  const float shift = static_cast<float>(2.0 * std::log(b.fbank.input_scale));
  std::string x = g.node("Add", {"x", g.initializer("fbank.shift", at::full({}, shift))});
  // Global CMVN exactly as FeatureStats::apply: (x - mean) * inv_std in float32.
  x = g.node("Sub", {x, g.initializer("cmvn.mean", b.stats.mean_tensor())});
  x = g.node("Mul", {x, g.initializer("cmvn.inv_std", b.stats.inv_std_tensor())});
  // Frame stacking: [N, T, F] -> [N, T/k, k*F], as TransducerImpl::encode_stacked.
  x = g.node("Reshape", {x, w.shape("stack.shape", {0, -1, c.feat_dim * c.frame_stacking})});
  x = w.linear(x, "input_proj", b.model->input_proj->weight, b.model->input_proj->bias);
  x = g.node("Transpose", {x}, {{"perm", OnnxGraph::attr_ints({1, 0, 2})}});  // [T', N, I]

  std::vector<std::string> h_in, c_in, h_out, c_out;
  for (int64_t l = 0; l < c.encoder_layers; ++l) {
    h_in.push_back("h_l" + std::to_string(l));
    c_in.push_back("c_l" + std::to_string(l));
  }
  const auto split = [&](const std::string& in, const std::vector<std::string>& outs) {
    if (outs.size() == 1) {
      g.node("Identity", {in}, {}, outs);
    } else {
      g.node("Split", {in}, {{"axis", OnnxGraph::attr_int(0)}}, outs);
    }
  };
  split("h", h_in);
  split("c", c_in);
  const auto axes1 = w.shape("squeeze.axes", {1});
  const auto params = b.model->encoder->named_parameters(/*recurse=*/false);
  for (int64_t l = 0; l < c.encoder_layers; ++l) {
    const std::string s = std::to_string(l), name = "encoder.lstm" + s;
    const auto& lstm = b.model->encoder;
    const auto W = iofc(apply_mask(lstm->w_ih(l), lstm->mask_ih(l))).unsqueeze(0);  // [1, 4H, I]
    const auto R = iofc(apply_mask(lstm->w_hh(l), lstm->mask_hh(l))).unsqueeze(0);  // [1, 4H, H]
    const auto B = at::cat({iofc(params["bias_ih_l" + s]), iofc(params["bias_hh_l" + s])}, 0)
                       .unsqueeze(0);  // [1, 8H]
    const std::string y = name + ".y", yh = name + ".y_h", yc = name + ".y_c";
    g.node("LSTM",
           {x, w.matrix(name + ".W", W), w.matrix(name + ".R", R), g.initializer(name + ".B", B),
            "", h_in[l], c_in[l]},
           {{"hidden_size", OnnxGraph::attr_int(c.encoder_hidden)}}, {y, yh, yc});
    x = g.node("Squeeze", {y, axes1});  // [T', 1, N, H] -> [T', N, H]
    h_out.push_back(yh);
    c_out.push_back(yc);
  }
  x = g.node("Transpose", {x}, {{"perm", OnnxGraph::attr_ints({1, 0, 2})}});  // [N, T', H]
  x = w.linear(x, "encoder_proj", b.model->encoder_proj);
  x = w.linear(x, "joiner.enc_proj", b.model->joiner->enc_proj);
  // sherpa-onnx's greedy search emits at most one symbol per encoder frame; ours up to
  // symbols_per_frame. Each frame repeated that many times gives exactly our greedy search: a
  // repeat after a blank is blank again (same frame, same predictor output).
  const int64_t M = o.symbols_per_frame;
  if (M > 1) {
    const std::string J = std::to_string(c.joiner_dim);
    x = g.node("Unsqueeze", {x, w.shape("repeat.axes", {2})});                // [N, T', 1, J]
    x = g.node("Tile", {x, w.shape("repeat.tiles", {1, 1, M, 1})});           // [N, T', M, J]
    x = g.node("Reshape", {x, w.shape("repeat.shape", {0, -1, c.joiner_dim})});  // [N, T'M, J]
  }
  const std::string frames = std::to_string(o.chunk_frames / c.frame_stacking * M);
  g.output("encoder_out", kFloat, {"N", frames, std::to_string(c.joiner_dim)}, x);
  const auto concat = [&](const std::vector<std::string>& parts) {
    return parts.size() == 1 ? parts[0]
                             : g.node("Concat", parts, {{"axis", OnnxGraph::attr_int(0)}});
  };
  g.output("next_h", kFloat, {L, "N", H}, concat(h_out));
  g.output("next_c", kFloat, {L, "N", H}, concat(c_out));

  g.metadata("model_type", "lstm");
  g.metadata("version", "1");
  g.metadata("model_author", "omnisparse");
  g.metadata("decode_chunk_len", std::to_string(o.chunk_frames));
  g.metadata("T", std::to_string(o.chunk_frames));
  g.metadata("num_encoder_layers", L);
  g.metadata("d_model", H);
  g.metadata("rnn_hidden_size", H);
  return g.serialize();
}

std::string decoder_graph(ModelBundle& b, const SherpaExportOptions& o) {
  const TransducerConfig& c = b.config;
  OnnxGraph g("decoder");
  Writer w{g, o.int8};
  g.input("y", kInt64, {"N", std::to_string(c.context_size)});
  // sherpa-onnx starts the context as [-1, ..., -1, 0]; ours is all blanks (0): clamp at 0.
  std::string y = g.node("Max", {"y", g.initializer("blank", at::zeros({}, at::kLong))});
  // [N, ctx] -> embeddings [N, ctx, E] -> [N, ctx*E], as TransducerImpl::predict.
  std::string x = g.node("Gather", {g.initializer("embedding", b.model->embedding->weight), y});
  x = g.node("Reshape", {x, w.shape("context.shape", {0, c.context_size * c.predictor_embed})});
  x = w.linear(x, "predictor_context", b.model->predictor_context);
  x = g.node("Relu", {x});
  x = w.linear(x, "joiner.pred_proj", b.model->joiner->pred_proj);
  g.output("decoder_out", kFloat, {"N", std::to_string(c.joiner_dim)}, x);
  g.metadata("context_size", std::to_string(c.context_size));
  g.metadata("vocab_size", std::to_string(c.vocab_size));
  return g.serialize();
}

std::string joiner_graph(ModelBundle& b, const SherpaExportOptions& o) {
  const TransducerConfig& c = b.config;
  const std::string J = std::to_string(c.joiner_dim);
  OnnxGraph g("joiner");
  Writer w{g, o.int8};
  g.input("encoder_out", kFloat, {"N", J});
  g.input("decoder_out", kFloat, {"N", J});
  std::string x = g.node("Tanh", {g.node("Add", {"encoder_out", "decoder_out"})});
  x = w.linear(x, "joiner.out", b.model->joiner->out);
  g.output("logit", kFloat, {"N", std::to_string(c.vocab_size)}, x);
  g.metadata("joiner_dim", J);
  return g.serialize();
}

// Filesystem errors as one line naming the path.
template <typename F>
auto fs_call(const fs::path& p, const char* what, F&& f) {
  try {
    return f();
  } catch (const fs::filesystem_error& e) {
    throw IoError(p, std::string("cannot ") + what + ": " + e.code().message());
  }
}

}  // namespace

std::vector<std::string> sherpa_feature_differences(const FbankConfig& f) {
  std::vector<std::string> d;
  if (f.sample_rate != 16000) d.push_back("sample_rate " + std::to_string(f.sample_rate) + " (sherpa-onnx: 16000)");
  if (f.num_mel_bins != 80) d.push_back("num_mel_bins " + std::to_string(f.num_mel_bins) + " (sherpa-onnx: 80)");
  auto num = [&](const char* key, double ours, double theirs) {
    if (ours != theirs) d.push_back(fmt::format("{} {} (sherpa-onnx: {})", key, ours, theirs));
  };
  num("frame_length_ms", f.frame_length_ms, 25.0);
  num("frame_shift_ms", f.frame_shift_ms, 10.0);
  num("preemph_coeff", f.preemph_coeff, 0.97);
  num("low_freq", f.low_freq, 20.0);
  num("high_freq", f.effective_high_freq(), 7600.0);
  num("dither", f.dither, 0.0);
  if (!f.remove_dc_offset) d.push_back("remove_dc_offset false (sherpa-onnx: true)");
  if (f.mel_floor != FbankConfig::kMelFloor) {  // e.g. Kaldi's, on the int16 scale
    const double gap = std::log(FbankConfig::kMelFloor / f.mel_floor);
    d.push_back(fmt::format("mel_floor {:g} on the [-1, 1] scale (sherpa-onnx: FLT_EPSILON = {:g}, "
                            "{:.1f} {} in the log): {}",
                            f.mel_floor, FbankConfig::kMelFloor, std::abs(gap),
                            gap > 0 ? "higher" : "lower",
                            gap > 0 ? "quiet bands it clips, ours resolve"
                                    : "quiet bands ours clip, it resolves"));
  }
  if (f.snip_edges) {
    d.push_back("snip_edges true (sherpa-onnx: false): its frames start 2.5 ms later, so every "
                "frame sees a slightly shifted window");
  }
  return d;
}

void SherpaExportOptions::Validate(const TransducerConfig& model) const {
  if (symbols_per_frame < 1 || symbols_per_frame > 8) {
    throw InvalidArgument("sherpa-onnx export: symbols per frame must be in [1, 8], got " +
                          std::to_string(symbols_per_frame));
  }
  if (chunk_frames < model.frame_stacking || chunk_frames % model.frame_stacking != 0 ||
      chunk_frames > 4096) {
    throw InvalidArgument("sherpa-onnx export: the chunk must be a positive multiple of the "
                          "model's frame stacking (" + std::to_string(model.frame_stacking) +
                          ") up to 4096 feature frames, got " + std::to_string(chunk_frames));
  }
}

int64_t SherpaExportReport::total_bytes() const {
  int64_t n = 0;
  for (const auto& [name, bytes] : file_bytes) n += bytes;
  return n;
}

nlohmann::json SherpaExportReport::to_json() const {
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [name, bytes] : file_bytes) {
    files[name] = {{"bytes", bytes}, {"sha256", sha256.count(name) ? sha256.at(name) : ""}};
  }
  return {{"dir", dir.string()},
          {"format", "sherpa-onnx"},
          {"subnet_id", subnet_id},
          {"params", accounting.total_params},
          {"nnz", accounting.nnz_total},
          {"sparsity", accounting.sparsity()},
          {"bytes_dense", accounting.bytes_dense},
          {"files", files},
          {"total_bytes", total_bytes()}};
}

std::map<std::string, std::string> sherpa_onnx_graphs(ModelBundle& bundle,
                                                      const SherpaExportOptions& options) {
  const TransducerConfig& c = bundle.config;
  if (!c.stateless()) {
    throw InvalidArgument(
        "sherpa-onnx export needs a stateless predictor (model.predictor \"stateless\"); this "
        "model's predictor is an LSTM, which sherpa-onnx's transducer decoder cannot run");
  }
  options.Validate(c);
  torch::NoGradGuard no_grad;
  return {{"encoder.onnx", encoder_graph(bundle, options)},
          {"decoder.onnx", decoder_graph(bundle, options)},
          {"joiner.onnx", joiner_graph(bundle, options)}};
}

std::string sherpa_tokens_txt(const CharTokenizer& tokenizer) {
  std::string out;
  for (int64_t id = 0; id < tokenizer.vocab_size(); ++id) {
    std::string sym = id == tokenizer.blank_id() ? "<blk>" : tokenizer.symbol(id);
    if (sym == " ") sym = "\xe2\x96\x81";  // U+2581, sherpa-onnx's word boundary
    out += sym + " " + std::to_string(id) + "\n";
  }
  return out;
}

SherpaExportReport export_sherpa_onnx(RunModel& rm, const SubnetConfig& config,
                                      const fs::path& dir, const SherpaExportOptions& options) {
  if (dir.empty()) throw InvalidArgument("sherpa-onnx export: no output directory given");
  const bool exists = fs_call(dir, "inspect", [&] { return fs::exists(dir); });
  if (exists) {
    if (!fs::is_directory(dir)) {
      throw InvalidArgument(dir.string() + ": exists and is not a directory");
    }
    if (!options.force && !fs::is_empty(dir)) {
      throw InvalidArgument(dir.string() +
                            ": directory exists and is not empty (--force replaces it)");
    }
  }
  rm.select(config);
  const auto graphs = sherpa_onnx_graphs(rm.bundle, options);  // before anything is written

  SherpaExportReport r;
  r.dir = dir;
  r.subnet_id = config.id();
  r.accounting = export_accounting(rm, config);
  r.feature_differences = sherpa_feature_differences(rm.bundle.fbank);
  std::map<std::string, std::string> files = graphs;
  files["tokens.txt"] = sherpa_tokens_txt(rm.bundle.tokenizer);
  for (const auto& [name, bytes] : files) {
    r.file_bytes[name] = static_cast<int64_t>(bytes.size());
    r.sha256[name] = sha256_hex(bytes);
  }
  nlohmann::json info = r.to_json();
  info.erase("dir");
  info["subnet_label"] = config.label();
  info["source_run"] = rm.run.string();
  info["source_step"] = rm.step;
  info["chunk_frames"] = options.chunk_frames;
  info["int8"] = options.int8;
  info["symbols_per_frame"] = options.symbols_per_frame;
  info["feature_differences"] = r.feature_differences;
  info["model"] = rm.bundle.config.to_json();
  info["fbank"] = rm.bundle.fbank.to_json();
  files["model.json"] = info.dump(1) + "\n";

  // Everything goes to a temporary sibling first; the rename makes it appear at once.
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  const std::string stem = dir.filename().string();
  const fs::path tmp = parent / ("." + stem + ".tmp-" + std::to_string(::getpid()));
  const fs::path old = parent / ("." + stem + ".old-" + std::to_string(::getpid()));
  fs_call(parent, "create the directory", [&] { return fs::create_directories(parent); });
  try {
    fs_call(tmp, "create a directory", [&] {
      fs::remove_all(tmp);
      return fs::create_directory(tmp);
    });
    for (const auto& [name, bytes] : files) write_file_atomic(tmp / name, bytes);
    if (exists) fs_call(dir, "move aside", [&] { fs::rename(dir, old); });
    fs_call(dir, "create", [&] { fs::rename(tmp, dir); });
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    if (fs::exists(old, ec) && !fs::exists(dir, ec)) fs::rename(old, dir, ec);
    throw;
  }
  std::error_code ec;
  fs::remove_all(old, ec);
  return r;
}

}  // namespace omnisparse
