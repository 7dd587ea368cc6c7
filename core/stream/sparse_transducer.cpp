#include "core/stream/sparse_transducer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "core/common/error.h"
#include "core/stream/lstm_cell.h"

namespace omnisparse {
namespace {

using kernels::Accumulate;
using kernels::SparseLinear;

std::vector<float> to_vector(const at::Tensor& t) {
  auto c = t.detach().to(at::kCPU, at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

// The tile shape a layer's zeros follow, if any: block masks (core/sparsity/granularity.h)
// leave whole RxC tiles empty. A tile is offered to the dispatcher only when storing whole
// tiles adds at most 20 % padding over the non-zeros; for unstructured masks no tile fits, so
// calibration does not spend time on block candidates that cannot win.
std::pair<int64_t, int64_t> tile_of(const std::vector<float>& w, int64_t rows, int64_t cols,
                                    int64_t nnz) {
  if (nnz == 0 || nnz == rows * cols) return {0, 0};
  for (auto [R, C] : {std::pair<int64_t, int64_t>{4, 4}, {8, 1}, {1, 4}, {4, 1}}) {
    const int64_t tile_cols = (cols + C - 1) / C;
    std::vector<char> kept(static_cast<size_t>((rows + R - 1) / R * tile_cols), 0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        if (w[r * cols + c] != 0.0f) kept[(r / R) * tile_cols + c / C] = 1;
    const int64_t tiles = std::count(kept.begin(), kept.end(), 1);
    if (static_cast<double>(tiles * R * C) <= 1.2 * static_cast<double>(nnz)) return {R, C};
  }
  return {0, 0};
}

// W x for one prunable layer, timed into `p` when profiling.
inline void mul(const SparseLinear& w, const float* x, int64_t n, float* y, Accumulate acc,
                KernelProfile* p) {
  if (!p) {
    w.multiply(x, n, y, acc);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  w.multiply(x, n, y, acc);
  p->pruned_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ++p->calls;
}

// y [rows, n] += b broadcast over the n frames.
inline void add_bias(const std::vector<float>& b, int64_t n, float* y) {
  for (size_t r = 0; r < b.size(); ++r)
    for (int64_t j = 0; j < n; ++j) y[static_cast<int64_t>(r) * n + j] += b[r];
}

}  // namespace

void SparseEngineOptions::Validate() const {
  if (batch < 1) throw InvalidArgument("sparse engine batch must be >= 1, got " + std::to_string(batch));
  if (force == kernels::Format::kBlock) {
    throw InvalidArgument("sparse engine: force may be dense or csr (blocks follow the masks)");
  }
  kernels::require_supported(isa);
}

std::string kernel_summary(const std::vector<KernelLayerInfo>& layers) {
  int64_t sparse = 0;
  for (const auto& l : layers) sparse += l.format != kernels::Format::kDense;
  return std::to_string(sparse) + " sparse / " + std::to_string(layers.size() - sparse) +
         " dense layers";
}

SparseTransducer::SparseTransducer(const Transducer& model, const SparseEngineOptions& options)
    : config_(model->config()), isa_(options.isa) {
  options.Validate();
  const auto& w0 = model->encoder_proj->weight;
  if (!w0.device().is_cpu() || w0.scalar_type() != at::kFloat) {
    throw InvalidArgument("the sparse kernels run float32 models on the CPU; this one is " +
                          std::string(c10::toString(w0.scalar_type())) + " on " + w0.device().str());
  }
  torch::NoGradGuard ng;
  std::map<std::string, at::Tensor> effective;  // prunable layer name -> weight * mask
  for (const auto& l : model->prunable_layers()) effective[l.name] = apply_mask(l.weight, l.mask);

  auto sparse = [&](const std::string& name, int64_t batch) {
    const at::Tensor& t = effective.at(name);
    const std::vector<float> w = to_vector(t);
    const int64_t rows = t.size(0), cols = t.size(1);
    kernels::SparseLinearOptions o;
    o.batch = batch;
    o.isa = options.isa;
    o.force = options.force;
    const int64_t nnz = std::count_if(w.begin(), w.end(), [](float v) { return v != 0.0f; });
    if (!o.force) std::tie(o.block_rows, o.block_cols) = tile_of(w, rows, cols, nnz);
    SparseLinear s = SparseLinear::from_dense(w.data(), rows, cols, o);
    info_.push_back({name, s.format(), rows, cols, s.nnz(), o.block_rows, o.block_cols});
    return s;
  };
  auto params = [](const torch::nn::Module& m) { return m.named_parameters(/*recurse=*/false); };
  auto lstm = [&](const MaskedLSTM& m, const std::string& prefix, int64_t batch) {
    std::vector<Lstm> out;
    const auto p = params(*m);
    for (int64_t l = 0; l < m->options().num_layers; ++l) {
      const std::string s = std::to_string(l), base = prefix + ".lstm" + s;
      Lstm layer{m->options().hidden_size, sparse(base + ".w_ih", batch), sparse(base + ".w_hh", 1),
                 to_vector(p["bias_ih_l" + s] + p["bias_hh_l" + s])};
      out.push_back(std::move(layer));
    }
    return out;
  };
  auto linear = [&](const MaskedLinear& m, const std::string& name, int64_t batch) {
    return Linear{sparse(name, batch), m->bias.defined() ? to_vector(m->bias) : std::vector<float>{}};
  };

  const int64_t chunk = options.batch;
  {
    const std::vector<float> w = to_vector(model->input_proj->weight);
    kernels::SparseLinearOptions o;
    o.force = kernels::Format::kDense;
    o.isa = options.isa;
    input_proj_ = Linear{SparseLinear::from_dense(w.data(), config_.input_dim,
                                                  config_.feat_dim * config_.frame_stacking, o),
                         to_vector(model->input_proj->bias)};
  }
  encoder_ = lstm(model->encoder, "encoder", chunk);
  encoder_proj_ = linear(model->encoder_proj, "encoder.proj", chunk);
  embedding_ = to_vector(model->embedding->weight);
  if (config_.stateless()) {
    context_ = linear(model->predictor_context, "predictor.context", 1);
  } else {
    predictor_ = lstm(model->predictor, "predictor", 1);
  }
  enc_proj_ = linear(model->joiner->enc_proj, "joiner.enc_proj", chunk);
  pred_proj_ = linear(model->joiner->pred_proj, "joiner.pred_proj", 1);
  out_ = linear(model->joiner->out, "joiner.out", 1);
}

SparseTransducer::EncoderState SparseTransducer::start_encoder() const {
  EncoderState s;
  const size_t n = static_cast<size_t>(config_.encoder_layers * config_.encoder_hidden);
  s.h.assign(n, 0.0f);
  s.c.assign(n, 0.0f);
  return s;
}

void SparseTransducer::lstm_chunk(const Lstm& l, const float* x, int64_t n, float* h, float* c,
                                  float* y, EncoderState& s, KernelProfile* p) const {
  const int64_t H = l.hidden, G = 4 * H;
  s.gates.resize(static_cast<size_t>(G * n));
  s.tmp.resize(static_cast<size_t>(G));
  mul(l.w_ih, x, n, s.gates.data(), Accumulate::kNo, p);  // [4H, n] for the whole chunk
  add_bias(l.b, n, s.gates.data());
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t r = 0; r < G; ++r) s.tmp[r] = s.gates[r * n + t];
    mul(l.w_hh, h, 1, s.tmp.data(), Accumulate::kYes, p);
    lstm_cell(s.tmp.data(), H, h, c, isa_);
    for (int64_t j = 0; j < H; ++j) y[j * n + t] = h[j];
  }
}

int64_t SparseTransducer::encode_chunk(const float* feats, int64_t t, EncoderState& s,
                                       std::vector<float>& enc, KernelProfile* p) const {
  const int64_t F = config_.feat_dim, K = config_.frame_stacking * F;  // K: stacked width
  s.pending.insert(s.pending.end(), feats, feats + t * F);
  const int64_t n = static_cast<int64_t>(s.pending.size()) / K;
  enc.clear();
  if (n == 0) return 0;
  // Stacked frames [n, K] -> x [K, n] (feature-major).
  s.x.resize(static_cast<size_t>(K * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < K; ++j) s.x[j * n + i] = s.pending[i * K + j];
  s.pending.erase(s.pending.begin(), s.pending.begin() + n * K);

  s.y.resize(static_cast<size_t>(config_.input_dim * n));
  input_proj_.w.multiply(s.x.data(), n, s.y.data());  // not pruned: not profiled
  add_bias(input_proj_.b, n, s.y.data());
  const int64_t H = config_.encoder_hidden;
  for (size_t l = 0; l < encoder_.size(); ++l) {
    std::swap(s.x, s.y);  // the layer's input; its output goes to y [H, n]
    s.y.resize(static_cast<size_t>(H * n));
    lstm_chunk(encoder_[l], s.x.data(), n, s.h.data() + l * H, s.c.data() + l * H, s.y.data(), s, p);
  }
  enc.resize(static_cast<size_t>(config_.encoder_dim * n));
  mul(encoder_proj_.w, s.y.data(), n, enc.data(), Accumulate::kNo, p);
  add_bias(encoder_proj_.b, n, enc.data());
  s.frames_out += n;
  return n;
}

void SparseTransducer::project_enc(const float* enc, int64_t n, std::vector<float>& ep,
                                   KernelProfile* p) const {
  ep.resize(static_cast<size_t>(config_.joiner_dim * n));
  if (n == 0) return;
  mul(enc_proj_.w, enc, n, ep.data(), Accumulate::kNo, p);
  add_bias(enc_proj_.b, n, ep.data());
}

SparseTransducer::PredictorState SparseTransducer::start_predictor() const {
  PredictorState s;
  const size_t n = static_cast<size_t>(config_.predictor_layers * config_.predictor_hidden);
  if (config_.stateless()) {
    s.history.assign(static_cast<size_t>(config_.context_size - 1), TransducerConfig::kBlank);
  } else {
    s.h.assign(n, 0.0f);
    s.c.assign(n, 0.0f);
  }
  predict(TransducerConfig::kBlank, s);
  return s;
}

void SparseTransducer::predict(int64_t token, PredictorState& s, KernelProfile* p) const {
  if (token < 0 || token >= config_.vocab_size) {
    throw InvalidArgument("predict: token " + std::to_string(token) + " outside the vocabulary");
  }
  const int64_t E = config_.predictor_embed, H = config_.predictor_hidden;
  if (config_.stateless()) {  // relu(W [emb(history..., token)] + b), as TransducerImpl::predict
    s.history.push_back(token);
    s.x.clear();
    for (int64_t k : s.history) {
      s.x.insert(s.x.end(), embedding_.begin() + k * E, embedding_.begin() + (k + 1) * E);
    }
    s.history.erase(s.history.begin());
    s.tmp = context_.b;
    mul(context_.w, s.x.data(), 1, s.tmp.data(), Accumulate::kYes, p);
    for (float& v : s.tmp) v = std::max(v, 0.0f);
    s.x = s.tmp;
  } else {
    s.x.assign(embedding_.begin() + token * E, embedding_.begin() + (token + 1) * E);
  }
  for (size_t l = 0; l < predictor_.size(); ++l) {
    const Lstm& layer = predictor_[l];
    float* h = s.h.data() + l * H;
    s.tmp = layer.b;  // [4H]
    mul(layer.w_ih, s.x.data(), 1, s.tmp.data(), Accumulate::kYes, p);
    mul(layer.w_hh, h, 1, s.tmp.data(), Accumulate::kYes, p);
    lstm_cell(s.tmp.data(), H, h, s.c.data() + l * H, isa_);
    s.x.assign(h, h + H);
  }
  s.pp = pred_proj_.b;
  s.pp.resize(static_cast<size_t>(config_.joiner_dim), 0.0f);
  mul(pred_proj_.w, s.x.data(), 1, s.pp.data(), Accumulate::kYes, p);
}

const float* SparseTransducer::joint_logits(const float* ep, int64_t n, int64_t t,
                                           const PredictorState& s, std::vector<float>& scratch,
                                           KernelProfile* p) const {
  const int64_t J = config_.joiner_dim, V = config_.vocab_size;
  scratch.resize(static_cast<size_t>(J + V));
  float* z = scratch.data();
  float* logits = z + J;
  for (int64_t j = 0; j < J; ++j) z[j] = ep[j * n + t] + s.pp[j];
  tanh_inplace(z, J, isa_);
  std::copy(out_.b.begin(), out_.b.end(), logits);
  if (out_.b.empty()) std::fill(logits, logits + V, 0.0f);
  mul(out_.w, z, 1, logits, Accumulate::kYes, p);
  return logits;
}

int64_t SparseTransducer::joint_argmax(const float* ep, int64_t n, int64_t t,
                                       const PredictorState& s, std::vector<float>& scratch,
                                       KernelProfile* p) const {
  const float* logits = joint_logits(ep, n, t, s, scratch, p);
  return std::max_element(logits, logits + config_.vocab_size) - logits;  // first maximum
}

}  // namespace omnisparse
