#!/usr/bin/env bash
# Configures and builds ftcore into build/ (Ninja, ccache when present).
# Extra arguments go to CMake, e.g. -DCMAKE_PREFIX_PATH=/path/to/libtorch or -DFTCORE_TORCH_FROM_PYTHON=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR="${FTCORE_BUILD_DIR:-build}"
JOBS="${FTCORE_JOBS:-$(nproc)}"
cmake -S . -B "$BUILD_DIR" -G Ninja "$@"
cmake --build "$BUILD_DIR" -j "$JOBS"
