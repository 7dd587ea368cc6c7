// A lock-free single-producer single-consumer ring buffer of float samples: the hand-off
// between the PortAudio callback (producer, real-time thread) and a worker (consumer).
//
//   RingBuffer ring(16000 * 10);            // capacity rounds up to a power of two
//   // audio callback:   ring.write(in, n);  // never blocks; what does not fit is dropped
//   // worker thread:    size_t got = ring.read(buf, max);
//   ring.overflowed();                      // samples dropped because the consumer lagged
//
// Threads: exactly one thread may call write()/write_generated() and exactly one other thread
// may call read(); size(), free_space(), overflowed() and capacity() are safe from any thread.
// Indices are free-running 64-bit counters (no wrap in practice), masked on access, so full
// and empty are told apart without a wasted slot. write() never blocks and never allocates:
// a lagging consumer costs dropped samples (counted), not a stalled audio thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace omnisparse {

class RingBuffer {
 public:
  // Holds at least `min_capacity` samples (rounded up to a power of two, at least 2).
  explicit RingBuffer(size_t min_capacity)
      : capacity_(round_up_pow2(min_capacity)),
        mask_(capacity_ - 1),
        data_(std::make_unique<float[]>(capacity_)) {}

  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;

  size_t capacity() const { return capacity_; }

  // Samples ready to read (a lower bound for the consumer, an upper bound for the producer).
  size_t size() const {
    const uint64_t w = write_.load(std::memory_order_acquire);
    const uint64_t r = read_.load(std::memory_order_acquire);
    return static_cast<size_t>(w - r);
  }
  size_t free_space() const { return capacity_ - size(); }

  // Total samples dropped by write() because the buffer was full.
  uint64_t overflowed() const { return overflowed_.load(std::memory_order_relaxed); }

  // Producer: appends up to n samples; returns how many fit. The rest are counted as overflow.
  size_t write(const float* in, size_t n) {
    return write_generated(n, [in](size_t i) { return in[i]; });
  }

  // Producer: appends sample_at(0..n-1) without a temporary buffer (used to downmix
  // interleaved channels straight into the ring inside the audio callback).
  template <typename SampleAt>
  size_t write_generated(size_t n, SampleAt&& sample_at) {
    const uint64_t w = write_.load(std::memory_order_relaxed);    // only we write it
    const uint64_t r = read_.load(std::memory_order_acquire);     // consumer's progress
    const size_t room = capacity_ - static_cast<size_t>(w - r);
    const size_t k = std::min(n, room);
    for (size_t i = 0; i < k; ++i) data_[(w + i) & mask_] = sample_at(i);
    write_.store(w + k, std::memory_order_release);               // publish the samples
    if (k < n) overflowed_.fetch_add(n - k, std::memory_order_relaxed);
    return k;
  }

  // Consumer: copies up to max samples into out, oldest first; returns how many.
  size_t read(float* out, size_t max) {
    const uint64_t r = read_.load(std::memory_order_relaxed);     // only we write it
    const uint64_t w = write_.load(std::memory_order_acquire);    // see the published samples
    const size_t k = std::min(max, static_cast<size_t>(w - r));
    const size_t first = std::min(k, capacity_ - static_cast<size_t>(r & mask_));
    std::copy_n(&data_[r & mask_], first, out);
    std::copy_n(&data_[0], k - first, out + first);
    read_.store(r + k, std::memory_order_release);                // free the slots
    return k;
  }

 private:
  static size_t round_up_pow2(size_t n) {
    size_t c = 2;
    while (c < n) c <<= 1;
    return c;
  }

  // Producer and consumer indices on separate cache lines: no false sharing between threads.
  static constexpr size_t kLine = 64;
  const size_t capacity_;
  const size_t mask_;
  std::unique_ptr<float[]> data_;
  alignas(kLine) std::atomic<uint64_t> write_{0};
  alignas(kLine) std::atomic<uint64_t> read_{0};
  alignas(kLine) std::atomic<uint64_t> overflowed_{0};
};

}  // namespace omnisparse
