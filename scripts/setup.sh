#!/usr/bin/env bash
# Installs every system dependency of logitrank from Debian 12 packages.
# Idempotent: re-running only checks that the packages are present.
# Needs root or sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake make git pkg-config
  openmpi-bin libopenmpi-dev
  libscalapack-openmpi-dev
  libopenblas-dev liblapacke-dev
  libboost-serialization-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libpcre2-dev libsentencepiece-dev libicu-dev libssl-dev
  python3 python3-matplotlib python3-numpy
  clang-format clang-tidy
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup.sh: needs root or sudo to install packages" >&2; exit 2
  fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup.sh: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup.sh: done"
