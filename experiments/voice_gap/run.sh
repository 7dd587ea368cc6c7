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
#    the held-out texts). OUT/synth-heldout: `synth` over the held-out texts, all its voices.
# 3. A dense tiny model trained MINUTES minutes on synth-train (OMNISPARSE_WORKERS workers of one
#    thread, default 1).
# 4. Scores: (a) OUT/a.tsv (synthetic voices reading the held-out texts) and (b) OUT/b.tsv (the
#    real speaker reading the same texts), WER and CER; a row per setting in OUT/rows.jsonl,
#    the table in RESULTS.md next to this script.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=experiments/voice_gap
BIN=${BIN:-build/bin/omnisparse}
OUT=${OUT:-$HERE/out}
MINUTES=${MINUTES:-20}
STEPS=${STEPS:-}          # a budget in optimiser steps instead of minutes (fair on a shared CPU)
SEED=${SEED:-1}
SETTING=${SETTING:-baseline}
CONFIG=${CONFIG:-}
UTTS=${UTTS:-3000}
EXTRA=${EXTRA:-}          # built-in text domains synthesised beside the training texts, e.g. "wordnet commands"
EXTRA_UTTS=${EXTRA_UTTS:-3000}
FESTIVAL=${FESTIVAL:-}    # 1: the training texts also in Festival's voices (synth --festival); (a) keeps its voices
[ -x "$BIN" ] || bash scripts/build.sh
mkdir -p "$OUT"
export OMNISPARSE_WORKERS=${OMNISPARSE_WORKERS:-1}

[ -f "$OUT/real/prompts.json" ] || "$BIN" prompts --out "$OUT/real" --heldout 0.33 --seed 1 | tee "$OUT/real.log"
TRAIN_SYNTH=synth-train; fest=()
[ -n "$FESTIVAL" ] && { TRAIN_SYNTH=synth-train-festival; fest=(--festival); }
[ -f "$OUT/$TRAIN_SYNTH/corpus.json" ] || "$BIN" -q synth --out "$OUT/$TRAIN_SYNTH" --domain "$OUT/real/train-texts.txt" \
  --utterances "$UTTS" --seed 1 "${fest[@]}"
[ -f "$OUT/synth-heldout/corpus.json" ] || "$BIN" -q synth --out "$OUT/synth-heldout" --domain "$OUT/real/test-texts.txt" \
  --utterances 900 --seed 2
# (a) every synthetic utterance of the held-out texts (all of synth-heldout's voices); (b) the
# real speaker on the same texts (the few held-out prompts too long to synthesise, over 24
# words, are left out of both), as TSV manifests over the two corpora's files.
python3 - "$OUT" <<'PY'
import glob, os, sys
out = sys.argv[1]
def trans(root):
    for f in sorted(glob.glob(f"{root}/**/*.trans.txt", recursive=True)):
        for line in open(f):
            uid, text = line.rstrip("\n").split(" ", 1)
            yield os.path.join(os.path.dirname(os.path.abspath(f)), uid + ".flac"), text.lower(), uid.split("-")[0]
a = list(trans(f"{out}/synth-heldout"))
texts = {t for _, t, _ in a}
b = [u for u in trans(f"{out}/real/test") if u[1] in texts]
for name, rows in (("a", a), ("b", b)):
    with open(f"{out}/{name}.tsv", "w") as f:
        f.writelines(f"{p}\t{t}\t{s}\n" for p, t, s in rows)
print(f"(a) {len(a)} synthetic utterances of {len(texts)} held-out texts; (b) {len(b)} real ones of the same texts")
PY

# Training data: synth-train, plus EXTRA's corpora (their train subsets), as Kaldi data
# directories (utterance ids prefixed by corpus: the corpora number their files alike).
DATA="$OUT/$TRAIN_SYNTH"
if [ -n "$EXTRA" ]; then
  DATA="$OUT/data-$SETTING"
  for d in $EXTRA; do
    [ -f "$OUT/synth-$d/corpus.json" ] || "$BIN" -q synth --out "$OUT/synth-$d" --domain "$d" --utterances "$EXTRA_UTTS" --seed 3
  done
  python3 - "$OUT" "$DATA" "$EXTRA" "$OUT/$TRAIN_SYNTH" <<'PY'
