#!/usr/bin/env bash
# Installs every Debian 12 package that omnisparse needs to build, test and run its demo.
# Idempotent and non-interactive; run as root (or with sudo available).
# Skips apt entirely when everything is already installed.
set -euo pipefail

PACKAGES=(
  build-essential g++ cmake pkg-config ccache git python3
  libtorch-dev libopenblas0-openmp libgloo-dev
  qt6-base-dev libqcustomplot-dev libgtest-dev googletest libbenchmark-dev
  xvfb xauth imagemagick fonts-dejavu-core
  portaudio19-dev libsndfile1-dev libsoxr-dev sox
  pulseaudio pulseaudio-utils libasound2-plugins alsa-utils
  libhdf5-dev hdf5-tools libssl-dev zlib1g-dev libonnx-dev libprotobuf-dev
  asterisk-core-sounds-en-wav asterisk-core-sounds-en
  espeak-ng libespeak-ng-dev flite flite1-dev
  festival festival-dev libestools-dev libncurses-dev libpulse-dev libasound2-dev
  festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  libcli11-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libyaml-cpp-dev libsentencepiece-dev
  wordnet-base
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

# Node.js and npm check the sherpa-onnx exports with the real runtime (tests/sherpa): Debian's
# packages where the machine has none of its own.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

# sherpa-onnx's Node.js package (its addon ships libsherpa-onnx and ONNX Runtime) and
# onnxruntime-node, pinned in tests/sherpa/package.json, into tests/sherpa/node_modules.
# --ignore-scripts: onnxruntime-node's install script only fetches GPU binaries from GitHub.
# Without the registry the sherpa-onnx tests skip, saying why.
install_node_packages() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/sherpa"
  if [ -d "$dir/node_modules/sherpa-onnx-node" ] && [ -d "$dir/node_modules/onnxruntime-node" ]; then
    return 0
  fi
  echo "install-deps: npm packages for tests/sherpa"
  (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error) ||
    echo "install-deps: npm install in $dir failed; the sherpa-onnx runtime tests will skip" >&2
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  install_node_packages
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi

echo "install-deps: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
install_node_packages
echo "install-deps: done"
