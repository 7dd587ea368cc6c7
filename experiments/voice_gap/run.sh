#!/usr/bin/env bash
# The synthetic-to-real gap with the vocabulary held equal (issue: real voices).
#
#   bash experiments/voice_gap/run.sh                 # baseline: build, train, score, table
#   SETTING=name CONFIG=over.json bash .../run.sh     # another setting (a config overlay)
#
# 1. OUT/real: Asterisk's English prompts (one real speaker), a third of the unique texts held
#    out (`omnisparse prompts --heldout 0.33 --seed 1`): real/test is the real speaker reading
#    the held-out texts; real/train-texts.txt and real/test-texts.txt are the two sides' texts.
# 2. OUT/synth-train: `synth` over the training texts (training voices in its train/dev; none of
#    the held-out texts). OUT/synth-heldout: `synth` over the held-out texts; its test subset is
#    held-out synthetic voices reading them.
# 3. A dense tiny model trained MINUTES minutes on synth-train (one worker, one thread).
# 4. Scores: (a) synth-heldout/test (synthetic voices, held-out texts) and (b) real/test (the
#    real speaker, the same texts), WER and CER; a row per setting in OUT/rows.jsonl, the
#    table in RESULTS.md next to this script.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/voice_gap
BIN=${BIN:-build/bin/omnisparse}
OUT=${OUT:-$HERE/out}
MINUTES=${MINUTES:-20}
SEED=${SEED:-1}
SETTING=${SETTING:-baseline}
CONFIG=${CONFIG:-}
UTTS=${UTTS:-3000}
[ -x "$BIN" ] || bash scripts/build.sh
mkdir -p "$OUT"
export OMNISPARSE_WORKERS=${OMNISPARSE_WORKERS:-1}

[ -f "$OUT/real/prompts.json" ] || "$BIN" prompts --out "$OUT/real" --heldout 0.33 --seed 1 | tee "$OUT/real.log"
[ -f "$OUT/synth-train/corpus.json" ] || "$BIN" -q synth --out "$OUT/synth-train" --domain "$OUT/real/train-texts.txt" \
  --utterances "$UTTS" --seed 1
[ -f "$OUT/synth-heldout/corpus.json" ] || "$BIN" -q synth --out "$OUT/synth-heldout" --domain "$OUT/real/test-texts.txt" \
  --utterances 600 --seed 2 --test-fraction 0.5

RUN="$OUT/$SETTING-seed$SEED"
if [ ! -f "$RUN/done" ]; then
  python3 -c "import json,sys; c=json.load(open('$HERE/base.json')); c['seed']=$SEED
if sys.argv[1]: c.update(json.load(open(sys.argv[1])))
json.dump(c, open('$RUN.json','w'), indent=1)" "$CONFIG"
  resume=(); [ -f "$RUN/checkpoints/latest" ] && resume=(--resume)
  "$BIN" train --data "$OUT/synth-train" --run "$RUN" --mode dense --minutes "$MINUTES" \
    --config "$RUN.json" --eval-every 500 --checkpoint-every 250 "${resume[@]}" >> "$RUN.log" 2>&1
  touch "$RUN/done"
fi
for set in a b; do
  data="$OUT/synth-heldout/test"; [ $set = b ] && data="$OUT/real/test"
  [ -s "$RUN.$set.json" ] || "$BIN" --json -q eval --run "$RUN" --data "$data" --out "$RUN.eval-$set" > "$RUN.$set.json"
done
python3 - "$RUN" "$SETTING" "$SEED" "$MINUTES" "$OUT/rows.jsonl" <<'PY'
import json, sys
run, setting, seed, minutes, rows = sys.argv[1:]
a, b = (json.load(open(f"{run}.{s}.json")) for s in "ab")
ev = [json.loads(l) for l in open(f"{run}/events.jsonl")]
steps = max((e.get("step", 0) for e in ev if e.get("type") == "step"), default=0)
row = {"setting": setting, "seed": int(seed), "minutes": float(minutes), "steps": steps,
       "a_wer": a["wer"], "a_cer": a["cer"], "a_utts": a["utterances"],
       "b_wer": b["wer"], "b_cer": b["cer"], "b_utts": b["utterances"]}
old = [json.loads(l) for l in open(rows)] if __import__("os").path.exists(rows) else []
old = [r for r in old if (r["setting"], r["seed"]) != (setting, int(seed))] + [row]
open(rows, "w").write("".join(json.dumps(r) + "\n" for r in old))
PY
python3 "$HERE/table.py" "$OUT" > "$HERE/RESULTS.md"
cat "$HERE/RESULTS.md"
