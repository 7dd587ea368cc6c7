"""Markdown table of a run's dev WER over training time (from events.jsonl) and the final
dev/test scores (from `omnisparse --json eval`). Standard library only."""
import json
import platform
import sys
from pathlib import Path

run, corpus, mode, minutes = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
events = [json.loads(l) for l in (run / "events.jsonl").read_text().splitlines() if l.strip()]
start = next(e for e in events if e["type"] == "start")
steps = {e["step"]: e for e in events if e["type"] == "step"}
dev = json.loads((run / "eval-dev.json").read_text())
test = json.loads((run / "eval-test.json").read_text())
corpus_info = json.loads((corpus / "corpus.json").read_text())
cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
            if l.startswith("model name")), platform.processor())

budget = minutes if not minutes.replace(".", "").isdigit() else f"{minutes} min"
print(f"# Learning curve: {mode}, tiny preset, {budget} budget\n")
print(f"- data: built-in synthetic corpus `{corpus.name}` (domain {corpus_info.get('domain')}, seed "
      f"{corpus_info.get('seed')}); dev = seen voices, test = held-out voices (not LibriSpeech)")
workers, threads = start.get("workers", 1), start.get("threads", 1)
layout = (f"{workers} workers x {threads} torch thread{'s' if threads > 1 else ''} each (data parallel, {start.get('backend')})"
          if workers > 1 else f"{threads} torch thread{'s' if threads > 1 else ''}")
print(f"- machine: {cpu}, {layout}, shared 2-core VM; parameters {start.get('parameters')}")
cfg = json.loads((run / "run.json").read_text()).get("config", {}) if (run / "run.json").exists() else {}
if cfg:
    print(f"- training: CTC alone for the first {100 * cfg.get('ctc_warmup', 0):.0f} % of the budget, Adam lr "
          f"{cfg.get('lr')} ({cfg.get('lr_warmup_steps')} warm-up steps), batches of up to "
          f"{cfg.get('max_frames_per_batch')} frames / {cfg.get('max_batch')} utterances, waveform "
          f"augmentation on {100 * cfg.get('wave_augment_prob', 0):.0f} % of them, SpecAugment "
          f"{'on' if cfg.get('use_spec_augment') else 'off'}, seed {cfg.get('seed')}")
print(f"- dev WER during training is on a fixed {start.get('dev_utterances')}-utterance dev subset, greedy\n")
print("| step | training minutes | passes | train loss | dev WER (subset) | dev CER (subset) |")
print("|---:|---:|---:|---:|---:|---:|")
for e in events:
    if e["type"] != "eval":
        continue
    dense = next((r for r in e["results"] if r["sparsity"] == 0), e["results"][0])
    s = steps.get(e["step"], {})
    print(f"| {e['step']} | {s.get('elapsed_s', 0) / 60:.1f} | {s.get('passes', '')} | "
          f"{s.get('loss', float('nan')):.2f} | {100 * dense['wer']:.1f} % | {100 * dense['cer']:.1f} % |")
print()
rows = [("dev (seen voices)", "greedy", dev), ("test (held-out voices)", "greedy", test)]
for name, key in (("dev (seen voices)", "dev"), ("test (held-out voices)", "test")):
    f = run / f"eval-{key}-beam.json"
    if f.exists():  # run.sh's BEAM
        r = json.loads(f.read_text())
        rows.append((name, f"beam {r['beam']}, up to {r.get('max_symbols', 3)} symbols per frame", r))
print("| set | decoding | utterances | WER | S / D / I | CER | RTF |")
print("|---|---|---:|---:|---|---:|---:|")
for name, how, r in rows:
    print(f"| {name} | {how} | {r['utterances']} | {100 * r['wer']:.2f} % | {r['sub']} / {r['del']} / {r['ins']} | "
          f"{100 * r['cer']:.2f} % | {r['rtf']:.4f} |")
