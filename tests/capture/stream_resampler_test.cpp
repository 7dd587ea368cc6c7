#include "core/capture/stream_resampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/audio/audio_io.h"
#include "core/common/error.h"

namespace omnisparse {
namespace {

std::vector<float> tone(double hz, double rate, size_t n, float amp = 0.5f) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = amp * float(std::sin(2 * M_PI * hz * double(i) / rate));
  return x;
}

// Streams `x` through the resampler in pieces of pseudo-random size (1..2000 samples).
std::vector<float> stream_in_pieces(StreamResampler& rs, const std::vector<float>& x,
                                    unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> piece(1, 2000);
  std::vector<float> out;
  for (size_t i = 0; i < x.size();) {
    const size_t n = std::min(piece(rng), x.size() - i);
    rs.process(x.data() + i, n, out);
    i += n;
  }
  const auto tail = rs.flush();
  out.insert(out.end(), tail.begin(), tail.end());
  return out;
}

// Frequency from the interval between the first and last upward zero crossings.
double zero_crossing_frequency(const std::vector<float>& x, double rate) {
  double first = -1, last = -1;
  int crossings = 0;
  for (size_t i = 1; i < x.size(); ++i) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      const double t = double(i - 1) + x[i - 1] / (x[i - 1] - x[i]);  // linear interpolation
      if (first < 0) first = t;
      last = t;
      ++crossings;
    }
  }
  return crossings > 1 ? (crossings - 1) * rate / (last - first) : 0;
}

TEST(StreamResampler, Streaming48kTo16kEqualsWholeBufferResample) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.f, 0.1f);
  std::vector<float> x = tone(440, 48000, 48000 * 2);
  for (auto& v : x) v += noise(rng);
  const std::vector<float> whole = resample(x, 48000, 16000);

  StreamResampler rs(48000, 16000);
  const std::vector<float> streamed = stream_in_pieces(rs, x, 1);
  ASSERT_NEAR(double(streamed.size()), double(whole.size()), 2.0);
  ASSERT_NEAR(double(streamed.size()), 32000.0, 2.0);
  double max_diff = 0;
  for (size_t i = 0; i < std::min(streamed.size(), whole.size()); ++i)
    max_diff = std::max(max_diff, double(std::fabs(streamed[i] - whole[i])));
  EXPECT_LT(max_diff, 1e-4);
}

TEST(StreamResampler, OneKilohertzToneKeepsItsFrequency) {
  for (double in_rate : {48000.0, 44100.0}) {
    StreamResampler rs(in_rate, 16000);
    const auto out = stream_in_pieces(rs, tone(1000, in_rate, size_t(in_rate)), 3);
    ASSERT_NEAR(double(out.size()), 16000.0, 2.0) << in_rate;
    // Skip the filter's edges; the middle must be a clean 1 kHz sine of the same amplitude.
    const std::vector<float> mid(out.begin() + 2000, out.end() - 2000);
    EXPECT_NEAR(zero_crossing_frequency(mid, 16000), 1000.0, 0.5) << in_rate;
    float peak = 0;
    for (float v : mid) peak = std::max(peak, std::fabs(v));
    EXPECT_NEAR(peak, 0.5f, 0.01f) << in_rate;
  }
}

// A microphone poll often finds nothing new: an empty piece (data() may be null, which soxr
// takes as end-of-stream) must change nothing.
TEST(StreamResampler, EmptyPiecesBetweenDataChangeNothing) {
  const auto x = tone(440, 48000, 9600);
  StreamResampler plain(48000, 16000), with_empties(48000, 16000);
  std::vector<float> a, b;
  const std::vector<float> empty;
  for (size_t i = 0; i < x.size(); i += 480) {
    plain.process(x.data() + i, 480, a);
    with_empties.process(empty.data(), 0, b);
    with_empties.process(nullptr, 0, b);
    with_empties.process(x.data() + i, 480, b);
  }
  EXPECT_EQ(a, b);
  EXPECT_EQ(plain.flush(), with_empties.flush());
}

TEST(StreamResampler, FlushStartsAFreshStream) {
  const auto x = tone(300, 48000, 24000);
  StreamResampler rs(48000, 16000);
  const auto first = stream_in_pieces(rs, x, 5);
  const auto second = stream_in_pieces(rs, x, 6);
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) ASSERT_NEAR(first[i], second[i], 1e-6) << i;
}

TEST(StreamResampler, EqualRatesPassSamplesThroughUnchanged) {
  const auto x = tone(1000, 16000, 1234);
  StreamResampler rs(16000, 16000);
  EXPECT_EQ(rs.process(x.data(), x.size()), x);
  EXPECT_TRUE(rs.flush().empty());
}

TEST(StreamResampler, NonPositiveRateIsRejected) {
  EXPECT_THROW(StreamResampler(0, 16000), InvalidArgument);
  EXPECT_THROW(StreamResampler(48000, -1), InvalidArgument);
}

}  // namespace
}  // namespace omnisparse
