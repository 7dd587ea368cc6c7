// measure_streaming: the chunk count and audio it reports follow from the set exactly, the
// numbers are real measurements (positive, consistent with each other), and the model's masks
// are what the timing used (the kernel summary sees the sparse layers).
#include "core/stream/stream_timing.h"

#include <gtest/gtest.h>

#include "core/common/error.h"
#include "core/sparsity/rank_set.h"
#include "tests/stream/emitting_model.h"

namespace omnisparse {
namespace {

EvalSet random_set(const std::vector<int64_t>& frames) {
  EvalSet set;
  for (int64_t n : frames) {
    set.feats.push_back(at::randn({n, 80}));
    set.utts.push_back(Utterance{});
    set.audio_s += static_cast<double>(n) / 100.0;
  }
  return set;
}

TEST(StreamTiming, CountsChunksAndAudioOfTheFirstUtterances) {
  torch::manual_seed(3);
  ModelBundle b = test::emitting_bundle(52);
  // 32 frames per 320 ms chunk: 100 frames = 3 full chunks + 4; 64 = 2; 31 = 0 (one flush).
  EvalSet set = random_set({100, 64, 31, 500});
  StreamTimingOptions o;
  o.max_utterances = 3;
  const StreamTiming t = measure_streaming(b, set, o);
  EXPECT_EQ(t.utterances, 3);
  EXPECT_EQ(t.chunks, 3 + 2 + 0);
  EXPECT_DOUBLE_EQ(t.audio_s, 1.95);
  EXPECT_GT(t.rtf, 0.0);
  EXPECT_GT(t.chunk_ms, 0.0);
  // Median chunk time cannot exceed the total decode time the RTF stands for.
  EXPECT_LE(t.chunk_ms / 1000.0, t.rtf * t.audio_s);
  EXPECT_NE(t.kernels.find("kernels"), std::string::npos) << t.kernels;
}

TEST(StreamTiming, SeesTheMasksOfTheSelectedSubnetwork) {
  torch::manual_seed(4);
  ModelBundle b = test::emitting_bundle(52);
  EvalSet set = random_set({96});
  const StreamTiming dense = measure_streaming(b, set);
  const PrunableLayers layers = b.model->prunable_layers();
  int64_t weights = 0;
  for (const auto& l : layers) weights += l.weight.ne(0).sum().item<int64_t>();
  EXPECT_EQ(dense.kernel_nnz, weights);  // nothing pruned
  RankSet ranks(Granularity::Unstructured());
  ranks.refresh(layers);
  const SubnetConfig sc = SubnetConfig::Uniform(specs_of(layers), 0.9);
  ranks.apply(layers, sc);
  int64_t kept = 0;
  for (const auto& l : layers) kept += (l.weight * *l.mask).ne(0).sum().item<int64_t>();
  const StreamTiming sparse = measure_streaming(b, set);
  EXPECT_EQ(sparse.kernel_nnz, kept);  // the kernels ran the 90 % sub-network's weights
  EXPECT_LT(kept, weights / 5);
}

TEST(StreamTiming, EmptySetIsAnError) {
  ModelBundle b = test::emitting_bundle(52);
  EXPECT_THROW(measure_streaming(b, EvalSet{}), InvalidArgument);
}

}  // namespace
}  // namespace omnisparse
