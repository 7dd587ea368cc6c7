#!/usr/bin/env bash
# The paper's claim on the built-in commands corpus: one omni-sparsity supernet, fine-tuned from
# a trained dense parent D at the cost of ONE fine-tune, against individually pruned models
# (gradual magnitude pruning from the same D, one fine-tune per target) and the floor (one-shot
# magnitude pruning of D, no retraining), all scored on the held-out-voice test set.
#
#   bash experiments/omni_vs_individual/run.sh              # everything: D, baselines, variants
#   EVAL_ONLY=1 bash experiments/omni_vs_individual/run.sh  # re-score and re-tabulate OUT
#
# Stages (each run is skipped when OUT/<name>/done exists, resumed when it was interrupted):
#   1. D: dense, D_STEPS steps (CTC alone for the first 40 %), dev WER every 250 steps.
#   2. From D, two lanes on the 2 cores, F passes each unless said otherwise:
#      gmp-<t> for every target (cubic ramp over the first half, fixed mask after), a second
#      seed of gmp-0.8 (the seed spread), and the supernet variants in VARIANTS below.
# Writes RESULTS.md and front.png (the workbench's Pareto panel: supernet, gmp runs, one-shot
# of D) next to this script; run directories and logs under OUT.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/omni_vs_individual
BIN=${BIN:-build/bin/omnisparse}
WB=${WB:-build/bin/omnisparse-workbench}
OUT=${OUT:-$HERE/out}
CORPUS=${CORPUS:-experiments/learning_curve/corpus-commands}
D_STEPS=${D_STEPS:-4000}
F=${F:-1000}                  # passes of one fine-tune
TARGETS=${TARGETS:-"0.5 0.7 0.8 0.9"}
[ -x "$BIN" ] || bash scripts/build.sh
[ -f "$CORPUS/corpus.json" ] || "$BIN" -q synth --out "$CORPUS" --utterances 3000 --domain commands --seed 1
mkdir -p "$OUT"

# The supernet variants: name and the omni block of its config (fine-tune settings as gmp's).
# The primary variant is omni-levels (declared in README.md before it was run).
VARIANTS=${VARIANTS:-"omni-levels omni-levels-distill omni-levels-k4"}
omni_block() {
  case $1 in
    omni-levels)         echo '{"members_per_step": 1, "distribution": "levels", "p_dense": 0.2, "level_weights": [], "ramp_end": 0.2, "freeze_at": 0.5}' ;;
    omni-levels-distill) echo '{"members_per_step": 1, "distribution": "levels", "p_dense": 0.2, "level_weights": [], "ramp_end": 0.2, "freeze_at": 0.5, "distill_weight": 1.0}' ;;
    omni-levels-k4)      echo '{"members_per_step": 4, "distribution": "levels", "p_dense": 0.2, "level_weights": [], "ramp_end": 0.2, "freeze_at": 0.5}' ;;
    omni-levels-w)       echo '{"members_per_step": 1, "distribution": "levels", "p_dense": 0.2, "level_weights": [1, 1.5, 2, 3.5], "ramp_end": 0.2, "freeze_at": 0.5}' ;;
    omni-levels-w6)      echo '{"members_per_step": 1, "distribution": "levels", "p_dense": 0.2, "level_weights": [1, 1.5, 2, 6], "ramp_end": 0.2, "freeze_at": 0.5}' ;;
    omni-levels-w-distill) echo '{"members_per_step": 1, "distribution": "levels", "p_dense": 0.2, "level_weights": [1, 1.5, 2, 3.5], "ramp_end": 0.2, "freeze_at": 0.5, "distill_weight": 1.0}' ;;
    *) echo "unknown variant $1" >&2; exit 1 ;;
  esac
}

# NAME MODE STEPS JSON-OVERRIDES [extra train flags...]: a config from base.json plus overrides.
train() {
  local name=$1 mode=$2 steps=$3 over=$4; shift 4
  [ -f "$OUT/$name/done" ] && return 0
  python3 -c "import json,sys; c=json.load(open('$HERE/base.json')); c.update(json.loads(sys.argv[1])); json.dump(c, open('$OUT/$name.json','w'), indent=1)" "$over"
  local resume=()
  if [ -f "$OUT/$name/checkpoints/latest" ]; then resume=(--resume); else rm -rf "${OUT:?}/$name"; fi
  "$BIN" train --data "$CORPUS" --run "$OUT/$name" --mode "$mode" --steps "$steps" \
    --config "$OUT/$name.json" --eval-every 250 --checkpoint-every 250 "${resume[@]}" "$@" \
    >> "$OUT/$name.log" 2>&1
  touch "$OUT/$name/done"
}

