#include "core/decode/beam_search.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/common/error.h"

namespace omnisparse {
namespace {

constexpr int64_t kBlankId = TransducerConfig::kBlank;

double log_add(double a, double b) {
  const double m = std::max(a, b);
  if (m == -INFINITY) return m;
  return m + std::log1p(std::exp(-std::abs(a - b)));
}

}  // namespace

void BeamSearchOptions::Validate() const {
  if (beam < 1) throw InvalidArgument("beam must be at least 1, got " + std::to_string(beam));
}

BeamSearch::BeamSearch(Transducer model, BeamSearchOptions options)
    : model_(std::move(model)), options_(options) {
  options_.Validate();
  torch::NoGradGuard ng;
  auto device = model_->joiner->out->weight.device();
  auto start = torch::full({1, 1}, kBlankId, torch::TensorOptions().dtype(torch::kLong).device(device));
  auto [pred, state] = model_->predict(start);
  hyps_.push_back(Hypothesis{{}, state, model_->joiner->project_pred(pred[0][0])});
}

void BeamSearch::advance(const torch::Tensor& enc_in) {
  torch::NoGradGuard ng;
  auto enc = enc_in.dim() == 3 ? enc_in[0] : enc_in;  // [t, D]
  if (enc.size(0) == 0) return;
  auto ep = model_->joiner->project_enc(enc);  // [t, J]
  const int64_t V = model_->config().vocab_size;
  for (int64_t t = 0; t < enc.size(0); ++t, ++frame_) {
    const int64_t K = static_cast<int64_t>(hyps_.size());
    std::vector<torch::Tensor> pps;
    std::vector<double> base;
    for (const auto& h : hyps_) {
      pps.push_back(h.pred_proj);
      base.push_back(h.result.log_prob);
    }
    auto logp = model_->joiner->combine(ep[t].unsqueeze(0), torch::stack(pps))  // [K, V]
                    .log_softmax(-1)
                    .to(torch::kCPU, torch::kDouble);
    auto scores = (logp + torch::tensor(base, torch::kDouble).unsqueeze(1)).flatten();  // [K*V]
    auto [top, idx] = scores.topk(std::min<int64_t>(options_.beam, K * V));

    std::vector<Hypothesis> next;
    std::vector<int64_t> pending;  // per entry of `next`: token the predictor must consume, or -1
    std::map<std::vector<int64_t>, size_t> by_tokens;
    for (int64_t i = 0; i < top.size(0); ++i) {
      const double score = top[i].item<double>();
      const int64_t flat = idx[i].item<int64_t>();
      const Hypothesis& parent = hyps_[flat / V];
      const int64_t v = flat % V;
      std::vector<int64_t> tokens = parent.result.tokens;
      if (v != kBlankId) tokens.push_back(v);
      auto it = by_tokens.find(tokens);
      if (it != by_tokens.end()) {  // same token sequence by another path: merge
        next[it->second].result.log_prob = log_add(next[it->second].result.log_prob, score);
        continue;
      }
      Hypothesis h = parent;
      h.result.log_prob = score;
      if (v != kBlankId) {
        h.result.tokens = tokens;
        h.result.frames.push_back(frame_);
      }
      by_tokens.emplace(std::move(tokens), next.size());
      next.push_back(std::move(h));
      pending.push_back(v == kBlankId ? -1 : v);
    }

    // One batched predictor step for all hypotheses that grew this frame.
    std::vector<size_t> grow;
    for (size_t i = 0; i < next.size(); ++i) {
      if (pending[i] >= 0) grow.push_back(i);
    }
    if (!grow.empty()) {
      std::vector<int64_t> toks;
      std::vector<torch::Tensor> hs, cs;
      for (size_t i : grow) {
        toks.push_back(pending[i]);
        hs.push_back(next[i].state.h);
        cs.push_back(next[i].state.c);
      }
      auto in = torch::tensor(toks, torch::kLong).to(ep.device()).unsqueeze(1);  // [N, 1]
      auto [pred, st] = model_->predict(in, LSTMState{torch::cat(hs, 1), torch::cat(cs, 1)});
      auto pp = model_->joiner->project_pred(pred.select(1, 0));  // [N, J]
      for (size_t j = 0; j < grow.size(); ++j) {
        const auto n = static_cast<int64_t>(j);
        auto& h = next[grow[j]];
        h.state = LSTMState{st.h.narrow(1, n, 1), st.c.narrow(1, n, 1)};
        h.pred_proj = pp[n];
      }
    }
    hyps_ = std::move(next);
  }
}

DecodeResult BeamSearch::best() const {
  auto it = std::max_element(hyps_.begin(), hyps_.end(), [](const auto& a, const auto& b) {
    return a.result.log_prob < b.result.log_prob;
  });
  return it->result;
}

DecodeResult modified_beam_search(Transducer& model, const torch::Tensor& enc,
                                  const BeamSearchOptions& options) {
  BeamSearch search(model, options);
  search.advance(enc);
  return search.best();
}

}  // namespace omnisparse
