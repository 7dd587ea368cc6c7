#!/usr/bin/env bash
# The parsers and kernels under AddressSanitizer + UndefinedBehaviorSanitizer, in one command:
# a headless Debug build in ./build-asan (or $BUILD_DIR), then the unit tests of the suites that
# read untrusted bytes or index raw memory (io, audio, data, kernels, common, sparsity).
# Any report fails the run. Run it before a change to a parser or a kernel lands.
#
#   bash scripts/sanitize.sh              # all of the suites above
#   bash scripts/sanitize.sh test_io      # some of them
set -euo pipefail
cd "$(dirname "$0")/.."
export BUILD_DIR=${BUILD_DIR:-build-asan}
SUITES=("$@")
[ ${#SUITES[@]} -gt 0 ] || SUITES=(test_io test_audio test_data test_kernels test_common test_sparsity)

FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
TARGETS="${SUITES[*]}" BUILD_TYPE=Debug bash scripts/build.sh \
  -DOMNISPARSE_HEADLESS=ON -DOMNISPARSE_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="$FLAGS" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined"

# LibTorch allocates its thread pools once and keeps them: not leaks of ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1 OMNISPARSE_WORKERS=1
failed=()
for s in "${SUITES[@]}"; do
  echo "sanitize: $s"
  "$BUILD_DIR/tests/$s" --gtest_brief=1 || failed+=("$s")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "sanitize: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "sanitize: ${SUITES[*]} clean under ASan + UBSan"
