#!/usr/bin/env bash
# The main job, end to end on the built-in corpus: installs dependencies if missing, builds the
# CLI and the workbench, then runs `omnisparse demo`. Extra arguments go to `omnisparse demo`
# (e.g. --quick, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# Only what the demo runs: the CLI, and the workbench that shows its runs (not the tests).
TARGETS=omnisparse
grep -qs "OMNISPARSE_HEADLESS:BOOL=ON" "$BUILD_DIR/CMakeCache.txt" || TARGETS="omnisparse omnisparse-workbench"
TARGETS=$TARGETS bash scripts/build.sh
export OMP_WAIT_POLICY=PASSIVE
exec "$BUILD_DIR/bin/omnisparse" demo "$@"
