// RNN-T loss against references that share no code with it: explicit enumeration of every
// alignment, central finite differences, closed forms, and the other implementation.
#include "core/model/rnnt_loss.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/common/error.h"

namespace omnisparse {
namespace {

const RnntAlgorithm kAlgorithms[] = {RnntAlgorithm::CpuLoop, RnntAlgorithm::TensorOps};

struct Batch {
  torch::Tensor logits;          // [B, T, U+1, V]
  torch::Tensor targets;         // [B, U] int64
  torch::Tensor logit_lengths;   // [B]
  torch::Tensor target_lengths;  // [B]
};

// Random batch with the given per-utterance lengths; targets in [1, V), blank = 0, and
// padding targets set to -1 (must be ignored).
Batch random_batch(const std::vector<int64_t>& T, const std::vector<int64_t>& U, int64_t V,
                   torch::ScalarType dtype, uint64_t seed, double scale = 2.0) {
  torch::manual_seed(seed);
  const int64_t B = T.size();
  const int64_t max_T = *std::max_element(T.begin(), T.end());
  const int64_t max_U = *std::max_element(U.begin(), U.end());
  Batch b;
  b.logits = torch::randn({B, max_T, max_U + 1, V}, torch::dtype(dtype)) * scale;
  b.targets = torch::randint(1, V, {B, max_U}, torch::kInt64);
  for (int64_t i = 0; i < B; ++i)
    for (int64_t u = U[i]; u < max_U; ++u) b.targets[i][u] = -1;
  b.logit_lengths = torch::tensor(T, torch::kInt64);
  b.target_lengths = torch::tensor(U, torch::kInt64);
  return b;
}

// -log p by listing every alignment: a sequence of T blanks and U labels whose last symbol is a
// blank, i.e. a choice of U label positions among the first T+U-1 steps. With first_emit, the
// alignments that emit a label at a frame t < first_emit are left out.
double brute_force_cost(const torch::Tensor& logits /*[T, U+1, V]*/, const int64_t* y, int64_t T,
                        int64_t U, int64_t blank, int64_t first_emit = 0) {
  auto lp = logits.to(torch::kFloat64).log_softmax(-1);
  auto a = lp.accessor<double, 3>();
  const int64_t steps = T + U - 1;
  std::vector<double> path_logps;
  for (int64_t mask = 0; mask < (int64_t{1} << steps); ++mask) {
    if (__builtin_popcountll(mask) != U) continue;
    int64_t t = 0, u = 0;
    double logp = 0;
    bool allowed = true;
    for (int64_t s = 0; s < steps; ++s) {
      if (mask >> s & 1) {
        allowed = allowed && t >= first_emit;
        logp += a[t][u][y[u]];
        ++u;
      } else {
        logp += a[t][u][blank];
        ++t;
      }
    }
    logp += a[t][u][blank];  // t == T-1, u == U here
    if (allowed) path_logps.push_back(logp);
  }
  double m = *std::max_element(path_logps.begin(), path_logps.end()), s = 0;
  for (double l : path_logps) s += std::exp(l - m);
  return -(m + std::log(s));
}

// Every element of `grads` against central finite differences of `total` at `logits` (which is
// perturbed in place and restored).
template <typename F>
void expect_central_differences(const torch::Tensor& logits, const torch::Tensor& grads,
                                F total) {
  const double eps = 1e-6;
  auto flat = logits.view({-1});
  auto g = grads.reshape({-1});
  for (int64_t i = 0; i < flat.numel(); ++i) {
    const double x0 = flat[i].item<double>();
    flat[i] = x0 + eps;
    const double up = total(logits);
    flat[i] = x0 - eps;
    const double down = total(logits);
    flat[i] = x0;
    EXPECT_NEAR(g[i].item<double>(), (up - down) / (2 * eps), 1e-7) << "element " << i;
  }
}

TEST(RnntLoss, EqualsBruteForceEnumerationOfAlignments) {
  for (auto algo : kAlgorithms) {
    for (uint64_t seed = 0; seed < 6; ++seed) {
      const int64_t V = 2 + seed % 3;  // 2..4
      std::vector<int64_t> T = {4, 1, 3, 2}, U = {3, 2, 0, 1};
      auto b = random_batch(T, U, V, torch::kFloat64, seed);
      auto costs = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths,
                                        0, false, algo).costs;
      for (size_t i = 0; i < T.size(); ++i) {
        double ref = brute_force_cost(b.logits[i], b.targets[i].data_ptr<int64_t>(), T[i], U[i], 0);
        EXPECT_NEAR(costs[i].item<double>(), ref, 1e-10) << "seed " << seed << " utt " << i;
      }
    }
  }
}

TEST(RnntLoss, FirstEmitKeepsOnlyTheAlignmentsThatEmitNothingBeforeIt) {
  for (auto algo : kAlgorithms) {
    for (uint64_t seed = 0; seed < 6; ++seed) {
      const int64_t V = 2 + seed % 3;
      std::vector<int64_t> T = {5, 1, 3, 4, 4}, U = {3, 2, 0, 2, 2};
      // -3 and 0: no restriction; 9 on a 1-frame and 4 on a 4-frame utterance: clamped to its
      // last frame, where every label may still leave (the target stays reachable)
      std::vector<int64_t> first = {2, 9, 1, -3, 4};
      auto b = random_batch(T, U, V, torch::kFloat64, seed);
      auto costs = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0,
                                        false, algo, torch::tensor(first, torch::kInt64))
                       .costs;
      auto plain = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0,
                                        false, algo).costs;
      for (size_t i = 0; i < T.size(); ++i) {
        const int64_t fe = std::clamp<int64_t>(first[i], 0, T[i] - 1);
        const double ref =
            brute_force_cost(b.logits[i], b.targets[i].data_ptr<int64_t>(), T[i], U[i], 0, fe);
        EXPECT_NEAR(costs[i].item<double>(), ref, 1e-10) << "seed " << seed << " utt " << i;
        if (fe > 0 && U[i] > 0)  // fewer alignments: a higher cost
          EXPECT_GT(costs[i].item<double>(), plain[i].item<double>() + 1e-9) << "utt " << i;
        else
          EXPECT_NEAR(costs[i].item<double>(), plain[i].item<double>(), 1e-12) << "utt " << i;
      }
    }
  }
}

