#!/usr/bin/env bash
# tests/sandbox/run.sh CDHOST RECIPE — runs one hostile recipe and checks it.
#
# The recipe's header states what must happen:
#   -- expect-exit: 5              the exit code (required)
#   -- expect-stderr: some text    a fixed string stderr must contain (repeatable)
#   -- flags: --max-memory 64M     extra cdhost flags (optional)
#   -- within: 20                  seconds the run may take (default 30)
# The run happens in a fresh scratch directory (cwd, HOME and TMPDIR), which
# must be empty afterwards, and stdout must be empty: a recipe that escaped
# would leave files behind or print where it should not.
set -uo pipefail
cdhost=$1 recipe=$2
fail() { echo "FAIL $(basename "$recipe"): $*" >&2; exit 1; }

header() { sed -n "s/^-- $1: //p" "$recipe"; }
expect_exit=$(header expect-exit | head -1)
[ -n "$expect_exit" ] || fail "no '-- expect-exit:' header"
within=$(header within | head -1); within=${within:-30}
read -r -a extra <<<"$(header flags | head -1)"

scratch=$(mktemp -d /tmp/cdhost-sandbox.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/tmp"
recipe_abs=$(readlink -f "$recipe")
start=$(date +%s%N)
(cd "$scratch/home" && HOME="$scratch/home" TMPDIR="$scratch/tmp" \
	CDHOST_ESCAPE_MARK="$scratch/escaped" \
	timeout -k 5 "$((within + 10))" "$cdhost" --no-color "${extra[@]}" run "$recipe_abs" \
	>"$scratch/stdout" 2>"$scratch/stderr")
rc=$?
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
elapsed="$((elapsed_ms / 1000)).$(printf %03d $((elapsed_ms % 1000)))"
echo "--- stderr:"; cat "$scratch/stderr"
echo "--- exit $rc after ${elapsed}s"

[ "$rc" = 124 ] || [ "$rc" = 137 ] && fail "hung: killed after $((within + 10))s"
[ "$rc" = "$expect_exit" ] || fail "exit code $rc, expected $expect_exit"
[ "$rc" -lt 128 ] || fail "killed by a signal (exit $rc)"
grep -q -i -E 'AddressSanitizer|runtime error:|LeakSanitizer|Segmentation' "$scratch/stderr" \
	&& fail "sanitizer or crash report on stderr"
while IFS= read -r want; do
	[ -n "$want" ] || continue
	grep -qF -- "$want" "$scratch/stderr" || fail "stderr lacks '$want'"
done < <(header expect-stderr)
[ -s "$scratch/stdout" ] && fail "wrote to stdout: $(head -c 200 "$scratch/stdout")"
[ -e "$scratch/escaped" ] && fail "created the escape marker $scratch/escaped"
leftover=$(find "$scratch/home" "$scratch/tmp" -mindepth 1 | head -5)
[ -z "$leftover" ] || fail "created files: $leftover"
[ "$elapsed_ms" -le "$((within * 1000))" ] || fail "took ${elapsed}s, more than its ${within}s"
echo "ok $(basename "$recipe")"
