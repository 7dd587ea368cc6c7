#include "core/common/heap_tuning.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace omnisparse {

#if defined(__GLIBC__)
// Keeps the compiler from removing a malloc / free pair whose memory is never read.
void keep(void* p) { asm volatile("" : : "r"(p) : "memory"); }

// A 24 MB block, the size of a small model's largest step buffer: glibc maps blocks this size
// (one more mmapped block while it lives) until a freed mapping of that size has raised its
// adaptive threshold; after the tuning the heap serves it from the first time.
TEST(HeapTuning, StepSizedBlocksComeFromTheHeap) {
  constexpr size_t kBlock = 24u << 20;
  auto mapped_while_alive = [] {
    const size_t before = mallinfo2().hblks;
    void* p = std::malloc(kBlock);
    keep(p);
    std::memset(p, 1, 4096);
    const size_t during = mallinfo2().hblks;
    std::free(p);
    return during - before;
  };
  // Nothing else in this binary frees a block this large, so without the call the first
  // allocation below would be mapped.
  keep_step_buffers_in_heap();
  keep_step_buffers_in_heap();  // idempotent
  EXPECT_EQ(mapped_while_alive(), 0u);
  EXPECT_EQ(mapped_while_alive(), 0u);
  // Beyond the limit, blocks are still mapped (and returned to the system when freed).
  const size_t before = mallinfo2().hblks;
  void* big = std::malloc(64u << 20);
  keep(big);
  EXPECT_EQ(mallinfo2().hblks, before + 1);
  std::free(big);
}
#endif

}  // namespace omnisparse
