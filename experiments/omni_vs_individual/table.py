"""RESULTS.md of the omni-vs-individual experiment: test WER per size for the supernet, the
gmp baselines and one-shot pruning, with passes and wall time per model. Standard library only."""
import json
import platform
import sys
from pathlib import Path

out, corpus, passes, targets = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4].split()
omni = sys.argv[5] if len(sys.argv) > 5 else "omni"
omni_cfg = json.loads((out / f"{omni}.json").read_text()) if (out / f"{omni}.json").exists() else {}
cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
            if l.startswith("model name")), platform.processor())


def score(name):
    p = out / f"{name}.json"
    return json.loads(p.read_text()) if p.exists() else None


def cost(run):
    ev = [json.loads(l) for l in (out / run / "events.jsonl").read_text().splitlines() if l.strip()]
    steps = [e for e in ev if e["type"] == "step"]
    done = next((e for e in ev if e["type"] == "done"), {})
    last = steps[-1] if steps else {}
    return (done.get("passes", last.get("passes", 0)), done.get("step", last.get("step", 0)),
            done.get("wall_s", last.get("elapsed_s", 0)))


def cell(r):
    return "—" if r is None else f"{100 * r['wer']:.1f} % ({r['nnz'] / 1e6:.2f} M)"


print("# Omni-sparsity supernet vs individually pruned models (issue 4)\n")
print(f"- data: built-in synthetic `commands` corpus ({corpus}), test set = 300 utterances of "
      "held-out voices; **synthetic speech, not LibriSpeech**")
print(f"- model: tiny preset (1.81 M parameters with its CTC head), CTC weight 0.5 at 20 ms, "
      f"CTC-only warm-up for the first 40 % of the passes, no waveform augmentation")
print(f"- budget: {passes} forward+backward passes per model; machine: {cpu}, 1 torch thread per "
      "run, two runs at a time on the 2-core VM")
schedule = omni_cfg.get("omni") or {"k": 4, "warmup": 0.15, "ramp_end": 0.6}  # the defaults
print(f"- supernet `{omni}`: omni config {json.dumps(schedule)}, max sparsity "
      f"{schedule.get('max_sparsity', 0.95)}, CTC-only warm-up {omni_cfg.get('ctc_warmup')} of its steps")
print("- WER: greedy decoding, whole test set; in brackets: non-zero parameters of the whole "
      "model\n")
print("| sparsity | omni supernet (one model) | gmp, one model per target | one-shot of the dense model |")
print("|---:|---:|---:|---:|")
print(f"| 0 % (dense) | {cell(score(f'{omni}-0'))} | {cell(score('dense-0'))} (dense baseline) | — |")
for t in targets:
    print(f"| {round(100 * float(t))} % | {cell(score(f'{omni}-{t}'))} | {cell(score(f'gmp-{t}'))} | "
          f"{cell(score(f'oneshot-{t}'))} |")
print()
print("| model | passes | optimiser steps | training wall time |")
print("|---|---:|---:|---:|")
total_p, total_s = 0, 0.0
for run in [omni, "dense"] + [f"gmp-{t}" for t in targets]:
    if not (out / run / "events.jsonl").exists():  # no dense model in this set (DENSE=0)
        continue
    p, s, w = cost(run)
    if run.startswith("gmp"):
        total_p += p
        total_s += w
    print(f"| {run} | {p} | {s} | {w / 60:.1f} min |")
print(f"| all {len(targets)} gmp baselines together | {total_p} | | {total_s / 60:.1f} min |")