TEST(RnntLoss, FirstEmitGradientMatchesFiniteDifferencesAndPushesEarlyLabelsDown) {
  const auto first = torch::tensor({2, 1}, torch::kInt64);
  for (auto algo : kAlgorithms) {
    auto b = random_batch({4, 3}, {2, 1}, 3, torch::kFloat64, 5);
    auto grads = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0,
                                      true, algo, first).grads;
    auto total = [&](const torch::Tensor& x) {
      return rnnt_loss(x, b.targets, b.logit_lengths, b.target_lengths, 0, Reduction::Sum, algo,
                       first).item<double>();
    };
    expect_central_differences(b.logits, grads, total);
    // Before its first frame every label's logit gets a gradient >= 0 (descent lowers it), and
    // the blank's <= 0: those frames learn to stay silent.
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t t = 0; t < first[i].item<int64_t>(); ++t) {
        auto gt = grads[i][t];  // [U+1, V]
        EXPECT_GE(gt.narrow(1, 1, 2).min().item<double>(), 0.0) << "utt " << i << " t " << t;
        EXPECT_LE(gt.select(1, 0).max().item<double>(), 0.0) << "utt " << i << " t " << t;
      }
  }
}

TEST(RnntLoss, FirstEmitIsTheSameInBothImplementationsAndRefusesABadShape) {
  auto b = random_batch({17, 30, 9, 1}, {12, 0, 9, 5}, 11, torch::kFloat32, 13);
  const auto first = torch::tensor({4, 10, 8, 3}, torch::kInt64);
  auto a = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, true,
                                RnntAlgorithm::CpuLoop, first);
  auto t = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, true,
                                RnntAlgorithm::TensorOps, first);
  EXPECT_TRUE(torch::allclose(a.costs, t.costs, 1e-4, 1e-4)) << a.costs << t.costs;
  EXPECT_TRUE(torch::allclose(a.grads, t.grads, 1e-4, 1e-5));
  EXPECT_TRUE(std::isfinite(a.costs.sum().item<double>()));
  EXPECT_THROW(rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0,
                                    false, RnntAlgorithm::CpuLoop,
                                    torch::zeros({3}, torch::kInt64)),
               InvalidArgument);
  EXPECT_THROW(rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0,
                                    false, RnntAlgorithm::CpuLoop, torch::zeros({4})),
               InvalidArgument);
}

