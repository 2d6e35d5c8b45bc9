#!/usr/bin/env bash
# README command (2): set up, build, and run the whole test suite (CI runs this via .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir "${FTCORE_BUILD_DIR:-build}" --output-on-failure -j "${FTCORE_JOBS:-$(nproc)}"
