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
# global batch. The layouts run REPEAT times, round-robin (a shared VM's speed drifts by 10-20 %
# between runs minutes apart); the table gives the median over the repeats and their range.
# Prints a markdown table and saves it as RESULTS.md here.
#
#   bash experiments/data_parallel/run.sh            # STEPS=120 per layout, REPEAT=3
# LAYOUTS="1x1 1x2 2x1 4x1" picks others (workers x threads); CORPUS reuses a corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/bin/omnisparse}
STEPS=${STEPS:-120}
REPEAT=${REPEAT:-3}
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
rm -rf "$OUT"/run-* "$OUT"/allreduce-2-*.json
for r in $(seq "$REPEAT"); do
  for layout in $LAYOUTS; do
    w=${layout%x*}; t=${layout#*x}; t=${t%[hd]}
    config=$OUT/config.json; [[ $layout == *h ]] && config=$OUT/config-half.json
    [[ $layout == *d ]] && config=$OUT/config-double.json
    "$BIN" -q --threads "$t" train --data "$CORPUS" --run "$OUT/run-$layout-$r" --mode dense \
      --config "$config" --steps "$STEPS" --workers "$w" \
      --eval-every 100000 --checkpoint-every 100000 2> "$OUT/train-$layout-$r.log"
  done
  "$BIN" --json allreduce-check --workers 2 --iters 50 > "$OUT/allreduce-2-$r.json"
done
python3 - "$OUT" "$STEPS" "$LAYOUTS" "$REPEAT" <<'PY' | tee experiments/data_parallel/RESULTS.md
import json, statistics, sys, os, platform, datetime, subprocess
out, steps, layouts, repeat = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), int(sys.argv[4])
def steps_of(run):
    ev = [json.loads(l) for l in open(os.path.join(run, "events.jsonl"))]
    return [e for e in ev if e["type"] == "step"][2:]  # the first windows warm up
def run_medians(l, r):
    st = steps_of(os.path.join(out, f"run-{l}-{r}"))
    return tuple(statistics.median(e.get(k, 0) for e in st)
                 for k in ("samples_per_s", "sync_ms", "straggle_ms"))
runs = {l: [run_medians(l, r) for r in range(1, repeat + 1)] for l in layouts}
rows = {l: tuple(statistics.median(v[i] for v in runs[l]) for i in range(3)) for l in layouts}
base = rows.get("1x1", next(iter(rows.values())))[0]
# Each repeat's 2 x 1 against the 1 x 1 of the same repeat (minutes apart on the same VM).
paired = [runs["2x1"][r][0] / runs["1x1"][r][0] for r in range(repeat)] \
    if "2x1" in runs and "1x1" in runs else []
ars = [json.load(open(os.path.join(out, f"allreduce-2-{r}.json"))) for r in range(1, repeat + 1)]
ar = {"bytes": ars[0]["bytes"], "correct": all(a["correct"] for a in ars),
      "ms_per_allreduce": statistics.median(a["ms_per_allreduce"] for a in ars)}
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                     capture_output=True, text=True).stdout.strip()
print(f"# Data-parallel training speed\n")
print(f"Measured {datetime.date.today()} on this machine ({os.cpu_count()} cores, {cpu}), "
      f"Debian's LibTorch (CPU), Gloo over loopback: the `tiny` dense transducer on the synthetic "
      f"commands corpus, default batches (up to 6000 frames / 32 utterances), {steps} steps per "
      f"layout, median of the step events after the first 20 steps; each layout run {repeat} "
      f"times round-robin: the median of the runs, their range in brackets.\n")
print("| layout (workers x threads) | samples/s | vs 1 x 1 | all-reduce per step (ms, incl. waiting) | of it: mean wait for the slowest worker (ms) |")
print("|---|---|---|---|---|")
for l, (sps, sync, straggle) in rows.items():
    w, t = l.split("x")
    lo, hi = min(v[0] for v in runs[l]), max(v[0] for v in runs[l])
    sps_s = f"{sps:.1f} [{lo:.1f}-{hi:.1f}]"
    if t.endswith("h"):
        print(f"| {w} x {t[:-1]}, half-size batches | {sps_s} | {sps / base:.2f}x | — | — |")
    elif t.endswith("d"):
        what = "each worker a default-size batch (global batch 2x)" if w != "1" else "double-size batches"
        print(f"| {w} x {t[:-1]}, {what} | {sps_s} | {sps / base:.2f}x | {sync:.1f} | {straggle:.1f} |")
    else:
        print(f"| {w} x {t} | {sps_s} | {sps / base:.2f}x | {sync:.1f} | {straggle:.1f} |")
if paired:
    print(f"\n2 x 1 against the 1 x 1 of the same repeat: "
          + ", ".join(f"{p:.2f}x" for p in paired) + f" (median {statistics.median(paired):.2f}x).")
if "1x1h" in rows and "1x1" in rows:
    print(f"\nCeiling for 2 workers (twice the half-batch rate of one): {2 * rows['1x1h'][0] / base:.2f}x "
          "the 1 x 1 samples/s; what the fixed cost of a pass (the LSTMs' per-frame steps, the "
          "optimiser step) leaves before any communication or contention.")
if "2x1d" in rows and "1x1d" in rows:
    print(f"\nAt the doubled global batch, 2 workers run {rows['2x1d'][0] / rows['1x1d'][0]:.2f}x one "
          "worker on the same batches.")
print(f"\n`allreduce-check --workers 2`: {ar['bytes'] / 1e6:.2f} MB (the tiny model's gradients) in "
      f"{ar['ms_per_allreduce']:.1f} ms per all-reduce (median of {repeat} runs: "
      + ", ".join(f"{a['ms_per_allreduce']:.1f}" for a in ars) + f"), sums correct: {ar['correct']}.")
PY
