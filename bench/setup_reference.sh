#!/usr/bin/env bash
# Prepares the two Python reference stacks that bench/compare.py runs bench/reference.py with, idempotently:
#   BUILD_DIR/parity/venv         torch 1.13 (Debian's python3-torch, ftcore's libtorch version) with
#                                 transformers 4.46.3 + peft 0.13.2: tests/parity/setup_parity.sh's venv
#   BUILD_DIR/bench/venv-newest   the newest torch (2.15.0) with transformers 5.23.0 + peft 0.21.2: Debian's
#                                 python3 -m venv without system site packages, bench/requirements-newest.txt
#                                 installed with --no-deps (redone only when that file changes)
# Usage: bash bench/setup_reference.sh BUILD_DIR
# Needs Debian's /usr/bin/python3 with the venv module (Debian: python3-venv), for the torch 1.13 stack
# python3-torch and npm (see setup_parity.sh), and PyPI on the first run (the newest stack downloads
# about 4 GB: PyPI's Linux torch wheel depends on the CUDA libraries). Ends with a line per venv saying
# whether it is ready; exits 1 when either is not.
set -uo pipefail

die() { echo "setup_reference: error: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: setup_reference.sh BUILD_DIR"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$1/bench" || die "cannot create $1/bench"
BUILD="$(cd "$1" && pwd)"
PYTHON="${FTCORE_PARITY_PYTHON:-/usr/bin/python3}"
REQUIREMENTS="$HERE/requirements-newest.txt"

# Makes BUILD/bench/venv-newest from requirements-newest.txt unless its stamp holds that file's hash.
setup_newest() {
  local venv="$BUILD/bench/venv-newest"
  local stamp="$venv/.requirements.sha256"
  local want
  want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
     "$venv/bin/python" -c "import torch, transformers, peft, accelerate" 2>/dev/null; then
    echo "setup_reference: venv-newest up to date ($venv)"
    return 0
  fi
  [ -x "$PYTHON" ] || { echo "setup_reference: $PYTHON not found (Debian: apt-get install python3 python3-venv)" >&2; return 1; }
  echo "setup_reference: creating $venv and installing $(basename "$REQUIREMENTS")"
  rm -rf "$venv"
  if ! "$PYTHON" -m venv "$venv"; then
    echo "setup_reference: $PYTHON -m venv $venv failed (Debian: apt-get install python3-venv)" >&2
    return 1
  fi
  # --no-deps: the file pins every package; pip must install exactly that set.
  if ! PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet --no-input --no-deps \
        --timeout 30 --retries 2 -r "$REQUIREMENTS"; then
    rm -rf "$venv"
    echo "setup_reference: pip could not install $REQUIREMENTS: is PyPI reachable from this machine?" >&2
    return 1
  fi
  echo "$want" > "$stamp"
}

# Prints "ready: VERSIONS" or "missing" for the venv at $1.
describe() {
  "$1/bin/python" -c "import torch, transformers, peft; print(f'ready: torch {torch.__version__}, transformers \
{transformers.__version__}, peft {peft.__version__}')" 2>/dev/null || echo "missing"
}

status=0
bash "$HERE/../tests/parity/setup_parity.sh" "$BUILD" || status=1
setup_newest || status=1
echo "setup_reference: torch 1.13 reference ($BUILD/parity/venv): $(describe "$BUILD/parity/venv")"
echo "setup_reference: newest reference ($BUILD/bench/venv-newest): $(describe "$BUILD/bench/venv-newest")"
exit $status
