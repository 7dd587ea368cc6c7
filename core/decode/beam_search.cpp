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

// The k-th largest log_prob of `hyps` (1-based), or -inf when there are fewer than k.
double kth_best(const std::vector<BeamSearch::Hypothesis>& hyps, int k) {
  if (static_cast<int>(hyps.size()) < k) return -INFINITY;
  std::vector<double> lp;
  lp.reserve(hyps.size());
  for (const auto& h : hyps) lp.push_back(h.result.log_prob);
  std::nth_element(lp.begin(), lp.begin() + (k - 1), lp.end(), std::greater<>());
  return lp[static_cast<size_t>(k - 1)];
}

}  // namespace

void BeamSearchOptions::Validate() const {
  if (beam < 1) throw InvalidArgument("beam must be at least 1, got " + std::to_string(beam));
  if (max_symbols_per_frame < 1)
    throw InvalidArgument("max_symbols_per_frame must be at least 1, got " +
                          std::to_string(max_symbols_per_frame));
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
  for (int64_t t = 0; t < enc.size(0); ++t, ++frame_) advance_frame(ep[t]);
}

void BeamSearch::advance_frame(const torch::Tensor& ep) {
  const int64_t V = model_->config().vocab_size;
  const int beam = options_.beam;
  std::vector<Hypothesis> done;  // hypotheses that ended this frame, distinct token sequences
  std::map<std::vector<int64_t>, size_t> done_at;
  std::vector<Hypothesis> live = std::move(hyps_);  // still in this frame
  for (int s = 0; s < options_.max_symbols_per_frame && !live.empty(); ++s) {
    const bool last = s + 1 == options_.max_symbols_per_frame;
    const auto K = static_cast<int64_t>(live.size());
    std::vector<torch::Tensor> pps;
    std::vector<double> base;
    for (const auto& h : live) {
      pps.push_back(h.pred_proj);
      base.push_back(h.result.log_prob);
    }
    auto logp = model_->joiner->combine(ep.unsqueeze(0), torch::stack(pps))  // [K, V]
                    .log_softmax(-1)
                    .to(torch::kCPU, torch::kDouble);
    auto scores = (logp + torch::tensor(base, torch::kDouble).unsqueeze(1)).flatten();  // [K*V]
    auto [top, idx] = scores.topk(std::min<int64_t>(beam, K * V));  // sorted, best first
    const double floor = kth_best(done, beam);  // a live extension below it cannot make the beam

    std::vector<Hypothesis> next;
    struct Grow {
      bool done;
      size_t index;
      int64_t token;
    };
    std::vector<Grow> grow;  // extensions whose predictor must consume their new token
    for (int64_t i = 0; i < top.size(0); ++i) {
      const double score = top[i].item<double>();
      const int64_t flat = idx[i].item<int64_t>();
      const Hypothesis& parent = live[static_cast<size_t>(flat / V)];
      const int64_t v = flat % V;
      const bool ends_frame = v == kBlankId || last;
      if (!ends_frame && score < floor) continue;
      std::vector<int64_t> tokens = parent.result.tokens;
      if (v != kBlankId) tokens.push_back(v);
      if (ends_frame) {
        auto it = done_at.find(tokens);
        if (it != done_at.end()) {  // same token sequence by another path: merge
          done[it->second].result.log_prob = log_add(done[it->second].result.log_prob, score);
          continue;
        }
      }
      Hypothesis h = parent;
      h.result.log_prob = score;
      if (v != kBlankId) {
        h.result.tokens = tokens;
        h.result.frames.push_back(frame_);
      }
      auto& into = ends_frame ? done : next;
      if (v != kBlankId) grow.push_back({ends_frame, into.size(), v});
      if (ends_frame) done_at.emplace(std::move(tokens), done.size());
      into.push_back(std::move(h));
    }

    // One batched predictor step for all extensions that grew a token.
    if (!grow.empty()) {
      std::vector<int64_t> toks;
      std::vector<torch::Tensor> hs, cs;
      for (const Grow& g : grow) {
        const Hypothesis& h = g.done ? done[g.index] : next[g.index];
        toks.push_back(g.token);
        hs.push_back(h.state.h);
        cs.push_back(h.state.c);
      }
      auto in = torch::tensor(toks, torch::kLong).to(ep.device()).unsqueeze(1);  // [N, 1]
      auto [pred, st] = model_->predict(in, LSTMState{torch::cat(hs, 1), torch::cat(cs, 1)});
      auto pp = model_->joiner->project_pred(pred.select(1, 0));  // [N, J]
      for (size_t j = 0; j < grow.size(); ++j) {
        const auto n = static_cast<int64_t>(j);
        Hypothesis& h = grow[j].done ? done[grow[j].index] : next[grow[j].index];
        h.state = LSTMState{st.h.narrow(1, n, 1), st.c.narrow(1, n, 1)};
        h.pred_proj = pp[n];
      }
    }
    live = std::move(next);
  }
  if (static_cast<int>(done.size()) > beam) {
    std::partial_sort(done.begin(), done.begin() + beam, done.end(), [](const auto& a, const auto& b) {
      return a.result.log_prob > b.result.log_prob;
    });
    done.resize(static_cast<size_t>(beam));
  }
  hyps_ = std::move(done);
}

DecodeResult BeamSearch::best() const {
  auto it = std::max_element(hyps_.begin(), hyps_.end(), [](const auto& a, const auto& b) {
    return a.result.log_prob < b.result.log_prob;
  });
  return it->result;
}

DecodeResult beam_search(Transducer& model, const torch::Tensor& enc,
                         const BeamSearchOptions& options) {
  BeamSearch search(model, options);
  search.advance(enc);
  return search.best();
}

}  // namespace omnisparse