TEST(RnntLoss, GradientMatchesCentralFiniteDifferences) {
  for (auto algo : kAlgorithms) {
    auto b = random_batch({3, 2}, {2, 1}, 3, torch::kFloat64, 7);
    auto grads = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0,
                                      true, algo).grads;
    auto total = [&](const torch::Tensor& x) {
      return rnnt_loss(x, b.targets, b.logit_lengths, b.target_lengths, 0, Reduction::Sum, algo)
          .item<double>();
    };
    expect_central_differences(b.logits, grads, total);
  }
}

TEST(RnntLoss, AutogradBackwardGivesTheAnalyticGradient) {
  auto b = random_batch({5, 3, 4}, {3, 2, 0}, 6, torch::kFloat64, 3);
  auto ref = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, true);
  auto x = b.logits.clone().requires_grad_(true);
  auto scale = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64);
  // Per-utterance weights check that backward scales each utterance by its grad_output.
  auto costs = rnnt_loss(x, b.targets, b.logit_lengths, b.target_lengths, 0, Reduction::None);
  (costs * scale).sum().backward();
  EXPECT_TRUE(torch::allclose(costs.detach(), ref.costs));
  EXPECT_TRUE(torch::allclose(x.grad(), ref.grads * scale.view({3, 1, 1, 1}), 1e-12, 1e-12));
}

TEST(RnntLoss, CpuLoopAndTensorOpsGiveTheSameLossAndGradient) {
  for (auto dtype : {torch::kFloat64, torch::kFloat32}) {
    auto b = random_batch({17, 30, 9, 1}, {12, 0, 9, 5}, 11, dtype, 11);
    auto a = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, true,
                                  RnntAlgorithm::CpuLoop);
    auto t = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, true,
                                  RnntAlgorithm::TensorOps);
    const double tol = dtype == torch::kFloat64 ? 1e-10 : 2e-5;
    EXPECT_EQ(a.costs.scalar_type(), dtype);
    EXPECT_EQ(t.grads.scalar_type(), dtype);
    EXPECT_TRUE(torch::allclose(a.costs, t.costs, tol, tol)) << a.costs << t.costs;
    EXPECT_LT((a.grads - t.grads).abs().max().item<double>(), tol);
  }
}

