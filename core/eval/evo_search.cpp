#include "core/eval/evo_search.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "core/common/config_json.h"
#include "core/common/error.h"

namespace omnisparse {

void EvoConfig::Validate() const {
  auto require = [](bool ok, const char* key, const std::string& what) {
    if (!ok) throw ConfigError(std::string("search: ") + key + " " + what);
  };
  require(population >= 2, "population", "must be >= 2");
  require(generations >= 0, "generations", "must be >= 0");
  require(mutation_prob >= 0 && mutation_prob <= 1, "mutation_prob", "must be in [0, 1]");
  require(crossover_prob >= 0 && crossover_prob <= 1, "crossover_prob", "must be in [0, 1]");
  require(selection == "tournament" || selection == "top_k", "selection",
          "must be tournament or top_k (got '" + selection + "')");
  require(tournament_size >= 1, "tournament_size", "must be >= 1");
  require(top_k >= 1, "top_k", "must be >= 1");
  require(max_attempts >= 1, "max_attempts", "must be >= 1");
}

void to_json(nlohmann::json& j, const EvoConfig& c) {
  j = {{"population", c.population},     {"generations", c.generations},
       {"mutation_prob", c.mutation_prob}, {"crossover_prob", c.crossover_prob},
       {"selection", c.selection},       {"tournament_size", c.tournament_size},
       {"top_k", c.top_k},               {"per_group", c.per_group},
       {"seed", c.seed},                 {"max_attempts", c.max_attempts}};
}

void from_json(const nlohmann::json& j, EvoConfig& c) {
  EvoConfig d;
  JsonFields f(j, "search");
  f.get("population", d.population);
  f.get("generations", d.generations);
  f.get("mutation_prob", d.mutation_prob);
  f.get("crossover_prob", d.crossover_prob);
  f.get("selection", d.selection);
  f.get("tournament_size", d.tournament_size);
  f.get("top_k", d.top_k);
  f.get("per_group", d.per_group);
  f.get("seed", d.seed);
  f.get("max_attempts", d.max_attempts);
  f.finish();
  d.Validate();
  c = d;
}

std::vector<size_t> search_units(const LayerSpecs& layers, bool per_group, size_t* num_units) {
  std::vector<size_t> unit_of(layers.size());
  std::vector<std::string> groups;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!per_group) {
      unit_of[i] = i;
      continue;
    }
    auto it = std::find(groups.begin(), groups.end(), layers[i].group);
    unit_of[i] = static_cast<size_t>(it - groups.begin());
    if (it == groups.end()) groups.push_back(layers[i].group);
  }
  *num_units = per_group ? groups.size() : layers.size();
  return unit_of;
}

namespace {

using Genome = std::vector<int>;  // ladder index per unit

class Search {
 public:
  Search(const SearchProblem& p, const EvoConfig& c, int64_t budget, const SearchCallback& cb)
      : p_(p), c_(c), budget_(budget), cb_(cb), rng_(c.seed) {
    unit_of_ = search_units(p.layers, c.per_group, &units_);
    top_ = static_cast<int>(p.ladder.levels.size()) - 1;
  }

