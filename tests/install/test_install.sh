#!/usr/bin/env bash
# Installs ftcore from a build tree into a temporary prefix, then builds the out-of-tree example
# plugin (examples/plugin-format-csvlike) against the installed SDK and checks that the installed
# ftcore loads it: by --plugin, and after `cmake --install` from the built-in plugin directory.
#
#   test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
  exit 2
fi
[[ -f "$1/cmake_install.cmake" ]] || { echo "FAIL: '$1' is not a configured ftcore build directory" >&2; exit 1; }
[[ -d "$2/examples/plugin-format-csvlike" ]] || { echo "FAIL: '$2' is not the ftcore source directory" >&2; exit 1; }
build_dir=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
example_src="$source_dir/examples/plugin-format-csvlike"
pairs="$example_src/data/pairs.txt"

unset FTCORE_PLUGIN_PATH

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ftcore-install-test.XXXXXX")
# KEEP_TMP=1 keeps the prefix and the example build for a look after a failure.
trap '[[ -n "${KEEP_TMP:-}" ]] && echo "kept $tmp" || rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"
ex="$tmp/ex"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "==> $*"; }

# Runs a command, saving its output in $tmp/out.txt; fails with the output shown when it exits
# non-zero.
run_ok() {
  local rc=0
  "$@" >"$tmp/out.txt" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    cat "$tmp/out.txt" >&2
    fail "'$*' exited with $rc"
  fi
}

expect_in_output() {  # expect_in_output TEXT WHAT
  if ! grep -qF -- "$1" "$tmp/out.txt"; then
    cat "$tmp/out.txt" >&2
    fail "$2: '$1' not found in the output above"
  fi
}

# ---- install ftcore -------------------------------------------------------------------------
step "cmake --install $build_dir --prefix $prefix"
run_ok cmake --install "$build_dir" --prefix "$prefix"

for f in bin/ftcore lib/libftcore.so include/ftcore/plugin.hpp lib/cmake/ftcore/ftcoreConfig.cmake \
         lib/cmake/ftcore/ftcoreConfigVersion.cmake lib/cmake/ftcore/ftcoreTargets.cmake \
         lib/cmake/ftcore/ftcoreFunctions.cmake; do
  [[ -e "$prefix/$f" ]] || fail "the install lacks $f (installed files: $(cd "$prefix" && find . -type f | sort | tr '\n' ' '))"
done
for format in alpaca sharegpt openai qa completion text; do
  [[ -f "$prefix/lib/ftcore/plugins/ftcore_format_$format.so" ]] ||
    fail "the install lacks lib/ftcore/plugins/ftcore_format_$format.so (has: $(ls "$prefix/lib/ftcore/plugins" 2>/dev/null | tr '\n' ' '))"
done

step "installed bin/ftcore runs and finds lib/libftcore.so"
run_ok "$prefix/bin/ftcore" plugins
for format in alpaca sharegpt openai qa completion text; do
  expect_in_output "$prefix/lib/ftcore/plugins/ftcore_format_$format.so" "installed ftcore plugins"
done
if grep -qF "not loaded" "$tmp/out.txt"; then
  cat "$tmp/out.txt" >&2
  fail "some installed plugins did not load"
fi

# ---- build the example plugin against the installed SDK -------------------------------------
# Only the install prefix is given: nothing of the ftcore source or build tree is used.
configure_args=(-DCMAKE_PREFIX_PATH="$prefix")
if command -v ninja >/dev/null 2>&1; then configure_args+=(-G Ninja); fi
if command -v ccache >/dev/null 2>&1; then configure_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
step "configure $example_src against $prefix"
run_ok cmake -S "$example_src" -B "$ex" "${configure_args[@]}"
step "build the example plugin"
run_ok cmake --build "$ex"
so="$ex/ftcore_format_tsv.so"
[[ -f "$so" ]] || fail "the example build made no $so (has: $(ls "$ex" | tr '\n' ' '))"

# ---- load it with --plugin ------------------------------------------------------------------
step "ftcore plugins --plugin $so"
run_ok "$prefix/bin/ftcore" plugins --plugin "$so"
expect_in_output "tsv-pair" "ftcore plugins --plugin"
expect_in_output "example-tsv-pair" "ftcore plugins --plugin"

step "ftcore validate --format tsv-pair $pairs"
run_ok "$prefix/bin/ftcore" validate --plugin "$so" --data "$pairs" --format tsv-pair
expect_in_output "total: 5 records, 5 valid, 0 invalid" "ftcore validate"
expect_in_output "tsv-pair" "ftcore validate"

# A line that is not a pair is reported with file:line and makes validate exit 2.
printf 'first prompt\tfirst completion\nno tab on this line\n' >"$tmp/bad.txt"
step "ftcore validate rejects a line without a tab"
rc=0
"$prefix/bin/ftcore" validate --plugin "$so" --data "$tmp/bad.txt" --format tsv-pair >"$tmp/out.txt" 2>&1 || rc=$?
if [[ $rc -ne 2 ]]; then
  cat "$tmp/out.txt" >&2
  fail "validate of a bad tsv-pair file exited with $rc, expected 2"
fi
expect_in_output "bad.txt:2" "validate of a bad tsv-pair file"
expect_in_output "exactly one tab" "validate of a bad tsv-pair file"

# ---- install it beside the built-in plugins -------------------------------------------------
step "cmake --install $ex --prefix $prefix"
run_ok cmake --install "$ex" --prefix "$prefix"
[[ -f "$prefix/lib/ftcore/plugins/ftcore_format_tsv.so" ]] ||
  fail "the example plugin was not installed into lib/ftcore/plugins"

step "ftcore plugins (no --plugin) finds the installed example"
run_ok "$prefix/bin/ftcore" plugins
expect_in_output "tsv-pair" "ftcore plugins after installing the example"
expect_in_output "example-tsv-pair" "ftcore plugins after installing the example"
expect_in_output "$prefix/lib/ftcore/plugins/ftcore_format_tsv.so" "ftcore plugins after installing the example"
if grep -qF "not loaded" "$tmp/out.txt"; then
  cat "$tmp/out.txt" >&2
  fail "a plugin failed to load after installing the example"
fi

step "ftcore validate detects tsv-pair lines without --format"
run_ok "$prefix/bin/ftcore" validate --data "$pairs"
expect_in_output "tsv-pair" "auto-detection with the installed example"

step "the conformance suite passes for every installed format plugin"
run_ok env FTCORE_CONFORMANCE_PLUGIN_DIRS="$prefix/lib/ftcore/plugins" "$build_dir/bin/test_conformance"
expect_in_output "Installed/FormatConformance.DescribesItself/tsv_pair" "conformance suite on the installed prefix"

echo "install test passed"
