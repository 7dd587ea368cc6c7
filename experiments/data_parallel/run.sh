#!/usr/bin/env bash
# Data-parallel training speed on this machine (docs/DESIGN.md section 10): training samples/s
# of the tiny dense transducer on the commands corpus with 1 worker x 1 thread, 1 worker x 2
# threads and 2 workers x 1 thread, all measured in this one run, and the time of one gradient
# all-reduce (allreduce-check). Layout 1x1h is one worker on half-size batches (up to 3000
# frames / 16 utterances): twice its samples/s is what two workers would reach if communication
# were free and the workers did not slow each other down (the ceiling the fixed cost of a
# training pass leaves). Layouts ending in d use double-size batches (up to 12000 frames / 64
# utterances): 2x1d gives each worker a default-size batch (the global batch grows with the
# workers, as data-parallel recipes usually scale it), and 1x1d is one worker on the same
# global batch. Prints a markdown table and saves it as RESULTS.md here.
#
#   bash experiments/data_parallel/run.sh            # STEPS=120 per layout
# LAYOUTS="1x1 1x2 2x1 4x1" picks others (workers x threads); CORPUS reuses a corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/bin/omnisparse}
STEPS=${STEPS:-120}
LAYOUTS=${LAYOUTS:-1x1 1x2 2x1 1x1h}
CORPUS=${CORPUS:-experiments/learning_curve/corpus-commands}
OUT=${OUT:-experiments/data_parallel/out}
[ -x "$BIN" ] || bash scripts/build.sh
if [ ! -f "$CORPUS/corpus.json" ]; then
  "$BIN" synth --out "$CORPUS" --utterances 3000 --domain commands --seed 1
fi
mkdir -p "$OUT"
# The default batches, no CTC-only phase (every step a full transducer step), no evaluation.
echo '{"ctc_warmup": 0, "log_every": 10}' > "$OUT/config.json"
echo '{"ctc_warmup": 0, "log_every": 10, "max_frames_per_batch": 3000, "max_batch": 16}' > "$OUT/config-half.json"
echo '{"ctc_warmup": 0, "log_every": 10, "max_frames_per_batch": 12000, "max_batch": 64}' > "$OUT/config-double.json"
for layout in $LAYOUTS; do
  w=${layout%x*}; t=${layout#*x}; t=${t%[hd]}
  config=$OUT/config.json; [[ $layout == *h ]] && config=$OUT/config-half.json
  [[ $layout == *d ]] && config=$OUT/config-double.json
  rm -rf "$OUT/run-$layout"
  "$BIN" -q --threads "$t" train --data "$CORPUS" --run "$OUT/run-$layout" --mode dense \
    --config "$config" --steps "$STEPS" --workers "$w" \
    --eval-every 100000 --checkpoint-every 100000 2> "$OUT/train-$layout.log"
done
"$BIN" --json allreduce-check --workers 2 --iters 50 > "$OUT/allreduce-2.json"
python3 - "$OUT" "$STEPS" "$LAYOUTS" <<'PY' | tee experiments/data_parallel/RESULTS.md
import json, statistics, sys, os, platform, datetime, subprocess
out, steps, layouts = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def steps_of(run):
    ev = [json.loads(l) for l in open(os.path.join(run, "events.jsonl"))]
    return [e for e in ev if e["type"] == "step"][2:]  # the first windows warm up
rows = {}
for l in layouts:
    st = steps_of(os.path.join(out, "run-" + l))
    rows[l] = (statistics.median(e["samples_per_s"] for e in st),
               statistics.median(e.get("sync_ms", 0) for e in st),
               statistics.median(e.get("straggle_ms", 0) for e in st))
base = rows.get("1x1", next(iter(rows.values())))[0]
ar = json.load(open(os.path.join(out, "allreduce-2.json")))
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                     capture_output=True, text=True).stdout.strip()
print(f"# Data-parallel training speed\n")
print(f"Measured {datetime.date.today()} on this machine ({os.cpu_count()} cores, {cpu}), "
      f"Debian's LibTorch (CPU), Gloo over loopback: the `tiny` dense transducer on the synthetic "
      f"commands corpus, default batches (up to 6000 frames / 32 utterances), {steps} steps per "
      f"layout, median of the step events after the first 20 steps.\n")
print("| layout (workers x threads) | samples/s | vs 1 x 1 | all-reduce per step (ms, incl. waiting) | of it: mean wait for the slowest worker (ms) |")
print("|---|---|---|---|---|")
for l, (sps, sync, straggle) in rows.items():
    w, t = l.split("x")
    if t.endswith("h"):
        print(f"| {w} x {t[:-1]}, half-size batches | {sps:.1f} | {sps / base:.2f}x | — | — |")
    elif t.endswith("d"):
        what = "each worker a default-size batch (global batch 2x)" if w != "1" else "double-size batches"
        print(f"| {w} x {t[:-1]}, {what} | {sps:.1f} | {sps / base:.2f}x | {sync:.1f} | {straggle:.1f} |")
    else:
        print(f"| {w} x {t} | {sps:.1f} | {sps / base:.2f}x | {sync:.1f} | {straggle:.1f} |")
if "1x1h" in rows and "1x1" in rows:
    print(f"\nCeiling for 2 workers (twice the half-batch rate of one): {2 * rows['1x1h'][0] / base:.2f}x "
          "the 1 x 1 samples/s; what the fixed cost of a pass (the LSTMs' per-frame steps, the "
          "optimiser step) leaves before any communication or contention.")
if "2x1d" in rows and "1x1d" in rows:
    print(f"\nAt the doubled global batch, 2 workers run {rows['2x1d'][0] / rows['1x1d'][0]:.2f}x one "
          "worker on the same batches.")
print(f"\n`allreduce-check --workers 2`: {ar['bytes'] / 1e6:.2f} MB (the tiny model's gradients) in "
      f"{ar['ms_per_allreduce']:.1f} ms per all-reduce, sums correct: {ar['correct']}.")
PY
