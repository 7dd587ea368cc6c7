#include "core/decode/beam_search.h"

#include <string>

#include "core/common/error.h"

namespace omnisparse {

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
  auto start = torch::full({1, 1}, TransducerConfig::kBlank,
                           torch::TensorOptions().dtype(torch::kLong).device(device));
  auto [pred, state] = model_->predict(start);
  hyps_.push_back(Hypothesis{{}, {state, model_->joiner->project_pred(pred[0][0])}});
}

void BeamSearch::advance(const torch::Tensor& enc_in) {
  torch::NoGradGuard ng;
  auto enc = enc_in.dim() == 3 ? enc_in[0] : enc_in;  // [t, D]
  if (enc.size(0) == 0) return;
  auto ep = model_->joiner->project_enc(enc);  // [t, J]
  const int64_t V = model_->config().vocab_size;
  for (int64_t t = 0; t < enc.size(0); ++t, ++frame_) {
    // One joiner call for all live hypotheses of a sub-step.
    auto log_probs = [&](const std::vector<Hypothesis>& live, std::vector<double>& out) {
      std::vector<torch::Tensor> pps;
      for (const auto& h : live) pps.push_back(h.state.pred_proj);
      auto lp = model_->joiner->combine(ep[t].unsqueeze(0), torch::stack(pps))  // [K, V]
                    .log_softmax(-1)
                    .to(torch::kCPU, torch::kDouble)
                    .contiguous();
      out.assign(lp.data_ptr<double>(), lp.data_ptr<double>() + lp.numel());
    };
    // One predictor step for all hypotheses that grew a token.
    auto grow = [&](const std::vector<Hypothesis*>& hyps, const std::vector<int64_t>& tokens) {
      std::vector<torch::Tensor> hs, cs;
      for (const Hypothesis* h : hyps) {
        hs.push_back(h->state.lstm.h);
        cs.push_back(h->state.lstm.c);
      }
      auto in = torch::tensor(tokens, torch::kLong).to(ep.device()).unsqueeze(1);  // [N, 1]
      auto [pred, st] = model_->predict(in, LSTMState{torch::cat(hs, 1), torch::cat(cs, 1)});
      auto pp = model_->joiner->project_pred(pred.select(1, 0));  // [N, J]
      for (size_t j = 0; j < hyps.size(); ++j) {
        const auto n = static_cast<int64_t>(j);
        hyps[j]->state = {LSTMState{st.h.narrow(1, n, 1), st.c.narrow(1, n, 1)}, pp[n]};
      }
    };
    beam_detail::advance_frame(hyps_, frame_, options_, V, log_probs, grow);
  }
}

DecodeResult BeamSearch::best() const { return beam_detail::best(hyps_); }

DecodeResult beam_search(Transducer& model, const torch::Tensor& enc,
                         const BeamSearchOptions& options) {
  BeamSearch search(model, options);
  search.advance(enc);
  return search.best();
}

}  // namespace omnisparse
