#!/usr/bin/env python3
"""Tabulates experiments/sherpa_onnx: sherpa-onnx's transcripts of the exported sub-networks
against omnisparse's own (eval), per level, and the sizes of the exports.

usage: compare.py OUT "0 0.5 0.9"
"""
import io
import json
import os
import re
import sys
import zipfile


def read_trn(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r"^(.*)\((\S+)\)\s*$", line.rstrip("\n"))
        if m:
            out[m.group(2)] = m.group(1).strip()
    return out


def norm(text):
    # sherpa-onnx drops leading spaces and a space before ASCII punctuation (the apostrophe).
    return re.sub(r" +(?=')", "", " ".join(text.lower().split()))


def edits(a, b):
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            up = row[j]
            row[j] = min(row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1]))
            diag = up
    return row[len(b)]


def wer(hyps, refs):
    e = sum(edits(hyps.get(k, "").split(), refs[k].split()) for k in refs)
    return 100.0 * e / max(1, sum(len(r.split()) for r in refs.values()))


def read_jsonl(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        j = json.loads(line)
        out[j["id"]] = norm(j["text"])
    return out


def zipped(d):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(os.listdir(d)):
            z.write(os.path.join(d, name), name)
    return len(buf.getvalue())


def main():
    out, levels = sys.argv[1], sys.argv[2].split()
    omni = json.load(open(os.path.join(out, "omni", "run.json")))
    print("# Exported sub-networks in sherpa-onnx vs omnisparse's own decoding\n")
    print("- data: built-in synthetic `commands` corpus, the 300 test utterances (held-out voices); "
          "**synthetic speech, not LibriSpeech**")
    print("- model: tiny preset with the stateless predictor (context 2); a supernet fine-tuned "
          "from the dense run of experiments/learning_curve (`omni` mode, defaults)")
    print("- front end: the model's own (`FbankConfig` defaults since 2026-12-06: kaldi-native-fbank's "
          "as sherpa-onnx sets it up: snip_edges false, floor FLT_EPSILON on samples in [-1, 1], "
          "20-7600 Hz); `model.json` lists no fbank difference")
    print("- ours: `omnisparse eval` (greedy, whole utterance, up to 3 symbols per 40 ms frame); "
          "sherpa-onnx: `sherpa-onnx-node` 1.13.8 (ONNX Runtime inside), "
          "`OnlineRecognizer`, greedy_search, chunks of 320 ms, 0.5 s of zeros after each file "
          "(tests/sherpa/sherpa_decode.js)")
    print("- machine: the 2-core VM; run directory " + omni.get("run", out) + "\n")
    print("Columns: **ours** = `omnisparse eval`; **ours, sherpa's conditions** = our model and "
          "greedy search on what sherpa-onnx decodes (`bench_sherpa_parity`: kaldi-native-fbank's "
          "framing and floor, the same 0.5 s tail, whole 320 ms chunks); "
          "**identical** = the same transcript, utterance by utterance.\n")
    print("| sparsity | WER ours | WER sherpa-onnx fp32 | identical to ours | WER ours, sherpa's "
          "conditions | identical to it (fp32) | WER sherpa-onnx int8 | int8 identical to it |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    sizes = []
    for s in levels:
        tag = "s" + s
        ref = read_trn(os.path.join(out, "eval-" + tag, "ref.trn"))
        ours = {k: norm(v) for k, v in read_trn(os.path.join(out, "eval-" + tag, "hyp.trn")).items()}
        refs = {k: norm(v) for k, v in ref.items()}
        parity = read_jsonl(os.path.join(out, f"{tag}.parity.jsonl"))
        got = {q: read_jsonl(os.path.join(out, f"{tag}-{q}.sherpa.jsonl")) for q in ("fp32", "int8")}

        def same(a, b):
            return 100.0 * sum(a.get(k) == b.get(k) for k in refs) / len(refs)

        print(f"| {float(s) * 100:.0f} % | {wer(ours, refs):.2f} % | {wer(got['fp32'], refs):.2f} % | "
              f"{same(got['fp32'], ours):.1f} % | {wer(parity, refs):.2f} % | "
              f"{same(got['fp32'], parity):.1f} % | {wer(got['int8'], refs):.2f} % | "
              f"{same(got['int8'], parity):.1f} % |")
        exp = {q: json.load(open(os.path.join(out, f"{tag}-{q}.export.json"))) for q in ("fp32", "int8")}
        sizes.append((s, exp, os.path.getsize(os.path.join(out, tag + ".safetensors")),
                      {q: zipped(os.path.join(out, f"{tag}-{q}")) for q in ("fp32", "int8")}))
    print("\n## Sizes (bytes)\n")
    print("| sparsity | sherpa-onnx fp32 dir | zipped | sherpa-onnx int8 dir | zipped | "
          "our sparse safetensors |")
    print("|---:|---:|---:|---:|---:|---:|")
    for s, exp, st, z in sizes:
        print(f"| {float(s) * 100:.0f} % | {exp['fp32']['total_bytes']:,} | {z['fp32']:,} | "
              f"{exp['int8']['total_bytes']:,} | {z['int8']:,} | {st:,} |")


if __name__ == "__main__":
    main()
