#!/usr/bin/env bash
# Exported sub-networks in the real sherpa-onnx runtime against omnisparse's own decoding, on the
# held-out-voice test set of the built-in commands corpus (synthetic speech, not LibriSpeech).
#
#   bash experiments/sherpa_onnx/run.sh    # -> experiments/sherpa_onnx/RESULTS.md
#
# 1. PARENT: a dense run with the stateless predictor (experiments/learning_curve, 2419 steps).
# 2. OMNI: a supernet fine-tuned from it (the default recipe, F steps), so that 50 % and 90 %
#    are trained sub-networks.
# 3. For each level: `omnisparse eval` (greedy, whole utterance, our front end),
#    bench_sherpa_parity (our greedy search on the features sherpa-onnx computes: its framing,
#    its log floor, its tail and whole chunks) and
#    `omnisparse export --format sherpa-onnx` (fp32 and --int8), decoded by sherpa-onnx's
#    OnlineRecognizer (tests/sherpa/sherpa_decode.js); transcripts compared per utterance, WER
#    of each, sizes.
# Needs tests/sherpa/node_modules (scripts/install-deps.sh) and sox.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/sherpa_onnx
BIN=${BIN:-build/bin/omnisparse}
PARITY=${PARITY:-$(dirname "$BIN")/bench_sherpa_parity}
OUT=${OUT:-$HERE/out}
CORPUS=${CORPUS:-experiments/learning_curve/corpus-commands}
PARENT=${PARENT:-experiments/learning_curve/out-commands-dense-ctcwarm40-stateless}
F=${F:-1000}
LEVELS=${LEVELS:-"0 0.5 0.8 0.9"}
[ -x "$BIN" ] || bash scripts/build.sh
mkdir -p "$OUT"
if [ ! -f "$PARENT/run.json" ]; then
  NAME=commands-dense-ctcwarm40-stateless STEPS=2419 BIN=$BIN \
    EXTRA="--config experiments/learning_curve/tiny-ctcwarm40-stateless.json --workers 1" \
    bash experiments/learning_curve/run.sh dense 15 commands
fi
if [ ! -f "$OUT/omni/done" ]; then
  resume=(); [ -f "$OUT/omni/checkpoints/latest" ] && resume=(--resume) || rm -rf "$OUT/omni"
  "$BIN" -q train --data "$CORPUS" --run "$OUT/omni" --mode omni --init-from "$PARENT" \
    --steps "$F" --eval-every 250 --checkpoint-every 250 --workers 1 "${resume[@]}" > "$OUT/omni.log" 2>&1
  touch "$OUT/omni/done"
fi

# The test set as raw float32 16 kHz files (what the node script feeds sherpa-onnx).
mkdir -p "$OUT/f32"
: > "$OUT/list.tsv"
while IFS= read -r flac; do
  id=$(basename "$flac" .flac)
  [ -s "$OUT/f32/$id.f32" ] || sox "$flac" -t f32 -r 16000 -c 1 "$OUT/f32/$id.f32"
  printf '%s\t%s\n' "$id" "$OUT/f32/$id.f32" >> "$OUT/list.tsv"
done < <(find "$CORPUS/test" -name '*.flac' | sort)

for s in $LEVELS; do
  tag=s$s
  [ -s "$OUT/$tag.eval.json" ] || "$BIN" --json eval --run "$OUT/omni" --sparsity "$s" \
    --data "$CORPUS/test" --out "$OUT/eval-$tag" > "$OUT/$tag.eval.json"
  [ -s "$OUT/$tag.parity.jsonl" ] || "$PARITY" "$OUT/omni" "$OUT/list.tsv" "$s" 0.5 32 3 > "$OUT/$tag.parity.jsonl"
  "$BIN" -q export --run "$OUT/omni" --sparsity "$s" --out "$OUT/$tag.safetensors" > /dev/null
  for q in fp32 int8; do
    flags=(); [ $q = int8 ] && flags=(--int8)
    "$BIN" --json -q export --run "$OUT/omni" --sparsity "$s" --format sherpa-onnx --force \
      "${flags[@]}" --out "$OUT/$tag-$q" > "$OUT/$tag-$q.export.json"
    node tests/sherpa/sherpa_decode.js "$OUT/$tag-$q" "$OUT/list.tsv" 0.5 > "$OUT/$tag-$q.sherpa.jsonl"
  done
done
python3 "$HERE/compare.py" "$OUT" "$LEVELS" | tee "$HERE/RESULTS.md"
