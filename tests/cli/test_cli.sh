#!/usr/bin/env bash
# The command line: commands, flags, exit codes, streams (SPEC section 2).
CDHOST=$1
. "$(dirname "$0")/lib.sh"

t version
run "$CDHOST" version
expect_rc 0
for lib in "cdhost 0.1" "Lua 5.4" libyaml libcurl jansson libgit2 OpenSSL zlib; do expect_out "$lib"; done

t "no arguments"
run "$CDHOST"
expect_rc 2; expect_err "no command or recipe given"; expect_empty_out

t help
run "$CDHOST" help
expect_rc 0; expect_out "Commands:"; expect_out "--max-memory"; expect_out "Exit codes"
run "$CDHOST" help run
expect_rc 0; expect_out "usage: cdhost [flags] run RECIPE"
run "$CDHOST" run --help
expect_rc 0; expect_out "usage: cdhost [flags] run RECIPE"
run "$CDHOST" help nonsense
expect_rc 2; expect_err "no such command 'nonsense'"
for c in render build deploy diff delete lib health check init version; do
	run "$CDHOST" help "$c"; expect_rc 0; expect_out "usage: "
done

t "usage errors"
run "$CDHOST" --bogus run x.lua
expect_rc 2; expect_err "unknown flag '--bogus'"
run "$CDHOST" run
expect_rc 2; expect_err "needs a RECIPE"
run "$CDHOST" run "$WORK/missing.lua"
expect_rc 2; expect_err "missing.lua"
run "$CDHOST" --timeout 5parsecs run x.lua
expect_rc 2; expect_err "invalid duration '5parsecs'"
run "$CDHOST" --max-memory lots run x.lua
expect_rc 2; expect_err "invalid size 'lots'"
run "$CDHOST" --max-instructions -1 run x.lua
expect_rc 2
run "$CDHOST" --output yaml run x.lua
expect_rc 2; expect_err "text or json"
run "$CDHOST" --set novalue run x.lua
expect_rc 2; expect_err "key=value"
run "$CDHOST" --timeout
expect_rc 2; expect_err "needs a value"
run "$CDHOST" --dry-run=yes run x.lua
expect_rc 2; expect_err "takes no value"
r=$(recipe two.lua <<<'return 1')
run "$CDHOST" run "$r" extra
expect_rc 2; expect_err "unexpected argument 'extra'"

t "build and deploy run the recipe in their mode"
run "$CDHOST" build "$r"; expect_rc 0; expect_err "build of "
run "$CDHOST" deploy "$r"; expect_rc 0; expect_err "deploy of "

t "diff: a limit exits 5 and --timeout 4, as in every command (other errors 2)"
saved=$r
r=$(recipe diffloop.lua <<<'while true do end')
run "$CDHOST" --max-instructions 100000 diff "$r"; expect_rc 5
run "$CDHOST" --max-instructions 0 --timeout 1s diff "$r"; expect_rc 4
r=$(recipe differr.lua <<<'error("boom")')
run "$CDHOST" diff "$r"; expect_rc 2; expect_err "boom"
r=$saved

t "diff and delete run the recipe in their mode (no kube.apply: nothing to do)"
run "$CDHOST" diff "$r"; expect_rc 0; expect_err "diff of "
run "$CDHOST" delete "$r"; expect_rc 0; expect_err "delete of "

t "run: stdout stays empty, print goes to stderr"
r=$(recipe hello.lua <<'EOF2'
print("hello from the recipe")
cdhost.log.warn("a warning")
EOF2
)
run "$CDHOST" run "$r"
expect_rc 0; expect_empty_out; expect_err "hello from the recipe"; expect_err "warning: a warning"
run "$CDHOST" "$r"              # cdhost RECIPE == cdhost run RECIPE
expect_rc 0; expect_err "hello from the recipe"; expect_err "run of"
run "$CDHOST" -q "$r"
expect_rc 0; expect_no_err "hello from the recipe"; expect_err "a warning"; expect_no_err "run of"

t "flags may come after the command and the recipe"
r=$(recipe mode.lua <<<'assert(cdhost.mode == (cdhost.args.want or "run"), cdhost.mode)')
run "$CDHOST" run "$r" --dry-run --set want=render
expect_rc 0
run "$CDHOST" render "$r" --set want=render
expect_rc 0
run "$CDHOST" check "$r" --set want=render
expect_rc 0; expect_err "is fine"

