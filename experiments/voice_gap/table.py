"""RESULTS.md of experiments/voice_gap from OUT/rows.jsonl and the sets' own summaries."""
import json
import os
import sys

out = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(out, "rows.jsonl"))]
real = json.load(open(os.path.join(out, "real", "prompts.json")))
print("# Synthetic-to-real gap, vocabulary held equal\n")
print(f"- real speaker (b): Asterisk's English prompts, one studio-recorded female speaker, 8 kHz "
      f"resampled to 16 kHz: {real['utterances']} utterances ({real['audio_minutes']:.1f} min) reading "
      f"the {real['test_texts']} held-out texts of {real['test_texts'] + real['train_texts']} "
      f"(`omnisparse prompts --heldout 0.33 --seed 1`)")
print("- synthetic (a): held-out synthetic voices reading the same held-out texts "
      "(`synth-heldout/test`); training: `synth` over the other texts only (espeak-ng + flite "
      "training voices)")
print("- model: tiny preset, dense, one worker x one thread on this 2-core VM; greedy decoding")
print("- the gap is (b) / (a); the target for the final setting is (b) <= 1.5 x (a) with (a) < 15 %\n")
print("| setting | seed | training | (a) synthetic WER / CER | (b) real WER / CER | gap (b)/(a) |")
print("|---|---:|---|---:|---:|---:|")
for r in rows:
    gap = r["b_wer"] / r["a_wer"] if r["a_wer"] > 0 else float("inf")
    print(f"| {r['setting']} | {r['seed']} | {r['minutes']:g} min, {r['steps']} steps | "
          f"{100 * r['a_wer']:.1f} / {100 * r['a_cer']:.1f} % | {100 * r['b_wer']:.1f} / "
          f"{100 * r['b_cer']:.1f} % | {gap:.2f}x |")
