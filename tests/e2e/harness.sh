# Shared by the end-to-end scripts (sourced): FTCORE, SRC and a TMP directory removed on exit, a
# private plugin trust file, and `expect`. Usage at the top of a script: source harness.sh "$@"
set -uo pipefail
FTCORE="$1/bin/ftcore"
SRC="$2"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; kill $(jobs -p) 2>/dev/null' EXIT
export FTCORE_TRUST_FILE="$TMP/trusted-plugins"
unset FTCORE_PLUGIN_PATH
passed=0
failed=0

# expect NAME EXPECTED_RC PATTERN -- COMMAND...: runs COMMAND, checks exit code and that the
# combined output matches the extended regex PATTERN.
expect() {
  local name="$1" want_rc="$2" pattern="$3"
  shift 4
  local out rc
  out=$("$@" 2>&1 | tr -d '\000'; exit "${PIPESTATUS[0]}")  # generated text may hold NUL bytes
  rc=$?
  if [ "$rc" -eq "$want_rc" ] && grep -Eq -- "$pattern" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL: $name (exit $rc, wanted $want_rc; pattern: $pattern)"
    echo "$out" | tail -20 | sed 's/^/    /'
  fi
}

# Prints the tally; the script's exit status.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