# Fine-tunes from D: a lower peak rate than D's, no CTC-only phase (D's transducer is trained).
FT='"lr": 0.001, "lr_warmup_steps": 30, "ctc_warmup": 0.0'
GMP='"gmp": {"start": 0.0, "end": 0.5}'

if [ -n "${ONLY:-}" ]; then  # ONLY="variant ...": train just these supernet variants from D
  for v in $ONLY; do train "$v" omni "$F" "{$FT, \"omni\": $(omni_block "$v")}" --init-from "$OUT/D"; done
  exit 0
fi
if [ -z "${EVAL_ONLY:-}" ]; then
  train D dense "$D_STEPS" '{"ctc_warmup": 0.4}'  # alone: the workers the machine has
  read -r -a T <<< "$TARGETS"
  read -r -a V <<< "$VARIANTS"
  # Two lanes at once: one worker each.
  export OMNISPARSE_WORKERS=1
  (
    train gmp-${T[0]} gmp "$F" "{$FT, $GMP}" --init-from "$OUT/D" --target-sparsity "${T[0]}"
    train gmp-${T[1]} gmp "$F" "{$FT, $GMP}" --init-from "$OUT/D" --target-sparsity "${T[1]}"
    train "${V[0]}" omni "$F" "{$FT, \"omni\": $(omni_block "${V[0]}")}" --init-from "$OUT/D"
    train "${V[1]}" omni "$F" "{$FT, \"omni\": $(omni_block "${V[1]}")}" --init-from "$OUT/D"
    train gmp-0.8-seed2 gmp "$F" "{$FT, $GMP, \"seed\": 2}" --init-from "$OUT/D" --target-sparsity 0.8
  ) &
  A=$!
  (
    train gmp-${T[2]} gmp "$F" "{$FT, $GMP}" --init-from "$OUT/D" --target-sparsity "${T[2]}"
    train gmp-${T[3]} gmp "$F" "{$FT, $GMP}" --init-from "$OUT/D" --target-sparsity "${T[3]}"
    for v in "${V[@]:2}"; do
      train "$v" omni "$F" "{$FT, \"omni\": $(omni_block "$v")}" --init-from "$OUT/D"
    done
  ) &
  B=$!
  wait $A
  wait $B
fi

# Test-set scores (held-out voices), one JSON per model and level.
ev() {  # OUTNAME RUN [eval flags...]
  local name=$1 run=$2; shift 2
  [ -s "$OUT/score/$name.json" ] && return 0
  mkdir -p "$OUT/score"
  "$BIN" --json eval --run "$OUT/$run" --data "$CORPUS/test" --out "$OUT/eval/$name" "$@" > "$OUT/score/$name.json"
}
ev D-0 D
for t in $TARGETS; do
  ev "oneshot-$t" D --oneshot --sparsity "$t"
  ev "gmp-$t" "gmp-$t" --sparsity "$t"
done
ev gmp-0.8-seed2 gmp-0.8-seed2 --sparsity 0.8
for v in $VARIANTS; do
  [ -d "$OUT/$v" ] || continue
  for t in 0 $TARGETS; do ev "$v-$t" "$v" --sparsity "$t"; done
done

# The same points in each run's results.h5 (set "test") for the overlaid Pareto plot.
PRIMARY=${VARIANTS%% *}
"$BIN" -q pareto --run "$OUT/$PRIMARY" --data "$CORPUS" --set test --levels 0 $TARGETS > /dev/null
"$BIN" -q pareto --run "$OUT/D" --data "$CORPUS" --set test --oneshot --levels 0 $TARGETS > /dev/null
RUNS=("$OUT/$PRIMARY" "$OUT/D")
for t in $TARGETS; do
  "$BIN" -q pareto --run "$OUT/gmp-$t" --data "$CORPUS" --set test --levels "$t" > /dev/null
  RUNS+=("$OUT/gmp-$t")
done
if [ -x "$WB" ]; then
  "$WB" --screenshot "$HERE/front.png" --panel pareto "${RUNS[@]}" || echo "screenshot failed" >&2
fi

python3 "$HERE/table.py" "$OUT" "$CORPUS" "$F" "$TARGETS" "$VARIANTS" | tee "$HERE/RESULTS.md"