TEST(RnntLoss, PaddingWithJunkChangesNeitherLossNorGradientAndGetsZeroGradient) {
  for (auto algo : kAlgorithms) {
    auto b = random_batch({4, 2}, {2, 3}, 5, torch::kFloat64, 5);
    // Each utterance alone, in a tensor of exactly its size.
    std::vector<torch::Tensor> alone_costs, alone_grads;
    for (int64_t i = 0; i < 2; ++i) {
      const int64_t T = b.logit_lengths[i].item<int64_t>(), U = b.target_lengths[i].item<int64_t>();
      auto x = b.logits[i].slice(0, 0, T).slice(1, 0, U + 1).unsqueeze(0).contiguous();
      auto y = b.targets[i].slice(0, 0, U).unsqueeze(0).contiguous();
      auto r = rnnt_costs_and_grads(x, y, torch::tensor({T}), torch::tensor({U}), 0, true, algo);
      alone_costs.push_back(r.costs[0]);
      alone_grads.push_back(r.grads[0]);
    }
    // The same batch padded further, junk (huge, inf, NaN) everywhere outside the lengths.
    auto big = torch::full({2, 7, 6, 5}, std::numeric_limits<double>::quiet_NaN(), torch::kFloat64);
    big.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, 4),
                    torch::indexing::Slice(0, 4)},
                   b.logits);
    big[0][3][3][1] = std::numeric_limits<double>::infinity();  // beyond utt 0's U = 2
    big[1][2][0][0] = 1e30;                                      // beyond utt 1's T = 2
    auto y = torch::full({2, 5}, 99, torch::kInt64);
    y.slice(1, 0, 3).copy_(b.targets);
    auto r = rnnt_costs_and_grads(big, y, b.logit_lengths, b.target_lengths, 0, true, algo);
    for (int64_t i = 0; i < 2; ++i) {
      const int64_t T = b.logit_lengths[i].item<int64_t>(), U = b.target_lengths[i].item<int64_t>();
      EXPECT_NEAR(r.costs[i].item<double>(), alone_costs[i].item<double>(), 1e-12);
      auto inside = r.grads[i].slice(0, 0, T).slice(1, 0, U + 1);
      EXPECT_TRUE(torch::allclose(inside, alone_grads[i], 1e-12, 1e-12));
      auto g = r.grads[i].clone();
      g.slice(0, 0, T).slice(1, 0, U + 1).zero_();
      EXPECT_EQ(g.abs().sum().item<double>(), 0.0) << "gradient outside the lengths";
    }
  }
}

TEST(RnntLoss, LongInputStaysFiniteAndGradientsSumToZeroOverTheVocabulary) {
  for (auto algo : kAlgorithms) {
    auto b = random_batch({1000}, {300}, 5, torch::kFloat32, 13, 3.0);
    auto r = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, true,
                                  algo);
    const double cost = r.costs[0].item<double>();
    EXPECT_TRUE(std::isfinite(cost));
    EXPECT_GT(cost, 100.0);  // 1300 steps of random logits: a long, very unlikely path
    EXPECT_TRUE(torch::isfinite(r.grads).all().item<bool>());
    // d/dlogits of a log-softmax-fused loss sums to zero over v at every node.
    EXPECT_LT(r.grads.sum(-1).abs().max().item<double>(), 1e-4);
    auto d = rnnt_costs_and_grads(b.logits.to(torch::kFloat64), b.targets, b.logit_lengths,
                                  b.target_lengths, 0, false, algo);
    EXPECT_NEAR(cost, d.costs[0].item<double>(), 1e-5 * cost);
  }
}

TEST(RnntLoss, EmptyTargetIsTheSumOfBlankLogProbabilities) {
  for (auto algo : kAlgorithms) {
    torch::manual_seed(2);
    auto logits = torch::randn({2, 4, 1, 3}, torch::kFloat64);  // max_U = 0
    auto targets = torch::zeros({2, 0}, torch::kInt64);
    auto T = torch::tensor({4, 2});
    auto r = rnnt_costs_and_grads(logits, targets, T, torch::tensor({0, 0}), 0, true, algo);
    auto lp = logits.log_softmax(-1).select(3, 0).select(2, 0);  // [2, 4]
    EXPECT_NEAR(r.costs[0].item<double>(), -lp[0].sum().item<double>(), 1e-12);
    EXPECT_NEAR(r.costs[1].item<double>(), -lp[1].slice(0, 0, 2).sum().item<double>(), 1e-12);
    // Only blanks: the gradient is softmax - onehot(blank) on every valid frame.
    auto expect = logits.softmax(-1);
    expect.select(3, 0).sub_(1.0);
    EXPECT_TRUE(torch::allclose(r.grads[0], expect[0], 1e-12, 1e-12));
    EXPECT_EQ(r.grads[1].slice(0, 2).abs().sum().item<double>(), 0.0);
  }
}

