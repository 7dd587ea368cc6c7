#!/usr/bin/env bash
# The full test suite: installs dependencies if missing, builds, checks that every path and
# section a comment or document cites exists (scripts/check-docs.py), starts a headless audio
# server (a PulseAudio null sink that PortAudio captures from, for the `audio` tests), and runs
# every test with ctest. Extra arguments go to ctest (e.g. -L unit, -R Fbank).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}

bash scripts/build.sh
python3 scripts/check-docs.py   # every path and section a comment or document cites exists

source scripts/audio-sandbox.sh
audio_sandbox_start
trap audio_sandbox_stop EXIT

# ctest already runs two tests at once: trainings in tests use one worker unless a test asks for
# more (the data-parallel tests do, with --workers).
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE OMNISPARSE_WORKERS=1
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 600 -j2 "$@"
