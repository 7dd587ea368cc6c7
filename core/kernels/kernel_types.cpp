#include "core/kernels/kernel_types.h"

#include <cstdlib>
#include <cstring>
#include <string>

#include "core/common/error.h"

namespace omnisparse::kernels {

bool isa_supported(Isa isa) {
  if (isa == Isa::kPortable) return true;
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return avx2;
#else
  return false;
#endif
}

Isa best_isa() {
  static const Isa best = [] {
    const char* env = std::getenv("OMNISPARSE_KERNELS_ISA");
    if (env && std::strcmp(env, "portable") == 0) return Isa::kPortable;
    return isa_supported(Isa::kAvx2) ? Isa::kAvx2 : Isa::kPortable;
  }();
  return best;
}

const char* isa_name(Isa isa) { return isa == Isa::kAvx2 ? "avx2" : "portable"; }

void require_supported(Isa isa) {
  if (!isa_supported(isa)) {
    throw InvalidArgument(std::string("sparse kernels: instruction set '") + isa_name(isa) +
                          "' is not supported by this CPU (use best_isa())");
  }
}

}  // namespace omnisparse::kernels
