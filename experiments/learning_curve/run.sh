#!/usr/bin/env bash
# Learning curve of the streaming transducer (issue 3): WER vs training minutes on the
# built-in synthetic corpus, dev (seen voices) vs test (held-out voices).
#
#   EXTRA="--config experiments/learning_curve/tiny-15min.json" \
#     bash experiments/learning_curve/run.sh [MODE=dense] [MINUTES=15] [DOMAIN=commands]
# (NAME names the output and results file; CORPUS reuses an existing synthetic corpus; STEPS=N
# budgets optimiser steps instead of minutes, for runs that share the CPU with others; BEAM=N
# also scores the final model with beam search of width N, default 4, 0 to skip.)
# Writes OUT (default experiments/learning_curve/out-<domain>-<mode>) and prints a markdown
# table (also saved as RESULTS-<domain>-<mode>.md next to this script).
set -euo pipefail
cd "$(dirname "$0")/../.."
MODE=${1:-dense}
MINUTES=${2:-15}
DOMAIN=${3:-commands}
UTTS=${UTTS:-3000}
BIN=${BIN:-build/bin/omnisparse}
NAME=${NAME:-$DOMAIN-$MODE}
OUT=${OUT:-experiments/learning_curve/out-$NAME}
CORPUS=${CORPUS:-experiments/learning_curve/corpus-$DOMAIN}
[ -x "$BIN" ] || bash scripts/build.sh
if [ ! -f "$CORPUS/corpus.json" ]; then
  "$BIN" synth --out "$CORPUS" --utterances "$UTTS" --domain "$DOMAIN" --seed 1
fi
rm -rf "$OUT"
BUDGET=(--minutes "$MINUTES")
LABEL="$MINUTES min"
if [ -n "${STEPS:-}" ]; then BUDGET=(--steps "$STEPS"); LABEL="$STEPS steps"; fi
"$BIN" train --data "$CORPUS" --run "$OUT" --mode "$MODE" "${BUDGET[@]}" \
  --eval-every "${EVAL_EVERY:-50}" --checkpoint-every 100 ${EXTRA:-}
"$BIN" --json eval --run "$OUT" --data "$CORPUS/dev" > "$OUT/eval-dev.json"
"$BIN" --json eval --run "$OUT" --data "$CORPUS/test" > "$OUT/eval-test.json"
BEAM=${BEAM:-4}
if [ "$BEAM" -gt 1 ]; then
  for set in dev test; do
    "$BIN" --json eval --run "$OUT" --data "$CORPUS/$set" --beam "$BEAM" \
      --out "$OUT/eval-$set-beam" > "$OUT/eval-$set-beam.json"
  done
fi
python3 experiments/learning_curve/table.py "$OUT" "$CORPUS" "$MODE" "$LABEL" \
  | tee "experiments/learning_curve/RESULTS-$NAME.md"
