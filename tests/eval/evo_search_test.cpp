// The evolutionary search on a synthetic problem (no model): fitness is the distance of a
// config's levels to a hidden target config, size is the exact number of kept weights.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "core/common/error.h"
#include "core/eval/evo_search.h"
#include "core/sparsity/granularity.h"

namespace omnisparse {
namespace {

LayerSpecs test_layers() {
  return {{"enc.0", "encoder", 64, 32},  {"enc.1", "encoder", 64, 64}, {"enc.2", "encoder", 64, 64},
          {"enc.3", "encoder", 128, 64}, {"pred.0", "predictor", 32, 32},
          {"pred.1", "predictor", 64, 32}, {"join.0", "joiner", 32, 64}, {"join.1", "joiner", 16, 32}};
}

int64_t kept(const LayerSpecs& layers, const SubnetConfig& c) {
  int64_t n = 0;
  for (size_t i = 0; i < layers.size(); ++i) n += kept_units(layers[i].numel(), c.levels[i]);
  return n;
}

struct Synthetic {
  SearchProblem problem;
  std::vector<double> target;
  std::map<std::string, int> calls;  // fitness() calls per id
  std::vector<std::string> order;    // ids in call order

  explicit Synthetic(std::vector<double> hidden) : target(std::move(hidden)) {
    problem.layers = test_layers();
    problem.size = [this](const SubnetConfig& c) { return kept(problem.layers, c); };
    problem.fitness = [this](const SubnetConfig& c) {
      ++calls[c.id()];
      order.push_back(c.id());
      double d = 0;
      for (size_t i = 0; i < c.size(); ++i) d += std::abs(c.levels[i] - target[i]);
      return d;
    };
  }
};

// A target that is sparse in some layers and dense in others, so no uniform config is near it.
const std::vector<double> kTarget = {0.9, 0.2, 0.95, 0.5, 0.0, 0.7, 0.3, 0.8};

int64_t target_size() {
  SubnetConfig c = SubnetConfig::Explicit(names_of(test_layers()), kTarget);
  return kept(test_layers(), c);
}

TEST(EvolutionarySearch, ImprovesOverGenerations) {
  Synthetic s(kTarget);
  EvoConfig cfg;
  cfg.population = 12;
  cfg.generations = 10;
  SearchResult r = evolutionary_search(s.problem, cfg, target_size());
  ASSERT_EQ(r.best_per_generation.size(), 11u);
  for (size_t g = 1; g < r.best_per_generation.size(); ++g)
    EXPECT_LE(r.best_per_generation[g], r.best_per_generation[g - 1]);
  // The initial best is a random or uniform config far from the target; breeding closes in.
  EXPECT_GT(r.best_per_generation.front(), 1.0);
  EXPECT_LT(r.best_per_generation.back(), 0.5 * r.best_per_generation.front());
  EXPECT_EQ(r.best.fitness, r.best_per_generation.back());
  EXPECT_EQ(r.evaluated, static_cast<int64_t>(s.order.size()));
}

TEST(EvolutionarySearch, EveryCandidateRespectsTheBudget) {
  Synthetic s(kTarget);
  const int64_t budget = target_size() / 2;  // tighter than the target: it is out of reach
  EvoConfig cfg;
  cfg.population = 10;
  cfg.generations = 5;
  std::vector<SearchEvaluation> seen;
  SearchResult r = evolutionary_search(s.problem, cfg, budget,
                                       [&](const SearchEvaluation& e) { seen.push_back(e); });
  ASSERT_FALSE(seen.empty());
  for (const auto& e : seen) {
    EXPECT_LE(e.size, budget) << e.id;
    EXPECT_EQ(e.size, kept(s.problem.layers, e.config));
  }
  EXPECT_LE(r.best.size, budget);
  for (const auto& e : r.population) EXPECT_LE(e.size, budget);
}

TEST(EvolutionarySearch, NeverEvaluatesTheSameIdTwice) {
  Synthetic s(kTarget);
  EvoConfig cfg;
  cfg.population = 8;
  cfg.generations = 12;
  cfg.mutation_prob = 0.05;  // low mutation breeds many duplicates
  evolutionary_search(s.problem, cfg, target_size());
  ASSERT_GT(s.calls.size(), 8u);
  for (const auto& [id, n] : s.calls) EXPECT_EQ(n, 1) << id;
}

TEST(EvolutionarySearch, SameSeedSameCandidatesOtherSeedOthers) {
  EvoConfig cfg;
  cfg.population = 8;
  cfg.generations = 4;
  Synthetic a(kTarget), b(kTarget), c(kTarget);
  SearchResult ra = evolutionary_search(a.problem, cfg, target_size());
  SearchResult rb = evolutionary_search(b.problem, cfg, target_size());
  cfg.seed = 2;
  evolutionary_search(c.problem, cfg, target_size());
  EXPECT_EQ(a.order, b.order);
  EXPECT_EQ(ra.best.id, rb.best.id);
  EXPECT_NE(a.order, c.order);
}

TEST(EvolutionarySearch, KnownResultsAreNeverReEvaluated) {
  EvoConfig cfg;
  cfg.population = 8;
  cfg.generations = 3;
  Synthetic first(kTarget);
  std::map<std::string, double> store;
  SearchResult r1 = evolutionary_search(first.problem, cfg, target_size(),
                                        [&](const SearchEvaluation& e) { store[e.id] = e.fitness; });
  ASSERT_EQ(static_cast<int64_t>(store.size()), r1.evaluated);

  // A re-run over the stored results: the same trajectory, answered from the cache.
  Synthetic again(kTarget);
  again.problem.known = store;
  SearchResult r2 = evolutionary_search(again.problem, cfg, target_size());
  EXPECT_EQ(r2.evaluated, 0);
  EXPECT_TRUE(again.calls.empty());
  EXPECT_EQ(r2.cached, r1.evaluated);
  EXPECT_EQ(r2.best.id, r1.best.id);

  // More generations add evaluations, but none of the stored ids.
  cfg.generations = 6;
  Synthetic more(kTarget);
  more.problem.known = store;
  SearchResult r3 = evolutionary_search(more.problem, cfg, target_size());
  EXPECT_GT(r3.evaluated, 0);
  for (const auto& [id, n] : more.calls) EXPECT_EQ(store.count(id), 0u) << id;
  EXPECT_LE(r3.best.fitness, r1.best.fitness);
}

TEST(EvolutionarySearch, PerGroupKeepsOneLevelPerGroup) {
  Synthetic s(kTarget);
  EvoConfig cfg;
  cfg.population = 6;
  cfg.generations = 3;
  cfg.per_group = true;
  cfg.selection = "top_k";
  std::vector<SearchEvaluation> seen;
  evolutionary_search(s.problem, cfg, target_size(),
                      [&](const SearchEvaluation& e) { seen.push_back(e); });
  ASSERT_FALSE(seen.empty());
  const LayerSpecs layers = test_layers();
  for (const auto& e : seen) {
    std::map<std::string, double> group_level;
    for (size_t i = 0; i < layers.size(); ++i) {
      auto [it, fresh] = group_level.emplace(layers[i].group, e.config.levels[i]);
      if (!fresh) {
        EXPECT_EQ(it->second, e.config.levels[i]) << e.id << " " << layers[i].name;
      }
    }
  }
}

TEST(EvolutionarySearch, UnreachableBudgetSaysTheSmallestSize) {
  Synthetic s(kTarget);
  SubnetConfig sparsest = SubnetConfig::Uniform(test_layers(), 0.95);
  const int64_t smallest = kept(test_layers(), sparsest);
  try {
    evolutionary_search(s.problem, EvoConfig{}, smallest - 1);
    FAIL() << "expected InvalidArgument";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(std::to_string(smallest)), std::string::npos) << e.what();
  }
  EXPECT_TRUE(s.calls.empty());
  // Exactly the smallest size is reachable: only the sparsest config fits.
  EvoConfig cfg;
  cfg.population = 4;
  cfg.generations = 2;
  SearchResult r = evolutionary_search(s.problem, cfg, smallest);
  EXPECT_EQ(r.best.id, sparsest.id());
  EXPECT_EQ(r.evaluated, 1);
}

TEST(EvolutionarySearch, BadConfigNamesTheKey) {
  Synthetic s(kTarget);
  EvoConfig cfg;
  cfg.selection = "roulette";
  try {
    evolutionary_search(s.problem, cfg, target_size());
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("selection"), std::string::npos);
  }
  EvoConfig round;
  from_json(nlohmann::json{{"population", 5}, {"per_group", true}}, round);
  EXPECT_EQ(round.population, 5);
  EXPECT_TRUE(round.per_group);
  nlohmann::json j = round;
  EvoConfig back;
  from_json(j, back);
  EXPECT_EQ(back.population, 5);
  EXPECT_THROW(from_json(nlohmann::json{{"populaton", 5}}, back), ConfigError);
}

