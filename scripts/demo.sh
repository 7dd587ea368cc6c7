#!/usr/bin/env bash
# The main job, end to end on the built-in corpus: installs dependencies if missing, builds,
# then runs `omnisparse demo`. Extra arguments go to `omnisparse demo` (e.g. --quick, --out DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash scripts/build.sh
export OMP_WAIT_POLICY=PASSIVE
exec "$BUILD_DIR/bin/omnisparse" demo "$@"
