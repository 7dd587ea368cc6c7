// End-to-end streaming real-time factor of the recognizer at sparsity 0..95 %: LibTorch path
// vs our kernels (every layer dense, and the measured per-layer choice), in one run, plus the
// share of the kernel path's time spent in the pruned layers (Amdahl's bound on what sparsity
// can buy end to end). Prints a markdown table (experiments/sparse_kernels/STREAM_RTF.md).
//
//   bench_stream_rtf [--preset tiny|small] [--run RUN | --model FILE] [--audio FILE]
//                    [--granularity unstructured|block4x4|block1x4] [--seconds 30]
//                    [--chunk-ms 320] [--reps 3] [--levels 0,0.5,0.7,0.8,0.9,0.95]
//
// Masks: uniform magnitude masks per layer at --granularity (a --run with frozen ranks uses
// its own ranks);
// --model FILE (an export) runs the one sub-network it holds. A random model (no --run/--model)
// has its blank bias set so that it emits ~0.4 tokens per encoder frame, like characters of
// read English (~10/s): the predictor and joiner then run as often as they would on speech.
// Features are random (--audio FILE: that file's normalised fbank, repeated to --seconds).
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/audio/audio_io.h"
#include "core/audio/fbank.h"
#include "core/common/error.h"
#include "core/eval/model_file.h"
#include "core/eval/run_model.h"
#include "core/sparsity/rank_masks.h"
#include "core/stream/streaming_recognizer.h"

using namespace omnisparse;

namespace {

struct Args {
  std::string preset = "tiny", run, model, audio, granularity = "unstructured";
  double seconds = 30, chunk_ms = 320;
  int reps = 3;
  std::vector<double> levels = {0.0, 0.5, 0.7, 0.8, 0.9, 0.95};
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--preset") a.preset = v;
    else if (k == "--run") a.run = v;
    else if (k == "--model") a.model = v;
    else if (k == "--audio") a.audio = v;
    else if (k == "--granularity") a.granularity = v;
    else if (k == "--seconds") a.seconds = std::stod(v);
    else if (k == "--chunk-ms") a.chunk_ms = std::stod(v);
    else if (k == "--reps") a.reps = std::stoi(v);
    else if (k == "--levels") {  // comma-separated, e.g. 0.9,0.95
      a.levels.clear();
      for (size_t p = 0; p < v.size();) {
        const size_t q = std::min(v.find(',', p), v.size());
        a.levels.push_back(std::stod(v.substr(p, q - p)));
        p = q + 1;
      }
    }
    else throw InvalidArgument("unknown option " + k);
  }
  return a;
}

// Uniform magnitude masks (the sparsity engine's ranks: by |w|, or tiles by L2 norm).
void magnitude_masks(Transducer& m, double s, const Granularity& g) {
  torch::NoGradGuard ng;
  for (const auto& l : m->prunable_layers()) {
    *l.mask = s <= 0 ? torch::Tensor() : mask_at(compute_ranks(l.weight, g), s).to(torch::kFloat);
  }
}

TokensToText no_text() {
  return [](const std::vector<int64_t>&) { return std::string(); };
}

struct Timing {
  double seconds = 0;  // median decode time of the whole input
  std::vector<int64_t> tokens;
  KernelProfile profile;  // from one extra, profiled pass (kernel paths)
  double profiled_s = 0;  // that pass's total
};

// "yes", or where the first token sequence that differs from `ref` does.
std::string agreement(const std::vector<int64_t>& ref, const std::vector<int64_t>& a,
                      const std::vector<int64_t>& b) {
  for (const auto* o : {&a, &b}) {
    if (*o == ref) continue;
    size_t i = 0;
    while (i < ref.size() && i < o->size() && ref[i] == (*o)[i]) ++i;
    return "no: " + std::string(o == &a ? "dense kernels" : "auto") + " differs from torch at token " +
           std::to_string(i) + " of " + std::to_string(ref.size());
  }
  return "yes";
}

