#include "core/capture/ring_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace omnisparse {
namespace {

TEST(RingBuffer, CapacityRoundsUpToPowerOfTwo) {
  EXPECT_EQ(RingBuffer(1000).capacity(), 1024u);
  EXPECT_EQ(RingBuffer(1024).capacity(), 1024u);
  EXPECT_EQ(RingBuffer(1025).capacity(), 2048u);
  EXPECT_EQ(RingBuffer(0).capacity(), 2u);
}

TEST(RingBuffer, WriteBeyondCapacityDropsTheExcessAndCountsIt) {
  RingBuffer ring(8);
  std::vector<float> in(10);
  for (int i = 0; i < 10; ++i) in[i] = float(i);
  EXPECT_EQ(ring.write(in.data(), in.size()), 8u);
  EXPECT_EQ(ring.overflowed(), 2u);
  EXPECT_EQ(ring.size(), 8u);
  EXPECT_EQ(ring.free_space(), 0u);
  EXPECT_EQ(ring.write(in.data(), 3), 0u);  // full: nothing fits, all counted
  EXPECT_EQ(ring.overflowed(), 5u);
  std::vector<float> out(16, -1.f);
  ASSERT_EQ(ring.read(out.data(), out.size()), 8u);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(out[i], float(i));  // oldest kept, newest dropped
  EXPECT_EQ(ring.read(out.data(), out.size()), 0u);
}

TEST(RingBuffer, WrapsAroundKeepingOrder) {
  RingBuffer ring(8);
  float next_in = 0, next_out = 0;
  std::vector<float> buf(8);
  for (int round = 0; round < 20; ++round) {
    const size_t n = std::min<size_t>(1 + (round * 5) % 7, ring.free_space());
    for (size_t i = 0; i < n; ++i) buf[i] = next_in++;
    ASSERT_EQ(ring.write(buf.data(), n), n);
    const size_t got = ring.read(buf.data(), 1 + round % 8);
    for (size_t i = 0; i < got; ++i) ASSERT_EQ(buf[i], next_out++);
    // Whatever stays buffered is exactly what was written but not read.
    ASSERT_EQ(ring.size(), size_t(next_in - next_out));
  }
  EXPECT_EQ(ring.overflowed(), 0u);
}

TEST(RingBuffer, GeneratedWriteDownmixesInterleavedStereo) {
  RingBuffer ring(16);
  const float stereo[] = {1, 3, -2, 2, 0.5f, 0.5f};  // L R L R L R
  ring.write_generated(3, [&](size_t i) { return 0.5f * (stereo[2 * i] + stereo[2 * i + 1]); });
  float out[3];
  ASSERT_EQ(ring.read(out, 3), 3u);
  EXPECT_EQ(out[0], 2.f);
  EXPECT_EQ(out[1], 0.f);
  EXPECT_EQ(out[2], 0.5f);
}

// A producer that waits for room and a consumer reading odd-sized pieces: every sample
// arrives exactly once and in order, across thousands of wrap-arounds of a small buffer.
TEST(RingBuffer, ProducerAndConsumerThreadsDeliverEverySampleOnceInOrder) {
  constexpr size_t kTotal = 3'000'000;  // < 2^24: every counter value is an exact float
  RingBuffer ring(1024);
  size_t short_writes = 0;  // free_space() promised room that write() did not find
  std::thread producer([&] {
    std::vector<float> chunk(97);
    size_t next = 0;
    while (next < kTotal) {
      const size_t want = std::min<size_t>(1 + next % 97, kTotal - next);
      const size_t n = std::min(want, ring.free_space());
      if (n == 0) {
        std::this_thread::yield();
        continue;
      }
      for (size_t i = 0; i < n; ++i) chunk[i] = float(next + i);
      const size_t written = ring.write(chunk.data(), n);
      short_writes += written != n;
      next += written;
    }
  });
  std::vector<float> out(61);
  size_t expected = 0;
  bool in_order = true;
  while (expected < kTotal) {
    const size_t got = ring.read(out.data(), 1 + expected % 61);
    for (size_t i = 0; i < got; ++i) in_order &= out[i] == float(expected + i);
    expected += got;
    if (got == 0) std::this_thread::yield();
  }
  producer.join();
  EXPECT_TRUE(in_order);
  EXPECT_EQ(short_writes, 0u);
  EXPECT_EQ(expected, kTotal);
  EXPECT_EQ(ring.overflowed(), 0u);
  EXPECT_EQ(ring.size(), 0u);
}

// A producer that never waits (like the audio callback) and a slow consumer: samples are
// dropped, never duplicated or reordered, and received + overflowed accounts for all of them.
TEST(RingBuffer, NonBlockingProducerCountsEveryDroppedSample) {
  constexpr size_t kTotal = 400'000;
  RingBuffer ring(256);
  std::atomic<bool> done{false};
  size_t accepted = 0;
  std::thread producer([&] {
    std::vector<float> chunk(64);
    for (size_t next = 0; next < kTotal; next += 64) {
      for (size_t i = 0; i < 64; ++i) chunk[i] = float(next + i);
      accepted += ring.write(chunk.data(), 64);
      if (next % 4096 == 0) std::this_thread::yield();
    }
    done.store(true);
  });
  std::vector<float> out(32);
  size_t received = 0;
  float last = -1.f;
  bool increasing = true;
  for (;;) {
    const bool finished = done.load();
    const size_t got = ring.read(out.data(), out.size());
    for (size_t i = 0; i < got; ++i) {
      increasing &= out[i] > last;
      last = out[i];
    }
    received += got;
    if (finished && got == 0) break;
    std::this_thread::sleep_for(std::chrono::microseconds(50));  // lag behind on purpose
  }
  producer.join();
  EXPECT_TRUE(increasing);
  EXPECT_GT(ring.overflowed(), 0u);
  EXPECT_EQ(received, accepted);
  EXPECT_EQ(received + ring.overflowed(), kTotal);
}

}  // namespace
}  // namespace omnisparse
