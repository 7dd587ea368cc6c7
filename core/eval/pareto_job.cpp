#include "core/eval/pareto_job.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "core/common/error.h"
#include "core/common/progress.h"
#include "core/data/corpus.h"
#include "core/data/manifests.h"
#include "core/eval/pareto.h"
#include "core/eval/run_model.h"
#include "core/eval/subnet_eval.h"
#include "core/io/run_cost.h"
#include "core/io/run_dir.h"

namespace omnisparse {

namespace fs = std::filesystem;

void ParetoJobConfig::Validate() const {
  for (double s : levels) {
    if (!(s >= 0 && s < 1))
      throw InvalidArgument(fmt::format("sparsity level {} is outside [0, 1)", s));
  }
  if (subset < 0) throw InvalidArgument("--subset must be >= 0 (0: the whole set)");
  if (set.empty()) throw InvalidArgument("the evaluation set name is empty");
  std::set<std::string> names;
  for (const ExtraEvalSet& x : also) {
    if (x.name.empty() || x.name.find_first_of("/\\ \t") != std::string::npos)
      throw InvalidArgument("evaluation set name '" + x.name +
                            "' must be non-empty, without slashes or spaces");
    if (x.name == set || x.name.rfind(set + "-first", 0) == 0 || !names.insert(x.name).second)
      throw InvalidArgument("two evaluation sets are named '" + x.name +
                            "': name them with NAME=PATH");
  }
  evo.Validate();
}

ExtraEvalSet parse_extra_eval_set(const std::string& text) {
  ExtraEvalSet x;
  const auto eq = text.find('=');
  if (eq != std::string::npos) {
    x.name = text.substr(0, eq);
    x.data = text.substr(eq + 1);
  } else {
    x.data = text;
  }
  if (x.data.empty()) throw InvalidArgument("evaluation set '" + text + "': no path");
  if (x.name.empty()) {
    const fs::path resolved = resolve_subset(x.data, "test");
    x.name = subset_name(resolved);
  }
  return x;
}

std::vector<std::string> front_ids(const std::vector<SubnetResult>& rows, const std::string& set) {
  std::vector<ParetoPoint> pts;
  std::vector<size_t> row_of;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto it = rows[i].evals.find(set);
    if (it == rows[i].evals.end() || std::isnan(it->second.wer)) continue;
    pts.push_back({static_cast<double>(rows[i].nonzero_params), it->second.wer});
    row_of.push_back(i);
  }
  std::vector<std::string> ids;
  for (size_t k : pareto_front(pts)) ids.push_back(rows[row_of[k]].id);
  return ids;
}

namespace {

bool has_eval(const ResultsStore& store, const std::string& id, const std::string& set) {
  auto row = store.get(id);
  if (!row) return false;
  auto it = row->evals.find(set);
  return it != row->evals.end() && !std::isnan(it->second.wer);
}

// Saves the run's ranks once; refuses a results.h5 that was filled from other ranks.
void check_or_save_ranks(ResultsStore& store, const RankSet& ranks) {
  const NamedTensors current = ranks.tensors();
  if (store.rank_names().empty()) {
    std::map<std::string, at::Tensor> m(current.begin(), current.end());
    store.save_ranks(m);
    return;
  }
  for (const auto& [name, t] : current) {
    at::Tensor stored;
    try {
      stored = store.load_ranks(name);
    } catch (const FormatError&) {
      stored = at::Tensor();
    }
    if (!stored.defined() || !stored.sizes().equals(t.sizes()) ||
        !at::equal(stored.to(at::kLong), t.to(at::kLong))) {
      throw FormatError(store.path(),
                        "holds results of other sparsity ranks than the run's newest checkpoint "
                        "(layer '" + name + "'; trained further since?): move it away to "
                        "evaluate this checkpoint");
    }
  }
}

class Job {
 public:
  Job(const ParetoJobConfig& c, const std::function<void(const SubnetResult&)>& cb)
      : c_(c), cb_(cb), rm_(RunModel::Load(c.run, c.oneshot)), ladder_(run_ladder(c.run)) {}