Timing decode(const StreamingRecognizer& rec, const at::Tensor& feats, double chunk_ms, int reps) {
  const int64_t piece = std::max<int64_t>(1, std::llround(chunk_ms / 10.0));
  auto once = [&](KernelProfile* p) {  // -> (seconds, tokens)
    auto s = rec.create_stream();
    s->set_kernel_profile(p);
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t t = 0; t < feats.size(0); t += piece) {
      s->accept_features(feats.narrow(0, t, std::min(piece, feats.size(0) - t)));
      s->decode();
    }
    s->input_finished();
    s->decode();
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::make_pair(dt, s->result().tokens);
  };
  Timing out;
  std::vector<double> times;
  for (int r = 0; r < reps; ++r) {
    auto [dt, tokens] = once(nullptr);
    times.push_back(dt);
    out.tokens = tokens;
  }
  std::sort(times.begin(), times.end());
  out.seconds = times[times.size() / 2];
  if (rec.engine()) out.profiled_s = once(&out.profile).first;
  return out;
}

// A random model's blank logit barely moves from frame to frame (a random LSTM stack varies
// little), so it emits on every frame or on none. As in tests/stream/emitting_model.cpp: let
// blank read only joiner unit 0, which sees only the encoder, standardised over the frames.
void make_blank_frame_dependent(Transducer& m, const at::Tensor& feats) {
  torch::NoGradGuard ng;
  m->joiner->pred_proj->weight[0].zero_();
  m->joiner->pred_proj->bias[0].zero_();
  m->joiner->out->weight[0].zero_();
  m->joiner->out->weight[0][0] = 8.0;
  const int64_t t = std::min<int64_t>(feats.size(0), 1000);
  auto enc = m->encode(feats.narrow(0, 0, t).unsqueeze(0), torch::tensor({t})).enc[0];
  auto u0 = m->joiner->project_enc(enc).select(1, 0);
  const double mu = u0.mean().item<double>(), sd = u0.std().item<double>();
  m->joiner->enc_proj->weight[0].mul_(2.0 / sd);
  m->joiner->enc_proj->bias[0] = (m->joiner->enc_proj->bias[0] - mu) * (2.0 / sd);
}

// Sets joiner.out's blank bias so that the model emits about `rate` tokens per encoder frame
// on the first 10 s of `feats` (bisection on the kernel path; the bias is not pruned).
void calibrate_emission_rate(Transducer& m, const at::Tensor& feats, double rate) {
  torch::NoGradGuard ng;
  const int64_t t = std::min<int64_t>(feats.size(0), 1000);
  const double frames = static_cast<double>(t / m->config().frame_stacking);
  auto b0 = m->joiner->out->bias[0];
  const float base = b0.item<float>();
  double lo = -40, hi = 40;
  StreamingOptions o;
  o.chunk_ms = 100000;
  o.kernels = Kernels::kDense;  // no calibration: 16 recognizers are built here
  for (int i = 0; i < 16; ++i) {
    const double mid = 0.5 * (lo + hi);
    b0.fill_(base + mid);
    StreamingRecognizer rec(m, no_text(), o);
    auto s = rec.create_stream();
    s->accept_features(feats.narrow(0, 0, t));
    s->input_finished();
    s->decode();
    const double got = static_cast<double>(s->result().tokens.size()) / frames;
    (got > rate ? lo : hi) = mid;  // more blank bias -> fewer tokens
  }
  b0.fill_(base + 0.5 * (lo + hi));
}

