#!/usr/bin/env bash
# GPU check: builds the headless CLI against a CUDA LibTorch, trains the same model on the GPU and
# on the CPU from the same corpus, and prints the training throughput of each (samples/s: the
# median of the runs' `step` events, the first ones skipped as warm-up) and their ratio.
#
#   bash scripts/gpu-check.sh
#
# Environment (all optional):
#   TORCH_PREFIX  LibTorch's CMake prefix (the folder holding Torch/TorchConfig.cmake); default:
#                 python3 -c 'import torch; print(torch.utils.cmake_prefix_path)'
#   BUILD_DIR     build directory (default build-gpu)
#   DEPS_PREFIX   an extra prefix with libraries the system lacks (sndfile, soxr, ...): a normal
#                 prefix or Debian packages unpacked there with `dpkg -x` (DEPS_PREFIX/usr/...)
#   CORPUS        an existing corpus (LibriSpeech layout, e.g. from `omnisparse synth`); default:
#                 synthesise 400 utterances (needs espeak-ng and flite)
#   STEPS         training steps on the GPU (default 200); the CPU run does STEPS/4
#   TRAIN_ARGS    extra `omnisparse train` arguments for both runs (e.g. "--mode dense")
#   WORK          where the corpus and the runs go (default: a new folder under /tmp)
#   JOBS          build jobs (default: all cores); THREADS: CPU threads for training (default: all)
#   WORKERS       training worker processes (default 1: one GPU against one CPU process)
# Every missing prerequisite stops the check with one line `gpu-check: ...` on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "gpu-check: $*" >&2; exit 1; }
say() { echo "gpu-check: $*"; }

BUILD_DIR=${BUILD_DIR:-build-gpu}
STEPS=${STEPS:-200}
CPU_STEPS=$(( STEPS / 4 > 10 ? STEPS / 4 : 10 ))
CORES=$(nproc 2>/dev/null || echo 4)
JOBS=${JOBS:-$CORES}
THREADS=${THREADS:-$CORES}
TRAIN_ARGS=${TRAIN_ARGS:-}
[[ "$STEPS" =~ ^[0-9]+$ && "$STEPS" -ge 20 ]] || die "STEPS must be a number >= 20 (got '$STEPS')"

# --- Prerequisites ------------------------------------------------------------------------------
command -v nvidia-smi >/dev/null || die "nvidia-smi not found: no NVIDIA driver on this machine"
GPUS=$(nvidia-smi -L 2>&1) || die "nvidia-smi -L failed: $(echo "$GPUS" | head -1)"
command -v cmake >/dev/null || die "cmake not found"

if [[ -z "${TORCH_PREFIX:-}" ]]; then
  command -v python3 >/dev/null || die "no LibTorch: set TORCH_PREFIX (python3 not found to ask torch)"
  TORCH_PREFIX=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null) \
    || die "no LibTorch: set TORCH_PREFIX (python3 has no torch)"
fi
[[ -f "$TORCH_PREFIX/Torch/TorchConfig.cmake" ]] \
  || die "no LibTorch at TORCH_PREFIX=$TORCH_PREFIX (no Torch/TorchConfig.cmake there)"
TORCH_ROOT=$(cd "$TORCH_PREFIX/../.." && pwd)   # share/cmake -> the install prefix
# A pip torch or libtorch zip (lib/ beside share/); other layouts are checked after configure.
if ls "$TORCH_ROOT"/lib/libtorch_cpu.* >/dev/null 2>&1 && ! ls "$TORCH_ROOT"/lib/libtorch_cuda.* >/dev/null 2>&1; then
  die "LibTorch at $TORCH_ROOT has no CUDA (no lib/libtorch_cuda.so): a CPU-only build"
fi
TORCH_VERSION=$( { sed -n 's/^#define TORCH_VERSION *"\(.*\)"$/\1/p; s/^ *"\([0-9][^"]*\)"$/\1/p' \
  "$TORCH_ROOT"/include/torch/headeronly/version.h "$TORCH_ROOT"/include/torch/csrc/api/include/torch/version.h \
  2>/dev/null || true; } | head -1)
if command -v python3 >/dev/null && PYV=$(python3 -c 'import torch; print(torch.__version__, "cuda", torch.version.cuda)' 2>/dev/null); then
  TORCH_VERSION="$TORCH_VERSION (python3: torch $PYV)"
fi