  ParetoJobReport run() {
    const bool sparse_wanted = !c_.budgets.empty() || has_sparse_level();
    if (!rm_.ranks && sparse_wanted)
      throw InvalidArgument(c_.run.string() + " is a " + rm_.mode +
                            " run without sparsity ranks: add --oneshot to prune its final "
                            "weights one-shot (no retraining)");
    std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
    for (const auto& s : rm_.specs) shapes.push_back({s.name, {s.rows, s.cols}});
    store_.emplace(ResultsStore::open_or_create(RunDir::open(c_.run).results_path(),
                                                layers_fingerprint(shapes), names_of(rm_.specs)));
    if (rm_.ranks) check_or_save_ranks(*store_, *rm_.ranks);
    r_.cost = read_run_cost(RunDir::open(c_.run));
    const std::string cost = r_.cost.to_json().dump();
    if (store_->training_cost() != cost) store_->set_training_cost(cost);

    const fs::path dir = resolve_subset(c_.data, c_.set);
    r_.results = store_->path();
    r_.set = subset_name(dir);
    set_ = EvalSet::Load(read_subset(dir), rm_.bundle.fbank, c_.progress);
    r_.set_utterances = static_cast<int64_t>(set_.size());
    const SubnetResult dense = describe_subnet(rm_, rm_.uniform(0.0), "sweep");
    r_.dense_nonzero = dense.nonzero_params;
    r_.dense_bytes = dense.bytes_sparse;

    for (const std::string& b : c_.budgets) check_budget(b);  // before any work
    if (c_.sweep) sweep();
    for (const std::string& b : c_.budgets) search(b);

    const std::vector<std::string> ids = front_ids(store_->all(), r_.set);
    store_->set_pareto(ids);
    for (const std::string& id : ids) r_.front.push_back(*store_->get(id));
    for (const auto& row : store_->all()) r_.rows += row.evals.count(r_.set) ? 1 : 0;
    for (const ExtraEvalSet& x : c_.also) r_.also.push_back(extra_set(x));
    return r_;
  }

 private:
  bool has_sparse_level() const {
    if (!c_.sweep) return false;
    if (c_.levels.empty()) return ladder_.levels.size() > 1;
    for (double s : c_.levels)
      if (s != 0) return true;
    return false;
  }

  std::string sweep_source() const { return rm_.mode == "dense" && c_.oneshot ? "oneshot" : "sweep"; }

  // Every row with a WER on the main set, evaluated on `x` too (unless results.h5 has it).
  SetFront extra_set(const ExtraEvalSet& x) {
    SetFront f;
    f.set = x.name;
    f.data = resolve_subset(x.data, "test");
    const EvalSet set = EvalSet::Load(read_subset(f.data), rm_.bundle.fbank, c_.progress);
    f.set_utterances = static_cast<int64_t>(set.size());
    std::vector<SubnetResult> rows;
    for (const auto& row : store_->all())
      if (row.evals.count(r_.set)) rows.push_back(row);
    Progress bar("set " + x.name, static_cast<int64_t>(rows.size()), c_.progress);
    const int64_t before = r_.evaluated;
    for (const SubnetResult& row : rows) {
      const SubnetConfig config =
          SubnetConfig::FromJson(nlohmann::json::parse(row.config_json), names_of(rm_.specs));
      const SubnetResult done = ensure(config, set, x.name, row.source, row.label, /*timing=*/false);
      bar.tick(1, fmt::format("{}: WER {:.1f} %", row.id, 100 * done.evals.at(x.name).wer));
    }
    bar.finish();
    f.evaluated = r_.evaluated - before;
    f.rows = static_cast<int64_t>(rows.size());
    for (const std::string& id : front_ids(store_->all(), x.name)) f.front.push_back(*store_->get(id));
    return f;
  }
  // Evaluates `config` on `set` unless results.h5 has it; returns the stored row. The row's
  // streaming speed is measured on the main set only.
  SubnetResult ensure(const SubnetConfig& config, const EvalSet& set, const std::string& set_name,
                      const std::string& source, const std::string& label = "",
                      bool timing = true) {
    const std::string id = subnet_id(config, run_granularity(rm_));
    if (has_eval(*store_, id, set_name)) {
      ++r_.cached;
      return *store_->get(id);
    }
    SubnetResult fresh = evaluate_subnet(rm_, config, set, set_name, source, quiet());
    if (timing) time_streaming(config, set, fresh);
    else fresh.rtf = fresh.latency_ms = NAN;  // keep the main set's streaming timing
    if (!label.empty()) fresh.label = label;
    return save(fresh);
  }

  // The streaming speed of `config` (when the caller can measure it); dense selected after.
  void time_streaming(const SubnetConfig& config, const EvalSet& set, SubnetResult& row) {
    if (!c_.stream_timing) return;
    SelectedSubnet selected(rm_, config);
    c_.stream_timing(rm_.bundle, set, row);
  }

  SubnetResult save(const SubnetResult& fresh) {
    auto stored = store_->get(fresh.id);
    SubnetResult row = stored ? merge_subnet_result(*stored, fresh) : fresh;
    store_->add_or_update(row);
    ++r_.evaluated;
    if (cb_) cb_(row);
    return row;
  }

  EvalOptions quiet() const {
    EvalOptions o = c_.eval;
    o.progress = false;  // our own bars show which sub-network is being decoded
    return o;
  }

  void sweep() {
    const std::vector<double> levels = c_.levels.empty() ? ladder_.levels : c_.levels;
    Progress bar("sweep", static_cast<int64_t>(levels.size()), c_.progress);
    for (double s : levels) {
      const SubnetResult row = ensure(rm_.uniform(s), set_, r_.set, sweep_source());
      bar.tick(1, fmt::format("{:.2f}: WER {:.1f} %", s, 100 * row.evals.at(r_.set).wer));
    }
    bar.finish();
  }