// The smallest gap between the best and second-best logit over the decisions of the
// full-utterance greedy search (LibTorch): when paths disagree, this shows whether a decision
// was within float rounding (~1e-5) of a tie.
// -> (margin, tokens of that full-utterance search)
std::pair<double, int64_t> min_top2_margin(Transducer& m, const at::Tensor& feats, int max_symbols) {
  torch::NoGradGuard ng;
  auto enc = m->encode(feats.unsqueeze(0), torch::tensor({feats.size(0)})).enc[0];  // [T', D]
  auto ep = m->joiner->project_enc(enc);
  auto [pred, state] = m->predict(torch::zeros({1, 1}, torch::kLong));
  auto pp = m->joiner->project_pred(pred[0][0]);
  double margin = 1e30;
  int64_t emitted = 0;
  for (int64_t t = 0; t < ep.size(0); ++t) {
    for (int s = 0; s < max_symbols; ++s) {
      auto top = std::get<0>(m->joiner->combine(ep[t], pp).topk(2));
      margin = std::min(margin, (top[0] - top[1]).item<double>());
      const int64_t k = m->joiner->combine(ep[t], pp).argmax().item<int64_t>();
      if (k == 0) break;
      ++emitted;
      auto [p2, st2] = m->predict(torch::full({1, 1}, k, torch::kLong), state);
      state = st2;
      pp = m->joiner->project_pred(p2[0][0]);
    }
  }
  return {margin, emitted};
}