  SearchResult run() {
    SearchResult r;
    r.min_size = size_of(genome_all(top_));
    if (r.min_size > budget_) {
      throw InvalidArgument(fmt::format(
          "size budget {} cannot be met: the smallest sub-network (every layer at {:.2f}) has "
          "size {}",
          budget_, p_.ladder.levels.back(), r.min_size));
    }
    // Generation 0: the densest uniform config that fits, then repaired random configs.
    for (int level = 0; level <= top_; ++level) {
      if (size_of(genome_all(level)) <= budget_) {
        add_unique(pop_, genome_all(level), 0);
        break;
      }
    }
    for (int tries = 0; static_cast<int>(pop_.size()) < c_.population &&
                        tries < c_.max_attempts * c_.population;
         ++tries) {
      Genome g(units_);
      for (int& x : g) x = static_cast<int>(uniform_int(static_cast<uint64_t>(top_) + 1));
      repair(g);
      add_unique(pop_, g, 0);
    }
    sort(pop_);
    r.best_per_generation.push_back(pop_.front().fitness);

    for (int gen = 1; gen <= c_.generations; ++gen) {
      std::vector<SearchEvaluation> children;
      for (int n = 0; n < c_.population; ++n) {
        for (int attempt = 0; attempt < c_.max_attempts; ++attempt) {
          Genome g = breed();
          if (size_of(g) > budget_) continue;  // over budget: rejected, bred again
          const std::string id = id_of(g);
          if (contains(pop_, id) || contains(children, id)) continue;
          children.push_back(evaluate(g, gen));
          break;
        }
      }
      for (auto& ch : children) pop_.push_back(std::move(ch));
      sort(pop_);
      std::vector<SearchEvaluation> survivors;
      for (auto& e : pop_) {
        if (static_cast<int>(survivors.size()) == c_.population) break;
        if (!contains(survivors, e.id)) survivors.push_back(std::move(e));
      }
      pop_ = std::move(survivors);
      r.best_per_generation.push_back(pop_.front().fitness);
    }
    r.best = pop_.front();
    r.population = pop_;
    r.evaluated = evaluated_;
    r.cached = cached_;
    return r;
  }

 private:
  uint64_t uniform_int(uint64_t n) {  // [0, n), the same on every standard library
    return static_cast<uint64_t>((static_cast<unsigned __int128>(rng_()) * n) >> 64);
  }
  double uniform_real() { return static_cast<double>(rng_() >> 11) * 0x1.0p-53; }

  Genome genome_all(int level) const { return Genome(units_, level); }

  SubnetConfig config_of(const Genome& g) const {
    SubnetConfig c;
    for (size_t i = 0; i < p_.layers.size(); ++i) {
      c.names.push_back(p_.layers[i].name);
      c.levels.push_back(p_.ladder.levels[static_cast<size_t>(g[unit_of_[i]])]);
    }
    return c;
  }
  std::string id_of(const Genome& g) const {
    const SubnetConfig c = config_of(g);
    return p_.id ? p_.id(c) : c.id();
  }
  int64_t size_of(const Genome& g) {
    const std::string id = id_of(g);
    auto it = sizes_.find(id);
    if (it != sizes_.end()) return it->second;
    return sizes_[id] = p_.size(config_of(g));
  }

  // Random units one ladder step sparser until the config fits (the sparsest one does).
  void repair(Genome& g) {
    while (size_of(g) > budget_) {
      std::vector<size_t> open;
      for (size_t u = 0; u < g.size(); ++u)
        if (g[u] < top_) open.push_back(u);
      if (open.empty()) return;
      ++g[open[uniform_int(open.size())]];
    }
  }

  const SearchEvaluation& select_parent() {
    const uint64_t n = pop_.size();
    if (c_.selection == "top_k")
      return pop_[uniform_int(std::min<uint64_t>(n, static_cast<uint64_t>(c_.top_k)))];
    size_t best = uniform_int(n);  // pop_ is sorted: a smaller index is fitter
    for (int t = 1; t < c_.tournament_size; ++t) best = std::min<size_t>(best, uniform_int(n));
    return pop_[best];
  }

  Genome breed() {
    const Genome& a = genome_of(select_parent());
    const Genome& b = genome_of(select_parent());
    Genome g = a;
    if (uniform_real() < c_.crossover_prob)
      for (size_t u = 0; u < g.size(); ++u) g[u] = uniform_real() < 0.5 ? a[u] : b[u];
    for (int& x : g) {
      if (top_ > 0 && uniform_real() < c_.mutation_prob) {
        const int other = static_cast<int>(uniform_int(static_cast<uint64_t>(top_)));
        x = other >= x ? other + 1 : other;  // any level but the current one
      }
    }
    return g;
  }

  const Genome& genome_of(const SearchEvaluation& e) const { return genomes_.at(e.id); }

