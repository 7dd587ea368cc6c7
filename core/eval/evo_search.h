// Evolutionary search over sub-network configs (one ladder level per layer, or per layer group)
// under a size budget: the configs that fit the budget with the lowest error (DESIGN.md
// section 2). Knows nothing about models: the caller supplies how big a config is and how good
// it is, so the search is tested on synthetic fitness functions and used on dev WER.
//
//   SearchProblem p;
//   p.layers = rm.specs;  p.ladder = ladder;
//   p.size = [&](const SubnetConfig& c) { return account(c, *rm.ranks, np).nnz_total; };
//   p.fitness = [&](const SubnetConfig& c) { return wer_on_subset(c); };   // lower is better
//   p.known = {{id, wer}, ...};              // results already measured: never re-evaluated
//   p.on_evaluation = [&](const SearchEvaluation& e) { store(e); };       // after each one
//   SearchResult r = evolutionary_search(p, EvoConfig{.population = 16}, /*budget=*/400'000);
//
// The algorithm: generation 0 is the densest uniform config that fits the budget (a safe start)
// plus random configs (levels uniform over the ladder, then random units pushed one ladder step
// sparser until the config fits), `population` in all; each of the
// `generations` rounds then breeds `population` children: two parents by tournament (or
// uniformly from the top k), uniform crossover per unit, per-unit mutation to another ladder
// level; a child over budget is rejected and bred again. Survivors are the best `population`
// distinct configs of parents + children (elitist, so the best never gets worse).
// Ties in fitness go to the smaller config, then to the smaller id: the result depends only on
// the inputs and the seed (mt19937_64 with our own integer mapping, as in sampler.h).
// fitness() is called at most once per id, and never for an id in `known`.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/sparsity/ladder.h"
#include "core/sparsity/layer_spec.h"
#include "core/sparsity/subnet_config.h"

namespace omnisparse {

struct EvoConfig {
  int population = 16;
  int generations = 4;           // breeding rounds after the initial population
  double mutation_prob = 0.2;    // per unit
  double crossover_prob = 0.9;   // else the child starts as a copy of its first parent
  std::string selection = "tournament";  // or "top_k"
  int tournament_size = 3;
  int top_k = 4;
  bool per_group = false;        // one level per layer group (encoder/predictor/joiner)
  uint64_t seed = 1;
  int max_attempts = 200;        // breeding tries per child before giving up on a new one

  void Validate() const;  // ConfigError naming the key
};

// Keys as the fields; unknown key -> ConfigError.
void to_json(nlohmann::json& j, const EvoConfig& c);
void from_json(const nlohmann::json& j, EvoConfig& c);

struct SearchProblem {
  LayerSpecs layers;
  Ladder ladder;
  // Size of a config in the budget's unit (non-zero params or bytes). Must grow with the levels
  // going down (nested masks): the sparsest config is then the smallest.
  std::function<int64_t(const SubnetConfig&)> size;
  // Error of a config, lower is better (e.g. dev WER). Called once per new id.
  std::function<double(const SubnetConfig&)> fitness;
  // The cache key of a config (default: config.id()).
  std::function<std::string(const SubnetConfig&)> id;
  std::map<std::string, double> known;  // id -> fitness measured before (results.h5)
};

struct SearchEvaluation {
  SubnetConfig config;
  std::string id;
  int64_t size = 0;
  double fitness = 0;
  int generation = 0;
  int index = 0;        // running count of fitness() calls in this search, from 0
  bool cached = false;  // fitness came from `known` (no fitness() call)
};

struct SearchResult {
  SearchEvaluation best;                   // lowest fitness within the budget
  std::vector<SearchEvaluation> population;  // the final survivors, best first
  std::vector<double> best_per_generation; // [generations + 1]
  int64_t evaluated = 0;                   // fitness() calls
  int64_t cached = 0;                      // candidates answered from `known`
  int64_t min_size = 0;                    // the sparsest config's size
};

using SearchCallback = std::function<void(const SearchEvaluation&)>;

// InvalidArgument when no config fits `budget` (saying the smallest achievable size),
// ConfigError for a bad EvoConfig or problem (missing functions, empty layers).
// `on_evaluation` runs after every fitness() call (progress, saving).
SearchResult evolutionary_search(const SearchProblem& problem, const EvoConfig& config,
                                 int64_t budget, const SearchCallback& on_evaluation = {});

// A size budget as written on the command line:
//   "0.5"            a fraction (0, 1] of the dense model's size in the default metric
//   "400k", "1.2M", "350000"   absolute non-zero parameters (k = 1e3, M = 1e6, G = 1e9)
//   "400kB", "2MB", "123456B"  absolute bytes of the sparse export
// ConfigError naming the text for anything else (negative, zero, unknown suffix).
enum class SizeMetric { kNonzeroParams, kBytes };
struct SizeBudget {
  SizeMetric metric = SizeMetric::kNonzeroParams;
  bool fraction = false;
  double value = 0;   // the fraction, or the absolute size
  std::string text;   // as given

  // The budget in its metric's unit, given the dense model's size in that unit.
  int64_t resolve(int64_t dense_size) const;
};
SizeBudget parse_size_budget(const std::string& text, SizeMetric fraction_metric);
std::string to_string(SizeMetric m);  // "nnz" | "bytes"

// The evaluation units of `layers`: per layer, or per group in order of first appearance.
// unit_of[i] is layer i's unit.
std::vector<size_t> search_units(const LayerSpecs& layers, bool per_group, size_t* num_units);

}  // namespace omnisparse
