// The work behind `omnisparse pareto` (and the demo's last stage): evaluate a run's
// sub-networks straight from the supernet into RUN/results.h5 and mark its Pareto front.
//
//   ParetoJobConfig c;
//   c.run = "runs/omni"; c.data = "corpus";             // uses corpus/dev
//   c.budgets = {"0.3"};  c.evo.generations = 3;        // plus a search under 30 % of dense nnz
//   ParetoJobReport r = run_pareto_job(c);
//   for (const SubnetResult& s : r.front) ...           // ascending size
//
// 1. A uniform sweep over `levels` (default: the run's ladder from run.json).
// 2. An evolutionary search (evo_search.h) per budget; fitness = WER on the first `subset`
//    utterances of the set (stored as set "<set>-first<N>"; the whole set when subset is 0 or
//    covers it). Each search's best is then evaluated on the whole set.
// 3. The front: the non-dominated rows of (non-zero parameters, WER on the set).
// 4. More sets (`also`, e.g. a real-voice set beside the synthetic dev set): every row with a
//    WER on the set (the sweep and each search's winner; not the searches' candidates) is
//    evaluated on each of them too, stored under the set's name, and each gets its own front.
// Every evaluation is written to results.h5 as soon as it is measured (a kill loses at most the
// one in progress), and configs already evaluated on a set are never evaluated again: a re-run
// adds, never redoes. The ranks go into results.h5 once (the workbench's mask panel reads them);
// a results.h5 whose ranks differ from the run's (trained further since) is refused rather than
// mixed with new rows, as is one of another model (FormatError naming the file; nothing lost).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/eval/evaluator.h"
#include "core/eval/evo_search.h"
#include "core/io/results_store.h"
#include "core/io/run_cost.h"
#include "core/sparsity/ladder.h"

namespace omnisparse {

// An evaluation set besides the main one: `data` is a corpus root (its test/), a subset
// directory or a manifest (corpus.h's read_subset); rows are stored under `name`.
struct ExtraEvalSet {
  std::string name;
  std::filesystem::path data;
};

// "NAME=PATH", or "PATH" named by what it resolves to ("b.tsv" -> "b", corpus/test -> "test").
ExtraEvalSet parse_extra_eval_set(const std::string& text);

struct ParetoJobConfig {
  std::filesystem::path run;
  std::filesystem::path data;     // corpus root or a subset directory
  std::string set = "dev";        // subset of `data` (when it is a root)
  std::vector<double> levels;     // uniform sweep; empty: the run's ladder
  bool sweep = true;
  bool oneshot = false;           // dense run: prune its final weights one-shot
  std::vector<std::string> budgets;  // one search per budget (evo_search.h: parse_size_budget)
  SizeMetric budget_metric = SizeMetric::kNonzeroParams;  // what a fraction budget refers to
  EvoConfig evo;
  int64_t subset = 0;             // search fitness on the first N utterances; 0: all
  std::vector<ExtraEvalSet> also; // more sets: the main set's rows evaluated on each
  EvalOptions eval;
  bool progress = true;
  // Measures how fast the selected sub-network (its masks are set on `bundle`) streams, and
  // overwrites the row's rtf and latency_ms with that. The CLI passes one built on
  // core/stream (sparse kernels, 320 ms chunks: cli/stream_timing.h); without it, rows keep the
  // batched decode's timing from evaluate_subnet.
  std::function<void(ModelBundle& bundle, const EvalSet& set, SubnetResult& row)> stream_timing;

  // InvalidArgument naming the bad value (a level outside [0, 1), a negative subset, two sets
  // of one name, ...).
  void Validate() const;
};

struct SearchSummary {
  std::string budget_text;
  SizeMetric metric = SizeMetric::kNonzeroParams;
  int64_t budget = 0;           // resolved, in the metric's unit
  int64_t min_size = 0;         // the sparsest config's size
  std::string best_id;
  double best_fitness = 0;      // WER on the fitness set
  std::vector<double> best_per_generation;
  int64_t evaluated = 0, cached = 0;
};

// The front on one of the extra sets.
struct SetFront {
  std::string set;
  std::filesystem::path data;     // what it resolved to
  int64_t set_utterances = 0;
  int64_t rows = 0;               // rows evaluated on it
  int64_t evaluated = 0;          // of them, now
  std::vector<SubnetResult> front;  // ascending non-zero parameters
};

struct ParetoJobReport {
  std::filesystem::path results;  // RUN/results.h5
  std::string set;                // the set name rows are stored under ("dev"; "b" for b.tsv)
  std::string fitness_set;        // the search's set ("dev-first200" or `set`)
  int64_t set_utterances = 0;
  int64_t evaluated = 0;          // evaluations run now
  int64_t cached = 0;             // requests answered from results.h5
  int64_t rows = 0;               // rows of results.h5 evaluated on `set`
  int64_t dense_nonzero = 0, dense_bytes = 0;
  RunCost cost;                   // what training the run cost (with its --init-from parent)
  std::vector<SubnetResult> front;  // ascending non-zero parameters
  std::vector<SearchSummary> searches;
  std::vector<SetFront> also;     // one per ParetoJobConfig::also, in order
};

// `on_result` sees every row right after it was written to results.h5.
// The run's sparsity ladder: run.json's config.omni.ladder; the default ladder when its config
// has none (dense and gmp runs). FormatError naming RUN/run.json and the key when the ladder is
// there but malformed (never silently the default).
Ladder run_ladder(const std::filesystem::path& run);

ParetoJobReport run_pareto_job(const ParetoJobConfig& config,
                               const std::function<void(const SubnetResult&)>& on_result = {});

// The front of `rows` on `set`: ids of the non-dominated rows of (nonzero_params, WER), rows
// without a WER on `set` left out; ascending size.
std::vector<std::string> front_ids(const std::vector<SubnetResult>& rows, const std::string& set);

}  // namespace omnisparse
