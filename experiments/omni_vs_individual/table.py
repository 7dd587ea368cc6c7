"""RESULTS.md of the omni-vs-individual experiment: test WER/CER per size for the supernet
variants, the gmp baselines (and a second seed), one-shot pruning of the parent D, with the cost
of every model with and without D. Standard library only.

usage: table.py OUT CORPUS F "TARGETS" "VARIANTS" ["ACCEPT"]
The first variant is the primary one; ACCEPT lists further variants whose acceptance is checked
(against the best gmp model of each level over the learning rates trained)."""
import glob
import json
import os
import platform
import sys
from pathlib import Path

out, corpus, F, targets, variants = (Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]),
                                     sys.argv[4].split(), sys.argv[5].split())
variants = [v for v in variants if (out / v / "events.jsonl").exists()]
primary = variants[0] if variants else None
accept = [v for v in (sys.argv[6].split() if len(sys.argv) > 6 else []) if (out / v / "events.jsonl").exists()]
LRS = [("", "1e-3"), ("-lr2", "2e-3"), ("-lr3", "3e-3")]
cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
            if l.startswith("model name")), platform.processor())


def score(name):
    p = out / "score" / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() and p.stat().st_size else None


def events(run):
    p = out / run / "events.jsonl"
    if not p.exists():
        return []
    ev = []
    for line in p.read_text().splitlines():
        try:
            ev.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return ev


def cost(run):
    """(passes, steps, wall_s, passes with D, wall with D) of a run, from its events."""
    ev = events(run)
    last = next((e for e in reversed(ev) if e["type"] in ("done", "step")), {})
    passes, steps = last.get("passes", 0), last.get("step", 0)
    wall = last.get("wall_s", last.get("elapsed_s", 0.0))
    return passes, steps, wall, last.get("total_passes", passes), last.get("total_wall_s", wall)


def wer(r):
    return None if r is None else 100 * r["wer"]


def cell(r, nnz=True):
    if r is None:
        return "—"
    s = f"{100 * r['wer']:.1f} / {100 * r['cer']:.1f}"
    return s + (f" ({r['nnz'] / 1e6:.2f} M)" if nnz else "")


d_passes, d_steps, d_wall, _, _ = cost("D")
# The seed spread: every gmp run with a second seed (gmp-T[-lrN] and gmp-T-seed2[-lrN]).
pairs = []
for p in sorted((out / "score").glob("gmp-*-seed2*.json")):
    twin = p.stem.replace("-seed2", "")
    if score(p.stem) and score(twin):
        pairs.append((twin, wer(score(twin)), wer(score(p.stem))))
spread = max((abs(a - b) for _, a, b in pairs), default=None)
allowed = max(2.0, spread or 0.0)


def best_gmp(t):
    """The best gmp model of level t over the learning rates trained: (WER, name)."""
    runs = [(wer(score(f"gmp-{t}{sfx}")), f"gmp-{t}{sfx}") for sfx, _ in LRS if score(f"gmp-{t}{sfx}")]
    return min(runs) if runs else (None, None)


print("# Omni-sparsity supernet vs individually pruned models, from one dense parent\n")
print(f"- data: built-in synthetic `commands` corpus (`{corpus}`, 3000 utterances, seed 1); scores "
      "on the test set: 300 utterances of **held-out voices**; **synthetic speech, not LibriSpeech**")
print("- model: tiny preset (1.81 M parameters with its CTC head), CTC weight 0.5 at 20 ms, no "
      "waveform augmentation; greedy decoding")
print(f"- parent D: dense, {d_steps} steps (CTC alone for the first 40 %), {d_passes} passes, "
      f"{d_wall / 60:.1f} min of training")
print(f"- every fine-tune from D: {F} optimiser steps, peak lr 1e-3 (cosine to 1e-4) unless its name "
      "ends in -lr2 / -lr3 (2e-3 / 3e-3), no CTC-only phase; gmp: cubic ramp to the target over "
      "the first half, fixed mask after")
layouts = {}
for rj in sorted(glob.glob(os.path.join(out, "*", "run.json"))):
    r = json.load(open(rj))
    w, t = r.get("workers", 1), r["config"].get("threads", 1)
    lay = f"{w} worker{'s' if w > 1 else ''} x {t} thread{'s' if t > 1 else ''}"
    layouts.setdefault(lay, []).append(os.path.basename(os.path.dirname(rj)))
lay_text = "; ".join(f"{k}: "
                     + (", ".join(v) if len(v) <= 3 else f"{len(v)} runs")
                     for k, v in sorted(layouts.items(), key=lambda kv: len(kv[1])))
print(f"- machine: {cpu}, two runs at a time on the 2-core VM; per run {lay_text}")
print("- cells: test WER / CER in %, and (first table) non-zero parameters of the whole model\n")

header = ["sparsity"] + [f"`{v}`" for v in variants] + ["best gmp model of the level",
                                                        "one-shot of D"]