  void check_budget(const std::string& text) const {
    const SizeBudget b = parse_size_budget(text, c_.budget_metric);
    const bool bytes = b.metric == SizeMetric::kBytes;
    const int64_t budget = b.resolve(bytes ? r_.dense_bytes : r_.dense_nonzero);
    const Accounting a = account_subnet(rm_, rm_.uniform(ladder_.levels.back()));
    const int64_t smallest = bytes ? a.bytes_stored : a.nnz_total;
    if (budget < smallest)
      throw InvalidArgument(fmt::format(
          "budget {} ({} {}) cannot be met: the smallest sub-network (every layer at {:.2f}) "
          "has {} (dense: {})",
          text, budget, bytes ? "bytes" : "non-zero parameters", ladder_.levels.back(), smallest,
          bytes ? r_.dense_bytes : r_.dense_nonzero));
  }

  void search(const std::string& text) {
    SearchSummary sum;
    const SizeBudget b = parse_size_budget(text, c_.budget_metric);
    sum.budget_text = text;
    sum.metric = b.metric;
    const bool bytes = b.metric == SizeMetric::kBytes;
    sum.budget = b.resolve(bytes ? r_.dense_bytes : r_.dense_nonzero);

    const bool whole = c_.subset == 0 || c_.subset >= static_cast<int64_t>(set_.size());
    const EvalSet fit_set = whole ? EvalSet{} : set_.head(static_cast<size_t>(c_.subset));
    const EvalSet& fit = whole ? set_ : fit_set;
    r_.fitness_set = whole ? r_.set : fmt::format("{}-first{}", r_.set, c_.subset);

    const Granularity g = run_granularity(rm_);
    SearchProblem p;
    p.layers = rm_.specs;
    p.ladder = ladder_;
    p.size = [&](const SubnetConfig& cfg) {
      const Accounting a = account_subnet(rm_, cfg);
      return bytes ? a.bytes_stored : a.nnz_total;
    };
    p.id = [&](const SubnetConfig& cfg) { return subnet_id(cfg, g); };
    for (const auto& row : store_->all()) {
      auto it = row.evals.find(r_.fitness_set);
      if (it != row.evals.end() && !std::isnan(it->second.wer)) p.known[row.id] = it->second.wer;
    }
    SubnetResult last;
    p.fitness = [&](const SubnetConfig& cfg) {
      last = evaluate_subnet(rm_, cfg, fit, r_.fitness_set, "evo", quiet());
      time_streaming(cfg, fit, last);
      return last.evals.at(r_.fitness_set).wer;
    };
    const int64_t most = static_cast<int64_t>(c_.evo.population) * (c_.evo.generations + 1);
    Progress bar("search " + text, most, c_.progress);
    double best = NAN;
    SearchResult res;
    try {
      res = evolutionary_search(p, c_.evo, sum.budget, [&](const SearchEvaluation& e) {
        last.label = fmt::format("evo {} g{}: {}", text, e.generation, last.label);
        save(last);
        if (std::isnan(best) || e.fitness < best) best = e.fitness;
        bar.tick(1, fmt::format("best WER {:.1f} %", 100 * best));
      });
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("budget {} ({} {}): {}", text, sum.budget,
                                        bytes ? "bytes" : "non-zero parameters", e.what()));
    }
    bar.finish(fmt::format("{} new, {} from results.h5", res.evaluated, res.cached));
    r_.cached += res.cached;
    sum.min_size = res.min_size;
    sum.best_id = res.best.id;
    sum.best_fitness = res.best.fitness;
    sum.best_per_generation = res.best_per_generation;
    sum.evaluated = res.evaluated;
    sum.cached = res.cached;
    // The winner joins the front on the whole set.
    if (!whole) ensure(res.best.config, set_, r_.set, "evo", store_->get(res.best.id)->label);
    r_.searches.push_back(sum);
  }

  const ParetoJobConfig& c_;
  const std::function<void(const SubnetResult&)>& cb_;
  RunModel rm_;
  Ladder ladder_;
  std::optional<ResultsStore> store_;
  EvalSet set_;
  ParetoJobReport r_;
};

}  // namespace

Ladder run_ladder(const fs::path& run) {
  const nlohmann::json j = RunDir::open(run).read_run_json();
  const auto config = j.find("config");
  if (config == j.end() || !config->is_object()) return Ladder{};
  const auto omni = config->find("omni");
  if (omni == config->end() || !omni->is_object() || !omni->contains("ladder")) return Ladder{};
  Ladder ladder;
  try {
    from_json(omni->at("ladder"), ladder);
    ladder.Validate();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(run / "run.json", fmt::format("config.omni.ladder: {}", e.what()));
  } catch (const ConfigError& e) {
    throw FormatError(run / "run.json", fmt::format("config.omni.ladder: {}", e.what()));
  }
  return ladder;
}

ParetoJobReport run_pareto_job(const ParetoJobConfig& config,
                               const std::function<void(const SubnetResult&)>& on_result) {
  config.Validate();
  return Job(config, on_result).run();
}

}  // namespace omnisparse
