#include "core/common/heap_tuning.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace omnisparse {

void keep_step_buffers_in_heap() {
#if defined(__GLIBC__)
  static const bool once = [] {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    return true;
  }();
  (void)once;
#endif
}

}  // namespace omnisparse