t "--set nests dotted keys; values are strings"
r=$(recipe args.lua <<'EOF2'
assert(cdhost.args.image.tag == "v1", "image.tag")
assert(cdhost.args.image.name == "web", "image.name")
assert(cdhost.args.replicas == "3", "replicas is the string 3")
assert(cdhost.args.eq == "a=b", "value keeps its '='")
EOF2
)
run "$CDHOST" --set image.tag=v1 --set image.name=web --set replicas=3 --set eq=a=b run "$r"
expect_rc 0
run "$CDHOST" --set a=1 --set a.b=2 run "$r"
expect_rc 2; expect_err "both as a value and as a table"

t "exit codes follow the error code"
r=$(recipe err.lua <<<'error("plain failure")')
run "$CDHOST" run "$r"
expect_rc 1; expect_err "err.lua:1: plain failure [recipe]"; expect_err "stack traceback (recipe frames):"
r=$(recipe nf.lua <<<'cdhost.fs.read("nope.yaml")')
run "$CDHOST" run "$r"
expect_rc 1; expect_err "nf.lua:1: fs.read: no such file: nope.yaml [not_found]"
r=$(recipe caught.lua <<'EOF2'
local ok, e = pcall(cdhost.fs.read, "nope.yaml")
assert(not ok and e.code == "not_found" and e.op == "fs.read")
EOF2
)
run "$CDHOST" run "$r"
expect_rc 0
t "fs.read and require of a FIFO: invalid at once, not a read that waits for a writer"
mkfifo "$WORK/pipe.yaml"
r=$(recipe fifo.lua <<<'cdhost.fs.read("pipe.yaml")')
run timeout 10 "$CDHOST" run "$r"
expect_rc 1; expect_err "fifo.lua:1: fs.read: pipe.yaml is not a regular file (a FIFO, socket or device) [invalid]"
rm -f "$WORK/pipe.yaml"
mkfifo "$WORK/pipemod.lua"
r=$(recipe fiforeq.lua <<<'require "pipemod"')
run timeout 10 "$CDHOST" run "$r"
expect_rc 1; expect_err "pipemod.lua is not a regular file (a FIFO, socket or device) [invalid]"
rm -f "$WORK/pipemod.lua"

t "exit codes follow the error code (2)"
r=$(recipe later.lua <<<'cdhost.parallel { function() end, "not a function" }')
run "$CDHOST" run "$r"
expect_rc 1; expect_err "parallel: item 2 is a string, not a function [invalid]"
r=$(recipe syntax.lua <<<'local x = = 1')
run "$CDHOST" run "$r"
expect_rc 1; expect_err "syntax.lua:1:"
r=$(recipe tbl.lua <<<'error({ code = "rollout_failed" })')
run "$CDHOST" run "$r"
expect_rc 1   # a plain table is not a cdhost error object: recipe error

t "traceback lists recipe frames only"
mkdir -p "$WORK/lib"
cat >"$WORK/lib/deep.lua" <<'EOF2'
local M = {}
function M.fail() cdhost.fs.read("missing/file.yaml") end
return M
EOF2
r=$(recipe tb.lua <<'EOF2'
local deep = require "lib.deep"
local function outer() deep.fail() end
outer()
EOF2
)
run "$CDHOST" run "$r"
expect_rc 1; expect_err "lib/deep.lua:2: fs.read: no such file: missing/file.yaml"
expect_err "in local 'outer'"; expect_err "in main chunk"; expect_no_err "[C]"

t "--output json: one JSON event per line on stderr"
r=$(recipe json.lua <<'EOF2'
print("to the log")
cdhost.log.warn("careful")
error("and fail")
EOF2
)
run "$CDHOST" --output json run "$r"
expect_rc 1; expect_empty_out
python3 - "$WORK/.err" <<'EOF2' && ok || bad "events are not valid"
import json, sys
events = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert events, "no events"
for e in events:
    assert isinstance(e["ts"], float) and e["phase"] and e["event"], e
kinds = [(e["event"], e.get("level")) for e in events]
assert ("log", "info") in kinds and ("log", "warn") in kinds, kinds
err = [e for e in events if e["event"] == "error"][0]
assert err["code"] == "recipe" and "and fail" in err["message"] and err["exit"] == 1, err
assert isinstance(err["traceback"], list) and err["traceback"], err
summary = events[-1]
assert summary["event"] == "summary" and summary["exit"] == 1 and summary["mode"] == "run", summary
EOF2

