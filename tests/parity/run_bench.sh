#!/usr/bin/env bash
# Tokenizer encode throughput, ftcore vs the pinned `tokenizers`, single thread, in one run.
# Usage: bash tests/parity/run_bench.sh BUILD_DIR SOURCE_DIR [bench_tokenizer.py args, e.g. --mb 10 --only qwen3]
# Needs BUILD_DIR/bin/bench_tokenizer (cmake --build BUILD_DIR --target bench_tokenizer).
set -euo pipefail

die() { echo "run_bench: error: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: run_bench.sh BUILD_DIR SOURCE_DIR [bench_tokenizer.py args...]"
BUILD_DIR="$(cd "$1" && pwd)"
SOURCE_DIR="$(cd "$2" && pwd)"
shift 2
HERE="$SOURCE_DIR/tests/parity"
PARITY="$BUILD_DIR/parity"
BENCH_BIN="$BUILD_DIR/bin/bench_tokenizer"
[ -x "$BENCH_BIN" ] || die "$BENCH_BIN not built (cmake --build $BUILD_DIR --target bench_tokenizer)"

bash "$HERE/setup_parity.sh" "$BUILD_DIR"
"$PARITY/venv/bin/python" "$HERE/make_corpus.py" "$PARITY/corpus.json"
exec "$PARITY/venv/bin/python" "$HERE/bench_tokenizer.py" --bench "$BENCH_BIN" --models "$PARITY/npm" \
  --corpus "$PARITY/corpus.json" --json "$PARITY/bench.json" "$@"
