#!/usr/bin/env bash
# Installs missing dependencies, configures and builds omnisparse into ./build (or $BUILD_DIR).
# Extra arguments go to cmake's configure step, e.g. -DOMNISPARSE_HEADLESS=ON or
# -DCMAKE_PREFIX_PATH=/path/to/libtorch (a CUDA LibTorch). TARGETS="omnisparse test_io" builds
# only those targets.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-2}
# ccache keyed on paths relative to the checkout. The unity build's generated sources include
# every source by its absolute path (CMake 3.25), so its compiles hit only in the same checkout.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
# ccache caches compiles that use the precompiled LibTorch header only with these relaxations.
export CCACHE_SLOPPINESS=${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime,pch_external_checksum}

bash scripts/install-deps.sh

cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-Release} "$@" >"$BUILD_DIR.configure.log" 2>&1 \
  || { cat "$BUILD_DIR.configure.log"; exit 1; }
echo "build: configured $BUILD_DIR ($(grep -m1 'omnisparse: headless' "$BUILD_DIR.configure.log" | sed 's/^-- //'))"
targets=()
for t in ${TARGETS:-}; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j"$JOBS" "${targets[@]}"
