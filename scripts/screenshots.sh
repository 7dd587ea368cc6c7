#!/usr/bin/env bash
# Renders the README screenshots from a real run directory (offscreen, no display needed):
#   bash scripts/screenshots.sh RUN        # -> resources/screenshots/{welcome,training,pareto,masks}.png
# RUN should hold results.h5 (e.g. after `omnisparse pareto --run RUN --data CORPUS --search evo`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:?usage: scripts/screenshots.sh RUN}
WB=${WB:-build/bin/omnisparse-workbench}
OUT=resources/screenshots
mkdir -p "$OUT"
"$WB" --screenshot "$OUT/welcome.png" --panel welcome
for p in training pareto masks; do "$WB" --screenshot "$OUT/$p.png" --panel "$p" "$RUN"; done
