#!/usr/bin/env bash
# tests/fuzz/run.sh — fuzz every target (or the ones named) for a set time.
#
#   tests/fuzz/run.sh BUILD_DIR [TARGET...]
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_JOBS     targets fuzzed at once (default: the number of CPUs)
#   FUZZ_MERGE    0: leave the committed corpus alone (CI)
#
# Each target starts from its committed corpus (tests/fuzz/corpus/TARGET);
# new inputs go to BUILD_DIR/fuzz/new/TARGET and those that add coverage are
# merged into the committed corpus afterwards (-merge=1), so a run leaves the
# new entries for review in `git status`. Crash reproducers land in
# BUILD_DIR/fuzz/artifacts/; each target's log, ending with libFuzzer's
# final statistics, in BUILD_DIR/fuzz/logs/TARGET.log. Exits non-zero when
# any target found a crash or broke an invariant.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: run.sh BUILD_DIR [TARGET...]}" && pwd)
shift
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
merge=${FUZZ_MERGE:-1}

# Longest input per target: enough for the grammar, short enough to stay fast.
max_len() {
	case $1 in
	value_yaml | value_json | status | docker_config | kubeconfig | health_test) echo 16384 ;;
	manifest_subst | jsonstream | oci_index | artifacts | libs_lock | exec_credential | known_hosts) echo 4096 ;;
	link_header | git_credentials) echo 1024 ;;
	*) echo 1024 ;;
	esac
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$here"/fuzz_*.c; do
		t=${f##*/fuzz_}
		targets+=("${t%.c}")
	done
fi

out=$build/fuzz
mkdir -p "$out/logs" "$out/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fuzz_one() {
	local t=$1 bin=$build/tests/fuzz/fuzz_$1 corpus=$here/corpus/$1
	local log=$out/logs/$t.log new=$out/new/$t
	if [ ! -x "$bin" ]; then
		echo "$t: $bin is missing (build with -DCDHOST_FUZZ=ON)" >&2
		return 1
	fi
	mkdir -p "$new" "$corpus"
	local rc=0
	"$bin" -max_total_time="$seconds" -max_len="$(max_len "$t")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" "$new" "$corpus" \
		>"$log" 2>&1 || rc=$?
	if [ $rc -eq 0 ] && [ "$merge" != 0 ]; then
		"$bin" -merge=1 -max_len="$(max_len "$t")" "$corpus" "$new" \
			>>"$log" 2>&1 || rc=$?
	fi
	local stats
	stats=$(grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+.*DONE)' "$log" | tr '\n' ' ')
	if [ $rc -eq 0 ]; then
		echo "$t: ok, $(ls "$corpus" | wc -l) corpus entries; $stats"
	else
		echo "$t: FAILED (exit $rc); see $log:" >&2
		grep -E 'ERROR|invariant failed|SUMMARY|Test unit written' "$log" | head -8 >&2
	fi
	return $rc
}
export -f fuzz_one max_len
export here build seconds out merge

printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'fuzz_one "$@"' _ {}
