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
# Writes RESULTS.md and front.png (the workbench's Pareto panel: supernet, the best gmp run of
# each level, one-shot of D) next to this script ($RESULTS, $PNG); runs and logs under OUT.
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
# The primary variant is omni-levels (declared in README.md before it was run). A suffix -lr2 /
# -lr3 (any -lrN) on a run name (supernet or gmp) sets the fine-tune's peak learning rate to N e-3
# instead of 1e-3 (the learning-rate sweep in README.md).
VARIANTS=${VARIANTS:-"omni-levels omni-levels-w omni-levels-w6 omni-levels-distill omni-levels-k4 omni-levels-w-f03 omni-levels-w-lr2 omni-levels-w-lr3 omni-levels-lr3 omni-levels-w-lr5 omni-levels-w6-lr3 omni-levels-w-p1-lr3 omni-levels-w-p3-lr5"}
ACCEPT=${ACCEPT:-omni-levels-w-lr3}   # acceptance also checked for these (the best recipe so far)
FRONT=${FRONT:-omni-levels-w-lr3}     # the supernet drawn in front.png
RESULTS=${RESULTS:-$HERE/RESULTS.md}  # the table (F = 3000: RESULTS-f3000.md)
PNG=${PNG:-$HERE/front.png}           # the plot
LEVELS='"members_per_step": 1, "distribution": "levels", "p_dense": 0.2, "ramp_end": 0.2, "freeze_at": 0.5'
omni_block() {
  local base=${1%-lr[0-9]}
  case ${base%-seed2} in
    omni-levels)         echo "{$LEVELS, \"level_weights\": []}" ;;
    omni-levels-distill) echo "{$LEVELS, \"level_weights\": [], \"distill_weight\": 1.0}" ;;
    omni-levels-k4)      echo "{$LEVELS, \"level_weights\": [], \"members_per_step\": 4}" ;;
    omni-levels-w)       echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5]}" ;;
    omni-levels-w6)      echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 6]}" ;;
    omni-levels-w-f03)   echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"freeze_at\": 0.3}" ;;
    omni-levels-w-distill) echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"distill_weight\": 1.0}" ;;
    omni-levels-w-p1)    echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"p_dense\": 0.1}" ;;
    omni-levels-w-p3)    echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"p_dense\": 0.3}" ;;
    omni-levels-w-sg0)   echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"shared_grad\": 0.0}" ;;
    omni-levels-w-ramp50) echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"ramp_end\": 0.5, \"follow_ramp\": true}" ;;
    omni-levels-w-ramp50-fast90) echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"ramp_end\": 0.5, \"follow_ramp\": true, \"level_lr\": [1, 1, 1, 2]}" ;;
    omni-levels-w-ramp35) echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"ramp_end\": 0.35, \"follow_ramp\": true}" ;;
    omni-levels-w-fast90) echo "{$LEVELS, \"level_weights\": [1, 1.5, 2, 3.5], \"level_lr\": [1, 1, 1, 2]}" ;;
    *) echo "unknown variant $1" >&2; exit 1 ;;
  esac
}
# The fine-tune settings of a run name: peak rate 1e-3 unless the name ends in -lrN (N e-3),
# no CTC-only phase (D's transducer is trained).
fine_tune() {
  local lr=0.001
  case $1 in *-lr[0-9]) lr=0.00${1: -1} ;; esac
  echo "\"lr\": $lr, \"lr_warmup_steps\": 30, \"ctc_warmup\": 0.0"
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

GMP='"gmp": {"start": 0.0, "end": 0.5}'
# One run by name: D itself, a supernet variant, or gmp-<target>[-seed2][-lrN] from D.
run_named() {
  local name=$1 ft
  ft=$(fine_tune "$name")
  case $name in
    D) train D dense "$D_STEPS" '{"ctc_warmup": 0.4}' ;;  # alone: the workers the machine has
    gmp-*)
      local t=${name#gmp-}; t=${t%%-*}
      local seed=""; [[ $name == *-seed2* ]] && seed=', "seed": 2'
      train "$name" gmp "$F" "{$ft, $GMP$seed}" --init-from "$OUT/D" --target-sparsity "$t" ;;
    *)
      local seed=""; [[ $name == *-seed2* ]] && seed=', "seed": 2'
      train "$name" omni "$F" "{$ft, \"omni\": $(omni_block "$name")$seed}" --init-from "$OUT/D" ;;
  esac
}

if [ -n "${ONLY:-}" ]; then  # ONLY="name ...": train just these runs (D first, if named), in order
  for v in $ONLY; do run_named "$v"; done
  exit 0
fi
if [ -z "${EVAL_ONLY:-}" ]; then
  run_named D
  read -r -a T <<< "$TARGETS"
  read -r -a V <<< "$VARIANTS"
  # Two lanes at once: one worker each.
  export OMNISPARSE_WORKERS=1
  (
    for r in "gmp-${T[0]}" "gmp-${T[1]}" "${V[@]:0:2}" gmp-0.8-seed2; do run_named "$r"; done
  ) &
  A=$!
  (
    for r in "gmp-${T[2]}" "gmp-${T[3]}" "${V[@]:2}"; do run_named "$r"; done
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
  for d in "$OUT/gmp-$t" "$OUT/gmp-$t"-*; do  # every gmp run of the level trained to the end
    [ -f "$d/done" ] || continue
    ev "$(basename "$d")" "$(basename "$d")" --sparsity "$t"
  done
done
for v in $VARIANTS ${ACCEPT:-}; do
  [ -f "$OUT/$v/done" ] || continue  # trained to the end
  for t in 0 $TARGETS; do ev "$v-$t" "$v" --sparsity "$t"; done
done

# The same points in each run's results.h5 (set "test") for the overlaid Pareto plot: the
# supernet FRONT, D's one-shot pruning, the best gmp model of each level.
"$BIN" -q pareto --run "$OUT/$FRONT" --data "$CORPUS" --set test --levels 0 $TARGETS > /dev/null
"$BIN" -q pareto --run "$OUT/D" --data "$CORPUS" --set test --oneshot --levels 0 $TARGETS > /dev/null
RUNS=("$OUT/$FRONT" "$OUT/D")
for t in $TARGETS; do
  g=$(python3 -c "import json,sys,glob,os; s=[(json.load(open(f))['wer'], os.path.basename(f)[:-5]) for f in glob.glob(sys.argv[1] + '/score/gmp-' + sys.argv[2] + '*.json') if os.path.getsize(f)]; print(min(s)[1] if s else '')" "$OUT" "$t")
  [ -n "$g" ] || continue
  "$BIN" -q pareto --run "$OUT/$g" --data "$CORPUS" --set test --levels "$t" > /dev/null
  RUNS+=("$OUT/$g")
done
if [ -x "$WB" ]; then
  "$WB" --screenshot "$PNG" --panel pareto "${RUNS[@]}" || echo "screenshot failed" >&2
fi

python3 "$HERE/table.py" "$OUT" "$CORPUS" "$F" "$TARGETS" "$VARIANTS" "${ACCEPT:-}" | tee "$RESULTS"
