// omnisparse eval: WER/CER with I/D/S of a run's model (any sub-network) or an exported model,
// on one or more sets (a block, or with --json a line, per set).
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "app/cli/command.h"
#include "app/cli/model_source.h"
#include "core/common/error.h"
#include "core/data/corpus.h"
#include "core/data/manifests.h"
#include "core/eval/evaluator.h"
#include "core/eval/trn.h"

namespace omnisparse::cli {

namespace {

struct EvalArgs {
  ModelSourceArgs model;
  std::vector<std::string> data;
  std::string out;
  int beam = 0;
  int max_symbols = 3;
  int worst = 5;
};

void eval_one(LoadedModel& m, const EvalArgs& a, const std::string& data, bool several) {
  const auto subset = resolve_subset(data, "test");
  EvalSet set = EvalSet::Load(read_subset(subset), m.bundle().fbank, !globals().quiet && !globals().json);
  EvalOptions opts;
  opts.beam = a.beam;
  opts.max_symbols_per_frame = a.max_symbols;
  opts.progress = !globals().quiet && !globals().json;
  EvalReport r = evaluate(m.bundle(), set, opts);

  // sclite-style hyp/ref files next to the model (or in --out).
  // With several sets, --out holds one folder per set.
  const std::string name = "eval-" + subset_name(subset) + "-" + m.tag();
  std::filesystem::path out = a.out.empty() ? m.default_output_dir() / name
                              : several     ? std::filesystem::path(a.out) / name
                                            : std::filesystem::path(a.out);
  std::vector<std::pair<std::string, std::string>> hyp, ref;
  for (const auto& u : r.utterances) {
    hyp.emplace_back(u.id, u.hyp);
    ref.emplace_back(u.id, u.ref);
  }
  write_trn(out / "hyp.trn", hyp);
  write_trn(out / "ref.trn", ref);

  const auto& w = r.score.words;
  const auto& c = r.score.chars;
  if (globals().json) {
    nlohmann::json j = {{"model", m.description()}, {"data", subset.string()},
                        {"utterances", r.num_utts}, {"wer", w.rate()}, {"cer", c.rate()},
                        {"sub", w.sub}, {"del", w.del}, {"ins", w.ins}, {"ref_words", w.ref},
                        {"char_sub", c.sub}, {"char_del", c.del}, {"char_ins", c.ins}, {"ref_chars", c.ref},
                        {"rtf", r.rtf}, {"audio_s", r.audio_s}, {"decode_s", r.decode_s},
                        {"beam", a.beam}, {"max_symbols", a.max_symbols}, {"nnz", m.nonzero_params()}, {"trn_dir", out.string()}};
    std::cout << j.dump() << "\n" << std::flush;  // one line per set
    return;
  }
  std::cout << fmt::format("model   {}\ndata    {} ({} utterances, {:.1f} min)\n", m.description(),
                           subset.string(), r.num_utts, r.audio_s / 60);
  std::cout << fmt::format("WER     {:.2f} %  [S {} D {} I {} / {} words]\n", 100 * w.rate(), w.sub,
                           w.del, w.ins, w.ref);
  std::cout << fmt::format("CER     {:.2f} %  [S {} D {} I {} / {} chars]\n", 100 * c.rate(), c.sub,
                           c.del, c.ins, c.ref);
  std::cout << fmt::format("RTF     {:.4f} ({} decoding, up to {} symbols per frame, 1 thread)\n",
                           r.rtf, a.beam > 1 ? fmt::format("beam {}", a.beam) : "greedy",
                           a.max_symbols);
  std::cout << fmt::format("trn     {}/hyp.trn, ref.trn\n", out.string());
  if (a.worst > 0 && !r.score.worst.empty()) {
    std::cout << "\nworst utterances:\n";
    int n = 0;
    for (const auto& u : r.score.worst) {
      if (n++ >= a.worst) break;
      std::cout << u.alignment << "\n";
    }
  }
}

void run_eval(const EvalArgs& a) {
  LoadedModel m = load_model(a.model);
  for (size_t i = 0; i < a.data.size(); ++i) {
    if (i > 0 && !globals().json) std::cout << "\n";
    eval_one(m, a, a.data[i], a.data.size() > 1);
  }
}

}  // namespace

static void eval_command(CLI::App& root) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* c = root.add_subcommand("eval", "Word/character error rates (with S/D/I) on a data set");
  add_model_source_options(c, a->model);
  c->add_option("--data", a->data,
                "Corpus root (uses test/), a subset directory or a manifest; repeat to score "
                "several sets with one model load")
      ->required();
  c->add_option("--beam", a->beam, "Beam size; 0 or 1 = greedy")->check(CLI::Range(0, 64))->capture_default_str();
  c->add_option("--max-symbols", a->max_symbols, "Most symbols emitted per encoder frame (greedy and beam)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  c->add_option("--out", a->out, "Directory for hyp.trn/ref.trn (default: in the run or next to the model)");
  c->add_option("--worst", a->worst, "Show the N worst utterances with alignments")->capture_default_str();
  c->callback([a] { run_eval(*a); });
}
OMNISPARSE_COMMAND(40, eval_command);

}  // namespace omnisparse::cli