  SearchEvaluation evaluate(const Genome& g, int generation) {
    SearchEvaluation e;
    e.config = config_of(g);
    e.id = p_.id ? p_.id(e.config) : e.config.id();
    e.size = size_of(g);
    e.generation = generation;
    genomes_.emplace(e.id, g);
    if (auto it = done_.find(e.id); it != done_.end()) {
      e.fitness = it->second;
      e.cached = true;
      return e;
    }
    if (auto it = p_.known.find(e.id); it != p_.known.end()) {
      e.fitness = it->second;
      e.cached = true;
      ++cached_;
    } else {
      e.fitness = p_.fitness(e.config);
      e.index = static_cast<int>(evaluated_++);
      if (cb_) cb_(e);
    }
    done_[e.id] = e.fitness;
    return e;
  }

  void add_unique(std::vector<SearchEvaluation>& v, const Genome& g, int generation) {
    if (size_of(g) > budget_ || contains(v, id_of(g))) return;
    v.push_back(evaluate(g, generation));
  }
  static bool contains(const std::vector<SearchEvaluation>& v, const std::string& id) {
    return std::any_of(v.begin(), v.end(), [&](const auto& e) { return e.id == id; });
  }
  // Best first: lower fitness (NaN last), then smaller, then by id.
  static void sort(std::vector<SearchEvaluation>& v) {
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      const bool an = std::isnan(a.fitness), bn = std::isnan(b.fitness);
      if (an != bn) return bn;
      if (!an && a.fitness != b.fitness) return a.fitness < b.fitness;
      if (a.size != b.size) return a.size < b.size;
      return a.id < b.id;
    });
  }

  const SearchProblem& p_;
  const EvoConfig& c_;
  int64_t budget_;
  const SearchCallback& cb_;
  std::mt19937_64 rng_;
  std::vector<size_t> unit_of_;
  size_t units_ = 0;
  int top_ = 0;
  std::vector<SearchEvaluation> pop_;
  std::map<std::string, Genome> genomes_;
  std::map<std::string, int64_t> sizes_;
  std::map<std::string, double> done_;
  int64_t evaluated_ = 0, cached_ = 0;
};

}  // namespace

SearchResult evolutionary_search(const SearchProblem& problem, const EvoConfig& config,
                                 int64_t budget, const SearchCallback& on_evaluation) {
  config.Validate();
  problem.ladder.Validate();
  if (problem.layers.empty()) throw ConfigError("search: the model has no prunable layers");
  if (!problem.size || !problem.fitness)
    throw ConfigError("search: the problem needs a size and a fitness function");
  return Search(problem, config, budget, on_evaluation).run();
}

// --- budgets ---------------------------------------------------------------------------------

std::string to_string(SizeMetric m) { return m == SizeMetric::kBytes ? "bytes" : "nnz"; }

SizeBudget parse_size_budget(const std::string& text, SizeMetric fraction_metric) {
  auto bad = [&](const std::string& why) {
    return ConfigError("budget '" + text + "': " + why +
                       " (use a fraction of the dense model like 0.3, non-zero parameters like "
                       "400k or 1.2M, or bytes like 900kB)");
  };
  SizeBudget b;
  b.text = text;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    throw bad("not a number");
  }
  std::string suffix = text.substr(used);
  if (!suffix.empty() && suffix.back() == 'B') {
    b.metric = SizeMetric::kBytes;
    suffix.pop_back();
  }
  double scale = 1;
  if (suffix == "k" || suffix == "K") scale = 1e3;
  else if (suffix == "M") scale = 1e6;
  else if (suffix == "G") scale = 1e9;
  else if (!suffix.empty()) throw bad("unknown suffix '" + suffix + "'");
  if (!std::isfinite(v) || v <= 0) throw bad("must be > 0");
  const bool absolute = b.metric == SizeMetric::kBytes || scale != 1 || v > 1;
  if (!absolute) {
    b.fraction = true;
    b.metric = fraction_metric;
    b.value = v;
  } else {
    b.value = std::round(v * scale);
    if (b.value < 1) throw bad("must be at least 1");
  }
  return b;
}

int64_t SizeBudget::resolve(int64_t dense_size) const {
  if (fraction) return static_cast<int64_t>(std::floor(value * static_cast<double>(dense_size)));
  return static_cast<int64_t>(value);
}

}  // namespace omnisparse
