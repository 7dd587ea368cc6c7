"""RESULTS.md of experiments/voice_gap from OUT/rows.jsonl and the sets' own summaries."""
import json
import os
import sys

out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "rows.jsonl"))]
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
print("| setting | seed | training | (a) synthetic WER / CER | (b) real WER / CER | gap (b)/(a) |")
print("|---|---:|---|---:|---:|---:|")
for r in rows:
    gap = r["b_wer"] / r["a_wer"] if r["a_wer"] > 0 else float("inf")
    print(f"| {r['setting']} | {r['seed']} | {r['minutes']:g} min, {r.get('workers', 1)} worker(s), {r['steps']} steps | "
          f"{100 * r['a_wer']:.1f} / {100 * r['a_cer']:.1f} % | {100 * r['b_wer']:.1f} / "
          f"{100 * r['b_cer']:.1f} % | {gap:.2f}x |")