# LibTorch's CMake config enables the CUDA language: it needs nvcc.
if ! command -v nvcc >/dev/null; then
  for d in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda; do
    [[ -n "$d" && -x "$d/bin/nvcc" ]] && { export PATH="$d/bin:$PATH"; break; }
  done
fi
command -v nvcc >/dev/null || die "nvcc not found (CUDA toolkit; set CUDA_HOME): LibTorch's CMake config needs it"

PREFIXES="$TORCH_PREFIX"
PKG_CONFIG_EXE=$(command -v pkg-config || command -v pkgconf || true)
if [[ -n "${DEPS_PREFIX:-}" ]]; then
  [[ -d "$DEPS_PREFIX" ]] || die "DEPS_PREFIX=$DEPS_PREFIX is not a directory"
  DEPS_PREFIX=$(cd "$DEPS_PREFIX" && pwd)
  for p in "$DEPS_PREFIX" "$DEPS_PREFIX/usr"; do
    [[ -d "$p" ]] || continue
    PREFIXES="$PREFIXES;$p"
    for l in lib lib/x86_64-linux-gnu lib64; do
      [[ -d "$p/$l" ]] && export LD_LIBRARY_PATH="$p/$l${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      [[ -d "$p/$l/pkgconfig" ]] && export PKG_CONFIG_PATH="$p/$l/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    done
    [[ -d "$p/share/pkgconfig" ]] && export PKG_CONFIG_PATH="$p/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
    [[ -z "$PKG_CONFIG_EXE" && -x "$p/bin/pkgconf" ]] && PKG_CONFIG_EXE="$p/bin/pkgconf"
  done
fi
[[ -n "$PKG_CONFIG_EXE" ]] || die "pkg-config not found (install pkgconf, or put bin/pkgconf under DEPS_PREFIX)"
for m in sndfile soxr; do
  "$PKG_CONFIG_EXE" --exists "$m" || die "lib$m not found by pkg-config (install lib$m-dev, or set DEPS_PREFIX)"
done

# Without espeak-ng and flite the CLI is built without `synth` (OMNISPARSE_WITH_SYNTH=OFF).
SYNTH=OFF
if "$PKG_CONFIG_EXE" --exists espeak-ng && [[ -f /usr/include/flite/flite.h ]]; then SYNTH=ON; fi

# The corpus is checked now, before the build.
WORK=${WORK:-$(mktemp -d /tmp/omnisparse-gpu-check.XXXXXX)}
mkdir -p "$WORK"
if [[ -n "${CORPUS:-}" ]]; then
  [[ -d "$CORPUS/train" ]] || die "CORPUS=$CORPUS is not a corpus (no train/ in it)"
  CORPUS=$(cd "$CORPUS" && pwd)
elif [[ "$SYNTH" == OFF ]]; then
  die "no corpus: set CORPUS=DIR (no espeak-ng/flite here to synthesise one)"
fi

GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
if [[ -f "$BUILD_DIR/CMakeCache.txt" ]] && ! grep -q "CMAKE_GENERATOR:INTERNAL=${GEN[1]:-Unix Makefiles}\$" "$BUILD_DIR/CMakeCache.txt"; then
  GEN=()  # an existing build directory keeps its generator
fi

# --- Configure and build ------------------------------------------------------------------------
say "configuring $BUILD_DIR (torch: $TORCH_ROOT, synth=$SYNTH${DEPS_PREFIX:+, deps: $DEPS_PREFIX})"
if ! cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DOMNISPARSE_HEADLESS=ON -DOMNISPARSE_BUILD_TESTS=OFF -DOMNISPARSE_BUILD_BENCH=OFF \
    -DOMNISPARSE_WITH_SYNTH=$SYNTH -DCMAKE_PREFIX_PATH="$PREFIXES" \
    -DPKG_CONFIG_EXECUTABLE="$PKG_CONFIG_EXE" >"$BUILD_DIR.configure.log" 2>&1; then
  tail -n 40 "$BUILD_DIR.configure.log" >&2
  die "configure failed (above: the last 40 lines of $BUILD_DIR.configure.log)"
fi
STATUS=$(grep -m1 'omnisparse: headless' "$BUILD_DIR.configure.log" | sed 's/^-- //')
say "$STATUS"
[[ "$STATUS" == *"cuda=ON"* ]] || die "LibTorch's CMake config found no CUDA ($STATUS); see $BUILD_DIR.configure.log"

