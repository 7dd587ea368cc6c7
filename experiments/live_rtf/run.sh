#!/usr/bin/env bash
# Live microphone RTF and end-of-speech latency (issue 6), through a real capture device: a
# private PulseAudio null sink (scripts/audio-sandbox.sh) whose monitor is the microphone. Plays
# N test utterances with 1.5 s of silence between them into the sink while
# `omnisparse transcribe --mic` listens, once per sub-network, and prints a markdown table.
#
#   bash experiments/live_rtf/run.sh RUN CORPUS [SPARSITIES="0 0.9"] [N=6]
# A dense RUN is pruned one-shot (--oneshot) for sparsities > 0; an omni RUN uses its masks.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=$1
CORPUS=$2
SPARSITIES=${3:-"0 0.9"}
N=${4:-6}
BIN=${BIN:-build/bin/omnisparse}
OUT=${OUT:-$(mktemp -d /tmp/live-rtf.XXXXXX)}
source scripts/audio-sandbox.sh
audio_sandbox_start
trap audio_sandbox_stop EXIT
mapfile -t FILES < <(find "$CORPUS/test" -name '*.flac' | sort | head -n "$N")
# The utterances back to back, each followed by 1.5 s of silence (the endpointer's cue).
parts=()
for f in "${FILES[@]}"; do parts+=("$f" "|sox -n -r 16000 -c 1 -p trim 0 1.5"); done
sox "${parts[@]}" -r 16000 -c 1 "$OUT/stimulus.wav"
DUR=$(soxi -D "$OUT/stimulus.wav")
MODE=$(python3 -c "import json,sys; print(json.load(open('$RUN/run.json')).get('mode','dense'))")
echo "| sub-network | kernels | audio s | RTF | end-of-speech latency | utterances | finals |"
echo "|---|---|---:|---:|---:|---:|---|"
for S in $SPARSITIES; do
  EXTRA=()
  if [ "$S" != "0" ]; then EXTRA=(--sparsity "$S"); [ "$MODE" = dense ] && EXTRA+=(--oneshot); fi
  ( sleep 1.0; paplay -d vsink "$OUT/stimulus.wav" ) &
  "$BIN" transcribe --run "$RUN" "${EXTRA[@]}" --mic --seconds "$(python3 -c "print(round($DUR + 2.5, 1))")" \
    >"$OUT/final-$S.txt" 2>"$OUT/stderr-$S.txt" || { cat "$OUT/stderr-$S.txt" >&2; exit 1; }
  wait
  python3 - "$OUT/stderr-$S.txt" "$OUT/final-$S.txt" "$S" <<'PY'
import re, sys
err = open(sys.argv[1]).read()
finals = [l.strip() for l in open(sys.argv[2]) if l.strip()]
head = re.search(r"kernels: [^;]*", err)
m = re.search(r"transcribe: ([\d.]+) s audio, decode ([\d.]+) s, RTF ([\d.]+).*?(\d+) utterance\(s\), end-of-speech latency (.*)", err)
if not m:
    sys.exit("no timing line in " + sys.argv[1])
print(f"| {float(sys.argv[3]):.0%} | {head.group(0) if head else '?'} | {m.group(1)} | {m.group(3)} | {m.group(5)} | "
      f"{m.group(4)} | {' / '.join(finals)[:120]} |")
PY
done