TEST(SizeBudget, ParsesFractionsCountsAndBytes) {
  SizeBudget f = parse_size_budget("0.3", SizeMetric::kNonzeroParams);
  EXPECT_TRUE(f.fraction);
  EXPECT_EQ(f.resolve(1000), 300);
  SizeBudget fb = parse_size_budget("0.5", SizeMetric::kBytes);
  EXPECT_EQ(fb.metric, SizeMetric::kBytes);
  EXPECT_EQ(fb.resolve(4000), 2000);
  SizeBudget k = parse_size_budget("400k", SizeMetric::kBytes);
  EXPECT_FALSE(k.fraction);
  EXPECT_EQ(k.metric, SizeMetric::kNonzeroParams);
  EXPECT_EQ(k.resolve(1), 400000);
  EXPECT_EQ(parse_size_budget("1.2M", SizeMetric::kNonzeroParams).resolve(0), 1200000);
  EXPECT_EQ(parse_size_budget("350000", SizeMetric::kNonzeroParams).resolve(0), 350000);
  SizeBudget b = parse_size_budget("900kB", SizeMetric::kNonzeroParams);
  EXPECT_EQ(b.metric, SizeMetric::kBytes);
  EXPECT_EQ(b.resolve(0), 900000);
  EXPECT_EQ(parse_size_budget("1", SizeMetric::kNonzeroParams).resolve(777), 777);
  for (const char* t : {"", "abc", "0", "-0.2", "3x", "0.5kk", "nan"})
    EXPECT_THROW(parse_size_budget(t, SizeMetric::kNonzeroParams), ConfigError) << t;
}

}  // namespace
}  // namespace omnisparse