say "building omnisparse (-j$JOBS; log: $BUILD_DIR.build.log)"
T0=$(date +%s)
if ! cmake --build "$BUILD_DIR" --target omnisparse -j"$JOBS" >"$BUILD_DIR.build.log" 2>&1; then
  tail -n 40 "$BUILD_DIR.build.log" >&2
  die "build failed (above: the last 40 lines of $BUILD_DIR.build.log)"
fi
say "built in $(( $(date +%s) - T0 )) s"
OS="$(cd "$BUILD_DIR" && pwd)/bin/omnisparse"
[[ -x "$OS" ]] || die "build produced no $OS"

echo "$GPUS"
say "torch $TORCH_VERSION"

# --- Corpus -------------------------------------------------------------------------------------
if [[ -z "${CORPUS:-}" ]]; then
  CORPUS="$WORK/corpus"
  if [[ ! -f "$CORPUS/corpus.json" ]]; then
    say "synthesising a corpus into $CORPUS"
    "$OS" -q synth --out "$CORPUS" --utterances 400 --domain commands --overwrite >"$WORK/synth.log" 2>&1 \
      || { tail -n 40 "$WORK/synth.log" >&2; die "synth failed (log: $WORK/synth.log)"; }
  fi
fi

# --- Training throughput ------------------------------------------------------------------------
# samples_per_s of the `step` events (one per log_every steps), sorted, first SKIP skipped.
median_rate() {
  local n skip
  n=$(grep -c '"type":"step"' "$1" || true)
  skip=$(( n >= 6 ? 2 : (n >= 2 ? 1 : 0) ))
  grep '"type":"step"' "$1" | tail -n +$(( skip + 1 )) \
    | sed -n 's/.*"samples_per_s":\([-0-9.eE+]*\).*/\1/p' | sort -g \
    | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}
last_field() {  # last_field EVENTS KEY: the KEY of the last step event
  grep '"type":"step"' "$1" | tail -n 1 | sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p"
}

# One process per run (train --workers auto would use every GPU, or several CPU workers).
WORKER_ARGS=()
if "$OS" train --help 2>/dev/null | grep -q -- '--workers'; then WORKER_ARGS=(--workers "${WORKERS:-1}"); fi

declare -A RATE WALL TRAIN_S NSTEPS
run_train() {  # run_train DEVICE STEPS
  local dev=$1 steps=$2 run="$WORK/$1" t0 t1
  rm -rf "$run"
  say "training on $dev: $steps steps, $THREADS CPU threads (log: $run.log)"
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  if ! "$OS" -q --threads "$THREADS" train --data "$CORPUS" --run "$run" --device "$dev" \
      --steps "$steps" --eval-every 1000000 --checkpoint-every 1000000 "${WORKER_ARGS[@]}" $TRAIN_ARGS \
      >"$run.log" 2>&1; then
    tail -n 40 "$run.log" >&2
    die "training on $dev failed (above: the last 40 lines of $run.log)"
  fi
  t1=$(date +%s.%N)
  [[ -f "$run/events.jsonl" ]] || die "training on $dev wrote no $run/events.jsonl"
  RATE[$dev]=$(median_rate "$run/events.jsonl")
  TRAIN_S[$dev]=$(last_field "$run/events.jsonl" elapsed_s)
  WALL[$dev]=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
  NSTEPS[$dev]=$steps
}
run_train cuda "$STEPS"
run_train cpu "$CPU_STEPS"

echo
printf '%-6s %6s %12s %9s %8s\n' device steps "samples/s" "train s" "wall s"
for dev in cuda cpu; do
  printf '%-6s %6s %12.1f %9.1f %8s\n' "$dev" "${NSTEPS[$dev]}" "${RATE[$dev]}" "${TRAIN_S[$dev]:-0}" "${WALL[$dev]}"
done
awk -v g="${RATE[cuda]}" -v c="${RATE[cpu]}" -v t="$THREADS" \
  'BEGIN {if (c > 0) printf "cuda/cpu samples/s: %.2fx (cpu: %d threads)\n", g / c, t; else print "cuda/cpu: no cpu rate"}'
echo "samples/s: median over step events (every 10 steps; the first 1-2 skipped); runs in $WORK"

# --- NCCL all-reduce check ----------------------------------------------------------------------
# One worker per GPU sums a model-sized gradient buffer through NCCL and checks the sums.
NGPU=$(echo "$GPUS" | grep -c '^GPU ' || true)
say "allreduce-check on cuda ($NGPU worker(s), one GPU each)"
"$OS" allreduce-check --device cuda --workers "${NGPU:-1}" || die "allreduce-check failed"