print("| " + " | ".join(header) + " |")
print("|" + "---:|" * len(header))
print("| 0 % | " + " | ".join(cell(score(f"{v}-0")) for v in variants) +
      f" | {cell(score('D-0'))} (D itself) | — |")
for t in targets:
    row = [f"{round(100 * float(t))} %"] + [cell(score(f"{v}-{t}")) for v in variants]
    g = best_gmp(t)[1]
    row += [f"{cell(score(g))} `{g}`" if g else "—", cell(score(f"oneshot-{t}"))]
    print("| " + " | ".join(row) + " |")
for twin, a, b in pairs:
    print(f"\nSeed spread: {twin} with seed 1 {a:.1f} %, seed 2 {b:.1f} % test WER: "
          f"{abs(a - b):.1f} points.")


if any(score(f"gmp-{t}{sfx}") for t in targets for sfx, _ in LRS[1:]):
    print("\n## gmp at other peak learning rates (test WER / CER, %)\n")
    print("| level | " + " | ".join(f"gmp, lr {lr}" for _, lr in LRS) + " |")
    print("|---:|" + "---:|" * len(LRS))
    for t in targets:
        print(f"| {round(100 * float(t))} % | " +
              " | ".join(cell(score(f"gmp-{t}{sfx}"), nnz=False) for sfx, _ in LRS) + " |")


def acceptance(v, title):
    print(f"\n## {title}\n")
    print(f"Allowed gap: max(2 points, seed spread) = {allowed:.1f} points; dense member within 2 "
          "points of D; at most 1.1x the passes of one gmp fine-tune. Reference per level: the "
          "best gmp model of that level over the learning rates trained.\n")
    print("| level | supernet WER | reference | gap (points) | holds |")
    print("|---:|---:|---:|---:|:---:|")
    d0, s0 = wer(score("D-0")), wer(score(f"{v}-0"))
    if d0 is not None and s0 is not None:
        print(f"| 0 % | {s0:.1f} % | D {d0:.1f} % | {s0 - d0:+.1f} | {'yes' if s0 - d0 <= 2 else 'NO'} |")
    for t in targets:
        s, (g, name) = wer(score(f"{v}-{t}")), best_gmp(t)
        if s is None or g is None:
            continue
        print(f"| {round(100 * float(t))} % | {s:.1f} % | {name} {g:.1f} % | {s - g:+.1f} | "
              f"{'yes' if s - g <= allowed else 'NO'} |")
    p = cost(v)[0]
    g = [cost(best_gmp(t)[1])[0] for t in targets if best_gmp(t)[1]]
    if g:
        ratio = p / (sum(g) / len(g))
        print(f"| cost | {p} passes | one gmp fine-tune {sum(g) / len(g):.0f} | {ratio:.2f}x | "
              f"{'yes' if ratio <= 1.1 else 'NO'} |")


if primary:
    acceptance(primary, f"Acceptance of the primary variant `{primary}` (declared in advance)"
               if primary == "omni-levels" else f"Acceptance of `{primary}`")
for v in accept:
    acceptance(v, f"Acceptance of `{v}`")

print("\n## Cost\n")
print("| model | passes | optimiser steps | training wall time | passes with D | wall time with D |")
print("|---|---:|---:|---:|---:|---:|")
gmp_p = gmp_w = 0
best = [best_gmp(t)[1] for t in targets if best_gmp(t)[1]]
gmp_runs = sorted({p.name for t in targets for p in out.glob(f"gmp-{t}*") if p.is_dir()})
for run in ["D"] + variants + [v for v in accept if v not in variants] + gmp_runs:
    if not events(run) or not (out / run / "done").exists():
        continue  # not trained to the end (an interrupted run is not a cost of anything here)
    p, s, w, tp, tw = cost(run)
    if run in best:
        gmp_p += p
        gmp_w += w
    print(f"| {run} | {p} | {s} | {w / 60:.1f} min | {tp} | {tw / 60:.1f} min |")
print(f"| the {len(best)} best gmp models together | {gmp_p} | | {gmp_w / 60:.1f} min | "
      f"{gmp_p + d_passes} | {(gmp_w + d_wall) / 60:.1f} min |")
print("\nEqual total cost: the supernet variants with k = 1 cost one fine-tune (F passes) for every "
      f"level; the {len(targets)} gmp models cost {len(targets)} fine-tunes. Equal steps per model: "
      "`omni-levels-k4` takes as many optimiser steps as each gmp model, with up to 4 members "
      "per step (its passes are about what the whole gmp set costs).")
if (out / "D" / "events.jsonl").exists():
    print("\n## The parent D's dev curve (fixed dev subset of base.json's eval_utterances, greedy)\n")
    print("| step | passes | dev WER | dev CER |")
    print("|---:|---:|---:|---:|")
    passes = 0
    for e in events("D"):
        if e["type"] == "step":
            passes = e.get("passes", passes)
        if e["type"] == "eval":
            r = next((x for x in e["results"] if x.get("sparsity", 0) == 0), None)
            if r:
                print(f"| {e['step']} | {passes} | {100 * r['wer']:.1f} % | {100 * r['cer']:.1f} % |")
