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
  libhdf5-dev hdf5-tools libssl-dev zlib1g-dev
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

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
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
echo "install-deps: done"
