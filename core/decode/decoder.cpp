#include "core/decode/decoder.h"

#include "core/common/error.h"

namespace omnisparse {
namespace {
constexpr int64_t kBlank = TransducerConfig::kBlank;
}

void GreedyOptions::Validate() const {
  if (max_symbols_per_frame < 1) {
    throw InvalidArgument("max_symbols_per_frame must be at least 1, got " +
                          std::to_string(max_symbols_per_frame));
  }
}

GreedySearch::GreedySearch(Transducer model, GreedyOptions options)
    : model_(std::move(model)), options_(options) {
  options_.Validate();
  torch::NoGradGuard ng;
  auto device = model_->joiner->out->weight.device();
  auto start = torch::full({1, 1}, kBlank, torch::TensorOptions().dtype(torch::kLong).device(device));
  auto [pred, state] = model_->predict(start);
  pred_state_ = state;
  pred_proj_ = model_->joiner->project_pred(pred[0][0]);  // [J]
}

void GreedySearch::emit(int64_t token) {
  result_.tokens.push_back(token);
  result_.frames.push_back(frame_);
  auto in = torch::full({1, 1}, token,
                        torch::TensorOptions().dtype(torch::kLong).device(pred_proj_.device()));
  auto [pred, state] = model_->predict(in, pred_state_);
  pred_state_ = state;
  pred_proj_ = model_->joiner->project_pred(pred[0][0]);
}

void GreedySearch::advance(const torch::Tensor& enc_in) {
  torch::NoGradGuard ng;
  auto enc = enc_in.dim() == 3 ? enc_in[0] : enc_in;  // [t, D]
  if (enc.size(0) == 0) return;
  auto ep = model_->joiner->project_enc(enc);  // [t, J]
  for (int64_t t = 0; t < enc.size(0); ++t, ++frame_) {
    auto ep_t = ep[t];
    for (int s = 0; s < options_.max_symbols_per_frame; ++s) {
      const int64_t k = model_->joiner->combine(ep_t, pred_proj_).argmax().item<int64_t>();
      if (k == kBlank) break;
      emit(k);
    }
  }
}

DecodeResult greedy_decode(Transducer& model, const torch::Tensor& enc,
                           const GreedyOptions& options) {
  GreedySearch search(model, options);
  search.advance(enc);
  return search.result();
}

std::vector<DecodeResult> greedy_decode_batch(Transducer& model, const torch::Tensor& enc,
                                              const torch::Tensor& lens,
                                              const GreedyOptions& options) {
  options.Validate();
  torch::NoGradGuard ng;
  const int64_t B = enc.size(0), T = enc.size(1);
  std::vector<DecodeResult> results(B);
  if (B == 0) return results;
  auto long_opts = torch::TensorOptions().dtype(torch::kLong).device(enc.device());
  auto lens_dev = lens.to(long_opts);
  auto ep = model->joiner->project_enc(enc);  // [B, T, J]
  auto [pred, state] = model->predict(torch::full({B, 1}, kBlank, long_opts));
  auto pp = model->joiner->project_pred(pred.select(1, 0));  // [B, J]
  for (int64_t t = 0; t < T; ++t) {
    auto going = lens_dev > t;  // [B] still inside the utterance and not yet blank at frame t
    for (int s = 0; s < options.max_symbols_per_frame; ++s) {
      auto k = model->joiner->combine(ep.select(1, t), pp).argmax(-1);  // [B]
      auto emit = going & (k != kBlank);
      if (!emit.any().item<bool>()) break;
      auto k_cpu = k.cpu();
      auto emit_cpu = emit.cpu();
      auto ka = k_cpu.accessor<int64_t, 1>();
      auto ea = emit_cpu.accessor<bool, 1>();
      for (int64_t b = 0; b < B; ++b) {
        if (ea[b]) {
          results[b].tokens.push_back(ka[b]);
          results[b].frames.push_back(t);
        }
      }
      auto [p, st] = model->predict(k.unsqueeze(1), state);
      auto e = emit.unsqueeze(1);                                      // [B, 1]
      pp = torch::where(e, model->joiner->project_pred(p.select(1, 0)), pp);
      state.h = torch::where(e.unsqueeze(0), st.h, state.h);          // [L, B, Hp]
      state.c = torch::where(e.unsqueeze(0), st.c, state.c);
      going = emit;
    }
  }
  return results;
}

}  // namespace omnisparse