TEST(RnntLoss, ReductionsAreMeanSumAndPerUtterance) {
  auto b = random_batch({3, 2, 4}, {1, 2, 2}, 4, torch::kFloat64, 21);
  auto none = rnnt_loss(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, Reduction::None);
  auto sum = rnnt_loss(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, Reduction::Sum);
  auto mean = rnnt_loss(b.logits, b.targets, b.logit_lengths, b.target_lengths);
  ASSERT_EQ(none.sizes(), torch::IntArrayRef({3}));
  EXPECT_NEAR(sum.item<double>(), none.sum().item<double>(), 1e-12);
  EXPECT_NEAR(mean.item<double>(), none.sum().item<double>() / 3, 1e-12);
  auto x = b.logits.clone().requires_grad_(true);
  rnnt_loss(x, b.targets, b.logit_lengths, b.target_lengths).backward();
  auto ref = rnnt_costs_and_grads(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, true);
  EXPECT_TRUE(torch::allclose(x.grad(), ref.grads / 3, 1e-12, 1e-12));
}

TEST(RnntLoss, NonZeroBlankIndexWorks) {
  // Relabel the vocabulary so blank moves from 0 to 2: the loss must not change.
  auto b = random_batch({3, 2}, {2, 1}, 3, torch::kFloat64, 4);
  auto perm = torch::tensor({2, 0, 1});  // new index of old symbol k is perm[k]
  auto moved = torch::empty_like(b.logits);
  moved.index_copy_(3, perm, b.logits);
  auto y = b.targets.clone();
  auto valid = y >= 0;
  y.masked_scatter_(valid, perm.index({y.masked_select(valid)}));
  auto a = rnnt_loss(b.logits, b.targets, b.logit_lengths, b.target_lengths, 0, Reduction::None);
  for (auto algo : kAlgorithms) {
    auto m = rnnt_loss(moved, y, b.logit_lengths, b.target_lengths, 2, Reduction::None, algo);
    EXPECT_TRUE(torch::allclose(a, m, 1e-12, 1e-12));
  }
}

TEST(RnntLoss, BadLengthsAndTargetsGiveClearInvalidArgument) {
  auto b = random_batch({3, 2}, {2, 1}, 4, torch::kFloat32, 1);
  auto call = [&](const torch::Tensor& T, const torch::Tensor& U, const torch::Tensor& y) {
    rnnt_loss(b.logits, y, T, U);
  };
  try {
    call(torch::tensor({4, 2}), b.target_lengths, b.targets);
    FAIL() << "logit length 4 > T = 3 accepted";
  } catch (const InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("logit length 4 at batch index 0 outside [1, 3]"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(call(b.logit_lengths, torch::tensor({2, 3}), b.targets), InvalidArgument);
  EXPECT_THROW(call(torch::tensor({0, 2}), b.target_lengths, b.targets), InvalidArgument);
  auto with_blank = b.targets.clone();
  with_blank[1][0] = 0;
  EXPECT_THROW(call(b.logit_lengths, b.target_lengths, with_blank), InvalidArgument);
  auto out_of_vocab = b.targets.clone();
  out_of_vocab[0][1] = 4;
  EXPECT_THROW(call(b.logit_lengths, b.target_lengths, out_of_vocab), InvalidArgument);
  EXPECT_THROW(rnnt_loss(b.logits.to(torch::kInt32), b.targets, b.logit_lengths,
                         b.target_lengths),
               InvalidArgument);
  EXPECT_THROW(rnnt_loss(b.logits[0], b.targets, b.logit_lengths, b.target_lengths),
               InvalidArgument);
}

}  // namespace
}  // namespace omnisparse
