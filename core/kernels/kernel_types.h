// Shared vocabulary of the sparse inference kernels (core/kernels): which instruction set a
// kernel runs on, and whether it overwrites or adds to its output.
//
// Every kernel in this module computes Y (+)= A X for a weight A [rows, cols] and a small
// batch X [cols, n] (row-major: the n frames of one streaming chunk lie contiguous for each
// input feature; n = 1 is a plain matrix-vector product). Y is [rows, n], row-major.
//
//   Isa isa = best_isa();            // kAvx2 when the CPU has AVX2+FMA, else kPortable
//   csr.multiply(x, 1, y, Accumulate::kNo, isa);
//
// The build targets baseline x86-64 (no -march), so AVX2 code lives in functions compiled with
// __attribute__((target("avx2,fma"))) and is chosen at run time; the portable path is plain
// C++ the compiler vectorises with SSE2. Both give the same result to float rounding.
// Setting OMNISPARSE_KERNELS_ISA=portable in the environment forces the portable path.
#pragma once

#include <cstdint>

namespace omnisparse::kernels {

enum class Isa { kPortable, kAvx2 };

// y = A x  (kNo)   or   y += A x  (kYes: e.g. LSTM gates = W_ih x + W_hh h + b).
enum class Accumulate { kNo, kYes };

// The fastest ISA this CPU supports (cached; honours OMNISPARSE_KERNELS_ISA=portable).
Isa best_isa();
bool isa_supported(Isa isa);
const char* isa_name(Isa isa);

// Throws InvalidArgument when isa is not supported by this CPU (so a forced kAvx2 on an old
// CPU is an error, not an illegal instruction).
void require_supported(Isa isa);

}  // namespace omnisparse::kernels