t "lib: cdhost.libs is project code: --timeout holds inside its C calls, any error object is named"
mkdir -p "$WORK/libs-hang"
cat >"$WORK/libs-hang/cdhost.libs" <<'EOF2'
local found = ("a"):rep(30):find(("a*"):rep(30) .. "b") -- hours of backtracking
return {}
EOF2
start=$(date +%s%N)
cd "$WORK/libs-hang" || exit 1
run timeout -k 5 20 "$CDHOST" --timeout 1s lib list
ms=$((($(date +%s%N) - start) / 1000000))
expect_rc 4; expect_err "exceeded its --timeout of 1"; expect_err "cdhost.libs:1"
[ "$ms" -lt 10000 ] && ok || bad "took ${ms}ms"
echo 'error({})' >"$WORK/libs-hang/cdhost.libs"
run "$CDHOST" lib list
cd - >/dev/null || exit 1
expect_rc 1; expect_err "cdhost lib list: error object is not a string [recipe]"
expect_no_err "(null)"

t "project root: a .git in \$HOME (dotfiles) is not climbed to; one below it is; cdhost.libs is"
H=$WORK/home
mkdir -p "$H/.git" "$H/.kube" "$H/dl/app/deploy" "$H/src/proj/.git" "$H/src/proj/deploy"
echo "kube-secret" >"$H/.kube/config"
probe='print(cdhost.fs.exists(".kube/config"), cdhost.fs.exists("deploy/r.lua"), cdhost.fs.exists("r.lua"))'
echo "$probe" >"$H/dl/app/deploy/r.lua"
HOME=$H run "$CDHOST" run "$H/dl/app/deploy/r.lua"
expect_rc 0; expect_err "false	false	true"
echo 'cdhost.fs.read("../../../.kube/config")' >"$H/dl/app/deploy/esc.lua"
HOME=$H run "$CDHOST" run "$H/dl/app/deploy/esc.lua"
expect_rc 5; expect_err "project root"; expect_no_err "kube-secret"
echo "$probe" >"$H/src/proj/deploy/r.lua"
HOME=$H run "$CDHOST" run "$H/src/proj/deploy/r.lua"
expect_rc 0; expect_err "false	true	false"
# a HOME reached through a symbolic link is the same directory
ln -s "$H" "$WORK/home-link"
HOME=$WORK/home-link run "$CDHOST" run "$H/dl/app/deploy/r.lua"
expect_rc 0; expect_err "false	false	true"
# the recipe directly in the home directory: that directory, as before
echo "$probe" >"$H/r.lua"
HOME=$H run "$CDHOST" run "$H/r.lua"
expect_rc 0; expect_err "true	false	true"
rm "$H/r.lua"
# an explicit cdhost.libs in the home directory is followed
touch "$H/cdhost.libs"
HOME=$H run "$CDHOST" run "$H/dl/app/deploy/r.lua"
expect_rc 0; expect_err "true	false	false"
rm "$H/cdhost.libs"
# without HOME, the nearest .git (the home's, here) as before
env -u HOME "$CDHOST" run "$H/dl/app/deploy/r.lua" >"$WORK/.out" 2>"$WORK/.err"; RC=$?
expect_rc 0; expect_err "true	false	false"

t "colour on a terminal, none with NO_COLOR or when piped"
r=$(recipe warn.lua <<<'cdhost.log.warn("coloured")')
run script -qec "$CDHOST run $r" /dev/null
expect_rc 0; expect_out $'\033[33m'
NO_COLOR=1 run script -qec "$CDHOST run $r" /dev/null
expect_rc 0; expect_no_out $'\033['
run script -qec "$CDHOST --no-color run $r" /dev/null
expect_no_out $'\033['
run "$CDHOST" run "$r"
expect_no_err $'\033['

t "the summary of a run that did nothing speaks its mode's words"
r=$(recipe noop.lua <<<'print("nothing to do")')
summary_is() { # MODE WORDS CMD...: the last line
	local mode=$1 words=$2
	shift 2
	run "$@"
	expect_rc 0
	[[ $(tail -n 1 "$WORK/.err") == "$mode of $r finished in "*": $words" ]] && ok ||
		bad "last line: $(tail -n 1 "$WORK/.err"), expected '$mode ... : $words'"
}
summary_is run "nothing applied" "$CDHOST" run "$r"
summary_is deploy "nothing applied" "$CDHOST" deploy "$r"
summary_is build "nothing built" "$CDHOST" build "$r"
summary_is delete "0 object(s) deleted" "$CDHOST" delete "$r"
summary_is diff "no differences found" "$CDHOST" diff "$r"
summary_is render "0 object(s) rendered" "$CDHOST" render "$r"
expect_no_err "object(s) rendered; "

finish