// max |enc_kernels - enc_torch| over the utterance, and max |enc_torch|.
std::pair<double, double> encoder_difference(Transducer& m, const SparseTransducer& e,
                                             const at::Tensor& feats) {
  torch::NoGradGuard ng;
  auto ref = m->encode(feats.unsqueeze(0), torch::tensor({feats.size(0)})).enc[0];  // [T', D]
  auto st = e.start_encoder();
  std::vector<float> enc;
  auto f = feats.contiguous();
  const int64_t n = e.encode_chunk(f.data_ptr<float>(), f.size(0), st, enc);
  auto got = torch::from_blob(enc.data(), {m->config().encoder_dim, n}).t();
  return {(got - ref).abs().max().item<double>(), ref.abs().max().item<double>()};
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) try {
  const Args a = parse(argc, argv);
  const Granularity granularity = Granularity::Parse(a.granularity);
  at::set_num_threads(1);
  torch::manual_seed(0);
  std::optional<RunModel> rm;
  std::optional<LoadedExport> ex;
  Transducer model{nullptr};
  std::string source = "random " + a.preset + " preset";
  if (!a.run.empty()) {
    rm.emplace(RunModel::Load(a.run));
    model = rm->bundle.model;
    source = "run " + a.run;
  } else if (!a.model.empty()) {
    ex.emplace(load_export(a.model));
    model = ex->bundle.model;
    source = "export " + a.model;
  } else {
    TransducerConfig c = preset(a.preset);
    c.dropout = 0;
    model = Transducer(c);
  }
  model->eval();
  const int64_t T = std::llround(a.seconds * 100.0);  // 10 ms feature frames
  at::Tensor feats;
  if (!a.audio.empty() && (rm || ex)) {
    ModelBundle& b = rm ? rm->bundle : ex->bundle;
    const std::vector<float> w = read_audio_16k(a.audio);
    OnlineFbank fb(b.fbank);
    fb.accept_waveform(w.data(), w.size());
    fb.input_finished();
    auto f = b.stats.apply(fb.pop_frames());  // [t, 80]
    feats = f.repeat({T / f.size(0) + 1, 1}).narrow(0, 0, T).contiguous();
    source += ", audio " + a.audio;
  } else {
    feats = torch::randn({T, model->config().feat_dim});
  }
  if (!rm && !ex) make_blank_frame_dependent(model, feats);  // before ranking: out[0][0] is kept
  std::printf("# streaming RTF, %s\n\n", source.c_str());
  std::printf("- %.0f s of features, chunk %.0f ms, masks %s, 1 thread, median of %d passes; "
              "ISA %s\n", a.seconds, a.chunk_ms, rm || ex ? "of the model" : a.granularity.c_str(),
              a.reps, kernels::isa_name(kernels::best_isa()));
  std::printf("- load average at start: %s\n\n", load_average().c_str());
  std::printf("| sparsity | torch RTF | kernels dense RTF | kernels auto RTF | auto vs torch | "
              "auto vs dense kernels | pruned-layer share (dense kernels) | pruned share (auto) | "
              "pruned layers speed-up | Amdahl bound | ideal | layers | tokens | same tokens |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::fflush(stdout);
  std::vector<double> levels = a.levels;
  if (ex) levels = {-1};
  const double audio_s = static_cast<double>(T) / 100.0;
  std::vector<std::string> notes;
  for (double s : levels) {
    if (rm) {
      if (rm->ranks) rm->select(rm->uniform(s));
      else magnitude_masks(model, s, granularity);
    } else if (!ex) {
      magnitude_masks(model, s, granularity);
      make_blank_frame_dependent(model, feats);  // re-standardise unit 0 for this sub-network
      calibrate_emission_rate(model, feats, 0.4);
    }
    StreamingOptions o;
    o.chunk_ms = a.chunk_ms;
    o.kernels = Kernels::kTorch;
    StreamingRecognizer torch_rec(model, no_text(), o);
    o.kernels = Kernels::kDense;
    StreamingRecognizer dense_rec(model, no_text(), o);
    o.kernels = Kernels::kAuto;
    StreamingRecognizer auto_rec(model, no_text(), o);
    const Timing t = decode(torch_rec, feats, a.chunk_ms, a.reps);
    const Timing d = decode(dense_rec, feats, a.chunk_ms, a.reps);
    const Timing k = decode(auto_rec, feats, a.chunk_ms, a.reps);
    // Pruned-layer share of the profiled pass (its timer costs ~50 ns per multiply).
    const double share_d = d.profile.pruned_s / d.profiled_s;
    const double share_k = k.profile.pruned_s / k.profiled_s;
    const double layer_speedup = d.profile.pruned_s / k.profile.pruned_s;  // same work
    const double amdahl = 1.0 / ((1.0 - share_d) + share_d / layer_speedup);
    const double sp = s < 0 ? 0.0 : s;
    const double ideal = 1.0 / ((1.0 - share_d) + share_d * (1.0 - sp));
    std::string label = s < 0 ? "export" : std::to_string(static_cast<int>(std::lround(s * 100))) + " %";
    std::printf("| %s | %.4f | %.4f | %.4f | %.2fx | %.2fx | %.0f %% | %.0f %% | %.2fx | %.2fx | "
                "%.2fx | %s | %zu | %s |\n",
                label.c_str(), t.seconds / audio_s, d.seconds / audio_s, k.seconds / audio_s,
                t.seconds / k.seconds, d.seconds / k.seconds, 100 * share_d, 100 * share_k,
                layer_speedup, amdahl, ideal, kernel_summary(auto_rec.engine()->layers()).c_str(),
                k.tokens.size(), agreement(t.tokens, d.tokens, k.tokens).c_str());
    std::fflush(stdout);
    if (t.tokens != k.tokens || t.tokens != d.tokens) {
      const auto [diff, scale] = encoder_difference(model, *auto_rec.engine(), feats);
      const auto [margin, full] = min_top2_margin(model, feats, 3);
      notes.push_back(label + ": tokens torch streaming " + std::to_string(t.tokens.size()) +
                      ", torch full-utterance " + std::to_string(full) + ", dense kernels " +
                      std::to_string(d.tokens.size()) + ", auto " + std::to_string(k.tokens.size()) +
                      "; smallest top-2 logit margin of the full-utterance decisions " +
                      std::to_string(margin) + "; max |enc kernels - enc torch| " +
                      std::to_string(diff) + " (max |enc| " + std::to_string(scale) + ")");
    }
  }
  for (const auto& n : notes) std::printf("\n- %s", n.c_str());
  std::printf("\n- load average at end: %s\n", load_average().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "bench_stream_rtf: %s\n", e.what());
  return 1;
}
