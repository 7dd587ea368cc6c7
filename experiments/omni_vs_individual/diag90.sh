#!/usr/bin/env bash
# Diagnostic (README, "The shared unpruned parameters are not it"): fine-tune a finished
# supernet's 90 % sub-network alone for S steps (gmp mode from the supernet, target 0.9 from the
# first step, peak rate 1e-3), training every parameter (all), only those outside the prunable
# matrices (unpruned) or only the prunable matrices (pruned), then score it on the test set.
#
#   WHICH="all unpruned pruned" OUT=experiments/omni_vs_individual/out-f3000 \
#     bash experiments/omni_vs_individual/diag90.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/omni_vs_individual
BIN=${BIN:-build/bin/omnisparse}
OUT=${OUT:-$HERE/out-f3000}
CORPUS=${CORPUS:-experiments/learning_curve/corpus-commands}
S=${S:-300}
SRC=${SRC:-omni-levels-w-lr3}
for which in ${WHICH:-all unpruned pruned}; do
  name=ft90-$SRC-$which-$S
  if [ ! -f "$OUT/$name/done" ]; then
    python3 -c "import json,sys; c=json.load(open('$HERE/base.json')); c.update({'lr': 0.001, 'lr_warmup_steps': 30, 'ctc_warmup': 0.0, 'trainable': sys.argv[1], 'gmp': {'start': 0.0, 'end': 0.0}}); json.dump(c, open('$OUT/$name.json', 'w'), indent=1)" "$which"
    rm -rf "${OUT:?}/$name"
    "$BIN" train --data "$CORPUS" --run "$OUT/$name" --mode gmp --steps "$S" --config "$OUT/$name.json" \
      --init-from "$OUT/$SRC" --target-sparsity 0.9 --eval-every 100 --checkpoint-every 100 \
      > "$OUT/$name.log" 2>&1
    touch "$OUT/$name/done"
  fi
  mkdir -p "$OUT/score"
  "$BIN" --json eval --run "$OUT/$name" --data "$CORPUS/test" --out "$OUT/eval/$name" --sparsity 0.9 \
    > "$OUT/score/$name.json"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(sys.argv[2], 'test WER %.1f %%' % (100 * d['wer']))" \
    "$OUT/score/$name.json" "$name"
done
