"""RESULTS.md of experiments/voice_gap from OUT/rows.jsonl and the sets' own summaries."""
import json
import os
import sys

out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "rows.jsonl"))]
first = {}
for i, r in enumerate(rows):
    first.setdefault(r["setting"], i)
rows.sort(key=lambda r: (first[r["setting"]], r["seed"]))
# What each setting changes against the baseline (settings/<name>.json holds its overlay).
CHANGES = {
    "baseline": "none: clean synthetic voices reading the training texts",
    "baseline-long": "twice the minutes, 2 workers",
    "augment": "waveform augmentation on half the utterances: speed, room, noise, band-limits, gain (the default chain)",
    "text-variety": "the wordnet and commands corpora (3000 utterances each) beside the training texts",
    "telephone": "half the utterances through a telephone line (300-3400 Hz at 8 kHz, G.711 mu/A-law or GSM 06.10)",
    "vtlp": "vocal-tract-length perturbation (warp 0.9-1.1) on half the utterances",
    "festival": "Festival's voices (kal, ked diphones; slt HTS) as a fifth of the training speakers",
    "text-variety-telephone": "text-variety and telephone together",
}
real = json.load(open(os.path.join(out, "real", "prompts.json")))
print("# Synthetic-to-real gap, vocabulary held equal\n")
r0 = rows[-1]
print(f"- real speaker (b): Asterisk's English prompts, one studio-recorded female speaker, 8 kHz "
      f"resampled to 16 kHz, reading held-out texts: {r0['b_utts']} utterances; "
      f"{real['test_texts']} of the {real['test_texts'] + real['train_texts']} unique prompt texts "
      f"are held out (`omnisparse prompts --heldout 0.33 --seed 1`), those of at most 24 words scored")
print(f"- synthetic (a): the synthetic voices (espeak-ng variants, flite) reading the same held-out "
      f"texts: {r0['a_utts']} utterances; training: `synth` over the other texts only")
print("- model: tiny preset, dense, trained on this 2-core VM (workers x one thread each); greedy decoding")
print("- the gap is (b) / (a); the target for the final setting is (b) <= 1.5 x (a) with (a) < 15 %\n")
print("| setting | change | seed | training | (a) synthetic WER / CER | (b) real WER / CER | gap (b)/(a) |")
print("|---|---|---:|---|---:|---:|---:|")
for r in rows:
    gap = r["b_wer"] / r["a_wer"] if r["a_wer"] > 0 else float("inf")
    print(f"| {r['setting']} | {CHANGES.get(r['setting'], '')} | {r['seed']} | {r['steps']} steps, {r.get('workers', 1)} worker(s), {r['minutes']:g} min wall | "
          f"{100 * r['a_wer']:.1f} / {100 * r['a_cer']:.1f} % | {100 * r['b_wer']:.1f} / "
          f"{100 * r['b_cer']:.1f} % | {gap:.2f}x |")