import glob, os, sys
out, data, extra = sys.argv[1], sys.argv[2], sys.argv[3].split()
def trans(corpus, subset):
    for f in sorted(glob.glob(f"{out}/synth-{corpus}/{subset}/**/*.trans.txt", recursive=True)):
        for line in open(f):
            uid, text = line.rstrip("\n").split(" ", 1)
            yield (f"{corpus}-{uid}", os.path.join(os.path.dirname(os.path.abspath(f)), uid + ".flac"),
                   text.lower(), f"{corpus}-{uid.split('-')[0]}")
def kaldi(subset, rows):
    d = f"{data}/{subset}"
    os.makedirs(d, exist_ok=True)
    rows = sorted(rows)
    for name, col in (("wav.scp", 1), ("text", 2), ("utt2spk", 3)):
        with open(f"{d}/{name}", "w") as f:
            f.writelines(f"{r[0]} {r[col]}\n" for r in rows)
    return len(rows)
train = os.path.basename(sys.argv[4]).removeprefix("synth-")  # the training texts' corpus
n = kaldi("train", [r for c in [train] + extra for r in trans(c, "train")])
kaldi("dev", trans(train, "dev"))  # dev stays the prompt texts' own
print(f"training data {data}: {n} utterances")
PY
fi

RUN="$OUT/$SETTING-seed$SEED"
if [ ! -f "$RUN/done" ]; then
  python3 -c "import json,sys; c=json.load(open('$HERE/base.json')); c['seed']=$SEED
if sys.argv[1]: c.update(json.load(open(sys.argv[1])))
json.dump(c, open('$RUN.json','w'), indent=1)" "$CONFIG"
  resume=(); [ -f "$RUN/checkpoints/latest" ] && resume=(--resume)
  budget=(--minutes "$MINUTES"); [ -n "$STEPS" ] && budget=(--steps "$STEPS")
  "$BIN" train --data "$DATA" --run "$RUN" --mode dense "${budget[@]}" \
    --config "$RUN.json" --eval-every 500 --checkpoint-every 250 "${resume[@]}" >> "$RUN.log" 2>&1
  touch "$RUN/done"
fi
for set in a b; do
  [ -s "$RUN.$set.json" ] || "$BIN" --json -q eval --run "$RUN" --data "$OUT/$set.tsv" --out "$RUN.eval-$set" > "$RUN.$set.json"
done
python3 - "$RUN" "$SETTING" "$SEED" "$OUT/rows.jsonl" "$OMNISPARSE_WORKERS" <<'PY'
import json, sys
run, setting, seed, rows, workers = sys.argv[1:]
a, b = (json.load(open(f"{run}.{s}.json")) for s in "ab")
ev = [json.loads(l) for l in open(f"{run}/events.jsonl")]
steps = max((e.get("step", 0) for e in ev if e.get("type") == "step"), default=0)
wall = max((e.get("elapsed_s", 0) for e in ev if e.get("type") == "step"), default=0)
row = {"setting": setting, "seed": int(seed), "minutes": round(wall / 60, 1), "steps": steps, "workers": int(workers),
       "a_wer": a["wer"], "a_cer": a["cer"], "a_utts": a["utterances"],
       "b_wer": b["wer"], "b_cer": b["cer"], "b_utts": b["utterances"]}
old = [json.loads(l) for l in open(rows)] if __import__("os").path.exists(rows) else []
old = [r for r in old if (r["setting"], r["seed"]) != (setting, int(seed))] + [row]
open(rows, "w").write("".join(json.dumps(r) + "\n" for r in old))
PY
python3 "$HERE/table.py" "$OUT" > "$HERE/RESULTS.md"
cat "$HERE/RESULTS.md"
