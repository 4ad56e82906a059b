# tests/e2e/image/lib.sh — shared by the native-builder e2e tests: the
# registry e2e helpers (tests/e2e/registry/lib.sh), a project maker and img().
# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../registry/lib.sh"
R=$REG_PLAIN
RECIPE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/build.lua
LOG=$REG_STATE/logs/plain.log

mkproject() {   # DIR: a project with app/ (files, an executable, ignored files)
	mkdir -p "$1/app/sub" "$1/app/tmp"
	(cd "$1" && git init -q . 2>/dev/null || mkdir -p .git)
	cp "$RECIPE" "$1/build.lua"
	printf 'hello\n' >"$1/app/hello.txt"
	printf '#!/bin/sh\necho "$GREETING from cdhost"\n' >"$1/app/run.sh"
	chmod 755 "$1/app/run.sh"
	printf 'x\n' >"$1/app/sub/debug.log"
	printf 'y\n' >"$1/app/tmp/junk"
	printf '%s\n' 'a/very/long/name/that/needs/more/than/one/hundred/bytes/so/the/tar/writer/has/to/split/it/or/use/pax' >"$1/app/sub/note"
	printf '**/*.log\n' >"$1/.dockerignore"
}
img() {   # DIR ARGS... : cdhost run DIR/build.lua (or $RECIPE_FILE) --set ARGS
	local dir=$1; shift
	local sets=()
	for kv in "$@"; do sets+=(--set "$kv"); done
	(cd "$dir" && "$CDHOST" ${CDH_FLAGS:-} --insecure-registry "$R" ${CMD:-run} "${RECIPE_FILE:-build.lua}" "${sets[@]}") \
		>"$WORK/.out" 2>"$WORK/.err"
	RC=$?
	RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err" | tail -n1)
}
# this test's repositories only: other tests write to the same registry
writes() { grep -cE '"(PUT|PATCH|POST) /v2/'"$NS"'/' "$LOG"; }

