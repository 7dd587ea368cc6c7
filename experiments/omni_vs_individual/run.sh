#!/usr/bin/env bash
# The paper's claim on the built-in commands corpus (issue 4): one omni-sparsity supernet against
# individually pruned baselines (gradual magnitude pruning, one model per target) and the floor
# (one-shot magnitude pruning of a dense model, no retraining), every model with the SAME number
# of forward+backward passes, all scored on the held-out-voice test set.
#
#   bash experiments/omni_vs_individual/run.sh            # PASSES=1500, two lanes (2 cores)
#   OMNI=omni-k2 OMNI_K=2 OMNI_WARMUP=0.4 OMNI_RAMP=0.8 OMNI_CTC_WARMUP=0.3 \
#     bash experiments/omni_vs_individual/run.sh          # another supernet schedule, same baselines
#   PASSES=3000 TARGETS=0.8 DENSE=0 OUT=... bash ...     # one baseline, no dense model / one-shot
#
# Budget: PASSES passes per model. gmp and dense do one pass per optimiser step, so STEPS=PASSES;
# the supernet does one pass per step during its dense warm-up (15 % of the run) and k=4 (dense,
# sparsest, 2 random) after it, so it gets PASSES / 3.55 optimiser steps. Every run starts with
# a CTC-only warm-up of the same number of passes (WARM, 40 % of PASSES: learning_curve/README.md).
# Writes OUT (default experiments/omni_vs_individual/out), RESULTS.md next to this script and
# front.png (the workbench's Pareto panel, rendered offscreen, all runs overlaid, test set).
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/omni_vs_individual
BIN=${BIN:-build/bin/omnisparse}
WB=${WB:-build/bin/omnisparse-workbench}
PASSES=${PASSES:-1500}
TARGETS=${TARGETS:-"0.5 0.7 0.8 0.9"}
OUT=${OUT:-$HERE/out}
CORPUS=${CORPUS:-experiments/learning_curve/corpus-commands}
[ -x "$BIN" ] || bash scripts/build.sh
[ -f "$CORPUS/corpus.json" ] || "$BIN" synth --out "$CORPUS" --utterances 3000 --domain commands --seed 1
mkdir -p "$OUT"

