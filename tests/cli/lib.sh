# tests/cli/lib.sh — helpers for the shell-driven CLI tests.
#   CDHOST=path/to/cdhost; source lib.sh; check NAME CMD...; expect_rc N ...
set -uo pipefail
: "${CDHOST:?}" "${CDHOST_SRC:?set by ctest}"
PASSED=0 FAILED=0
WORK=$(mktemp -d /tmp/cdhost-cli.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
touch "$WORK/cdhost.libs"

# run CMD...: runs with stdout/stderr captured in $OUT/$ERR and code in $RC.
run() {
	"$@" >"$WORK/.out" 2>"$WORK/.err"
	RC=$?
	OUT=$(cat "$WORK/.out")
	ERR=$(cat "$WORK/.err")
}

ok() { PASSED=$((PASSED + 1)); }
bad() {
	FAILED=$((FAILED + 1))
	echo "FAIL [$CURRENT] $*" >&2
	echo "  exit: $RC" >&2
	echo "  stdout: $(head -c 600 "$WORK/.out")" >&2
	echo "  stderr: $(head -c 1200 "$WORK/.err")" >&2
}
t() { CURRENT=$1; }
expect_rc() { [ "$RC" = "$1" ] && ok || bad "exit $RC, expected $1"; }
expect_out() { grep -qF -- "$1" "$WORK/.out" && ok || bad "stdout lacks '$1'"; }
expect_err() { grep -qF -- "$1" "$WORK/.err" && ok || bad "stderr lacks '$1'"; }
expect_no_err() { grep -qF -- "$1" "$WORK/.err" && bad "stderr has '$1'" || ok; }
expect_no_out() { grep -qF -- "$1" "$WORK/.out" && bad "stdout has '$1'" || ok; }
expect_empty_out() { [ ! -s "$WORK/.out" ] && ok || bad "stdout is not empty"; }
recipe() { cat >"$WORK/$1"; echo "$WORK/$1"; }
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
