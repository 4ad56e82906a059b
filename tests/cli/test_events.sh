#!/usr/bin/env bash
# --output json everywhere cdhost speaks on stderr (SPEC section 2,
# docs/events.md): `cdhost lib` (its progress, its errors), a command line
# error once -o json has been read, a missing recipe file (an error event,
# then the summary, as every failed run). Every line must validate against
# docs/events.schema.json.
CDHOST=$1
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null || { echo "FAIL: git is needed (make deps installs it)" >&2; exit 1; }
export HOME=$WORK/home XDG_CACHE_HOME=$WORK/cache
mkdir -p "$HOME"
SCHEMA=$CDHOST_SRC/docs/events.schema.json
VALIDATE=$CDHOST_SRC/tests/helpers/validate_events.py

# events: every stderr line is an event of the schema
events() {
	if python3 "$VALIDATE" "$SCHEMA" "$WORK/.err" >"$WORK/.validate" 2>&1; then ok
	else bad "events do not validate: $(cat "$WORK/.validate")"; fi
}
# last EVENT: the last stderr line is that event
last() {
	python3 -c 'import json,sys; l=open(sys.argv[1]).read().splitlines(); sys.exit(json.loads(l[-1])["event"] != sys.argv[2])' \
		"$WORK/.err" "$1" && ok || bad "the last line is not a $1 event"
}
# the_error CODE EXIT PHASE: the one error event has these fields
the_error() {
	python3 - "$WORK/.err" "$@" <<'PY' && ok || bad "no error event with code $1, exit $2, phase $3"
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
errs = [e for e in evs if e["event"] == "error"]
assert len(errs) == 1, errs
e = errs[0]
assert (e["code"], e["exit"], e["phase"]) == (sys.argv[2], int(sys.argv[3]), sys.argv[4]), e
PY
}

# ---- a project with one library, from a local repository ----
src=$WORK/libsrc
git init -q -b main "$src"
mkdir -p "$src/lib"
echo 'return { name = "acme" }' >"$src/lib/init.lua"
git -C "$src" add -A && git -C "$src" -c user.name=t -c user.email=t@t.invalid commit -qm v1 && git -C "$src" tag v1
P=$WORK/proj
mkdir -p "$P"
cat >"$P/cdhost.libs" <<LUA
return { acme = { git = "$src", ref = "v1", path = "lib" } }
LUA
cd "$P" || exit 1

t "lib sync -o json: the progress as log events, nothing in text"
run "$CDHOST" -o json lib sync
expect_rc 0; expect_empty_out
events
expect_err '"phase":"git","event":"log","level":"info","message":"lib: acme v1 ->'
expect_no_err "cdhost lib"

t "lib verify and update -o json"
run "$CDHOST" -o json lib verify
expect_rc 0; events
expect_err '"message":"lib: acme ok ('
run "$CDHOST" lib sync --output json
expect_rc 0; events
expect_err 'up to date"'

t "lib list -o json: the table stays on stdout"
run "$CDHOST" -o json lib list
expect_rc 0
expect_out "acme	v1	"
[ ! -s "$WORK/.err" ] && ok || bad "stderr is not empty"

t "lib errors -o json: one error event"
run "$CDHOST" -o json lib update nosuch
expect_rc 1; events
the_error not_found 1 git
expect_err "no library 'nosuch'"
echo "tampered" >>"$P/.cdhost/libs/acme/init.lua"
run "$CDHOST" -o json lib verify
expect_rc 1; events
the_error hash_mismatch 1 git
expect_err '"level":"error"'
run "$CDHOST" -o json lib frobnicate
expect_rc 2; events
the_error usage 2 git
echo 'error({})' >"$P/cdhost.libs"
run "$CDHOST" -o json lib list
expect_rc 1; events
the_error recipe 1 git
echo 'return {}' >"$P/cdhost.libs"
run "$CDHOST" -o json lib sync
expect_rc 0; events
expect_err 'declares no libraries'
mkdir -p "$WORK/nolibs/.git"
cd "$WORK/nolibs" || exit 1
run "$CDHOST" -o json lib list
expect_rc 2; events
the_error usage 2 git
expect_err "no cdhost.libs"
cd "$WORK" || exit 1

t "lib errors stay text without -o json"
cd "$WORK/nolibs" || exit 1
run "$CDHOST" lib list
expect_rc 2; expect_err "cdhost: no cdhost.libs"
cd "$WORK" || exit 1

t "a command line error after -o json is an error event"
run "$CDHOST" -o json --bogus
expect_rc 2; events
the_error usage 2 recipe
expect_err "unknown flag '--bogus'"
run "$CDHOST" --output=json --timeout soon run x.lua
expect_rc 2; events
the_error usage 2 recipe
expect_err "invalid duration 'soon'"
run "$CDHOST" -o json
expect_rc 2; events
the_error usage 2 recipe
run "$CDHOST" -o json help nosuch
expect_rc 2; events
the_error usage 2 recipe

t "a command line error before -o json is text, as the parser has not read it"
run "$CDHOST" --bogus -o json
expect_rc 2
expect_err "cdhost: unknown flag '--bogus'"
expect_err "[usage]"
expect_no_err '"event"'

t "a missing recipe file: an error event, then the summary"
run "$CDHOST" -o json run "$WORK/missing.lua"
expect_rc 2; expect_empty_out; events
the_error usage 2 recipe
expect_err "missing.lua"
last summary
expect_err '"event":"summary","mode":"run"'
run "$CDHOST" -o json check "$WORK/missing.lua"
expect_rc 2; events
last summary
expect_err '"mode":"render"'

t "health -o json: its errors are error events, its product stays on stdout"
run "$CDHOST" -o json health -f "$WORK/nosuch.yaml"
expect_rc 2; expect_empty_out; events
the_error usage 2 recipe
expect_err "nosuch.yaml"
run "$CDHOST" -o json health test "$WORK/nosuchdir"
expect_rc 2; events
the_error usage 2 recipe
run "$CDHOST" -o json health
expect_rc 2; events
the_error usage 2 recipe
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n' >"$WORK/cm.yaml"
run "$CDHOST" -o json health -f "$WORK/cm.yaml"
expect_rc 0; expect_out '"status":"Healthy"'; expect_no_err '"event"'
run "$CDHOST" health -f "$WORK/nosuch.yaml"
expect_rc 2; expect_err "cdhost: "; expect_no_err '"event"'

t "a missing recipe file in text: the error and the summary line"
run "$CDHOST" run "$WORK/missing.lua"
expect_rc 2
expect_err "error: cannot open recipe $WORK/missing.lua"
expect_err "[usage]"
expect_err "run of $WORK/missing.lua failed in"
finish