WARM=0.4  # CTC-only warm-up: the first 40 % of the passes
# The supernet's schedule (omni.k, omni.warmup, omni.ramp_end, omni.max_sparsity) and its run name.
OMNI_K=${OMNI_K:-4}
OMNI_WARMUP=${OMNI_WARMUP:-0.15}
OMNI_RAMP=${OMNI_RAMP:-0.6}
OMNI=${OMNI:-omni}
# Omni: dense warm-up w of the steps at 1 pass, the rest at k: passes = S * (w + k (1 - w)).
OMNI_STEPS=$(python3 -c "print(round($PASSES / ($OMNI_WARMUP + $OMNI_K * (1 - $OMNI_WARMUP))))")
# The step fraction that holds its first 40 % of passes: the dense warm-up, then k per step.
OMNI_WARM=$(python3 -c "
s=$OMNI_STEPS; d=$OMNI_WARMUP*s; w=$WARM*$PASSES
print(round((w if w <= d else d + (w - d) / $OMNI_K) / s, 4))")
OMNI_WARM=${OMNI_CTC_WARMUP:-$OMNI_WARM}  # or given as a fraction of its steps
OMNI_MAX=${OMNI_MAX:-0.95}  # the largest sparsity the sampler draws (the sandwich's sparsest net)
OMNI_CFG="{\"k\": $OMNI_K, \"warmup\": $OMNI_WARMUP, \"ramp_end\": $OMNI_RAMP, \"max_sparsity\": $OMNI_MAX}"

train() {  # NAME MODE STEPS CTC_WARMUP_FRACTION OMNI_JSON [extra...]
  local name=$1 mode=$2 steps=$3 warm=$4 omni=$5; shift 5
  [ -f "$OUT/$name/done" ] && return 0
  rm -rf "$OUT/$name"
  python3 -c "import json; c=json.load(open('$HERE/base.json')); c['ctc_warmup']=$warm; c['omni']=json.loads('$omni'); json.dump(c, open('$OUT/$name.json','w'), indent=1)"
  "$BIN" train --data "$CORPUS" --run "$OUT/$name" --mode "$mode" --steps "$steps" \
    --config "$OUT/$name.json" --eval-every 250 --checkpoint-every 250 "$@" > "$OUT/$name.log" 2>&1
  touch "$OUT/$name/done"
}

# Two lanes, one torch thread each (the 2-core machine): the supernet + the first half of the
# baselines, the dense model (for the one-shot floor; DENSE=0 leaves it out) + the other half.
DENSE=${DENSE:-1}
read -r -a T <<< "$TARGETS"
HALF=$(( ${#T[@]} / 2 ))
if [ -z "${EVAL_ONLY:-}" ]; then  # EVAL_ONLY=1: score and tabulate the runs already in OUT
(
  train "$OMNI" omni "$OMNI_STEPS" "$OMNI_WARM" "$OMNI_CFG"
  for t in "${T[@]:0:$HALF}"; do train "gmp-$t" gmp "$PASSES" "$WARM" "{}" --target-sparsity "$t"; done
) &
A=$!
(
  [ "$DENSE" = 1 ] && train dense dense "$PASSES" "$WARM" "{}"
  for t in "${T[@]:$HALF}"; do train "gmp-$t" gmp "$PASSES" "$WARM" "{}" --target-sparsity "$t"; done
) &
B=$!
wait $A
wait $B
fi

# Test-set scores (held-out voices), one JSON per model and level.
for t in 0 $TARGETS; do
  "$BIN" --json eval --run "$OUT/$OMNI" --sparsity "$t" --data "$CORPUS/test" --out "$OUT/eval/$OMNI-$t" > "$OUT/$OMNI-$t.json"
  if [ "$t" != 0 ]; then
    "$BIN" --json eval --run "$OUT/gmp-$t" --sparsity "$t" --data "$CORPUS/test" --out "$OUT/eval/gmp-$t" > "$OUT/gmp-$t.json"
  fi
  [ "$DENSE" = 1 ] || continue
  if [ "$t" = 0 ]; then
    "$BIN" --json eval --run "$OUT/dense" --data "$CORPUS/test" --out "$OUT/eval/dense" > "$OUT/dense-0.json"
  else
    "$BIN" --json eval --run "$OUT/dense" --oneshot --sparsity "$t" --data "$CORPUS/test" --out "$OUT/eval/oneshot-$t" > "$OUT/oneshot-$t.json"
  fi
done

# The same points in each run's results.h5 (set "test"), for the overlaid Pareto plot.
LEVELS="0 $TARGETS"
"$BIN" pareto --run "$OUT/$OMNI" --data "$CORPUS" --set test --levels $LEVELS > /dev/null
RUNS=("$OUT/$OMNI")
if [ "$DENSE" = 1 ]; then
  "$BIN" pareto --run "$OUT/dense" --data "$CORPUS" --set test --oneshot --levels $LEVELS > /dev/null
  RUNS+=("$OUT/dense")
fi
for t in $TARGETS; do "$BIN" pareto --run "$OUT/gmp-$t" --data "$CORPUS" --set test --levels "$t" > /dev/null; done
for t in $TARGETS; do RUNS+=("$OUT/gmp-$t"); done
FRONT=${FRONT:-$HERE/front${OMNI#omni}.png}
if [ -x "$WB" ]; then
  "$WB" --screenshot "$FRONT" --panel pareto "${RUNS[@]}" || echo "screenshot failed" >&2
fi

python3 "$HERE/table.py" "$OUT" "$CORPUS" "$PASSES" "$TARGETS" "$OMNI" | tee "$HERE/RESULTS${OMNI#omni}.md"
