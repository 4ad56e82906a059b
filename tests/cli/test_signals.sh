#!/usr/bin/env bash
# SIGINT/SIGTERM end a run cleanly and at once: the recipe stops at its next
# line (pcall cannot hold it), a waiting HTTP request ends, a helper program
# gets SIGTERM (its own clean-up runs) and is gone; the error says
# "interrupted by SIGTERM", the summary "interrupted", the exit code is
# 128 + the signal as a shell reports it; a second signal ends the process
# at once even inside a long C call.
CDHOST=$1
CDHOST_SRC=${CDHOST_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/.git" "$WORK/bin" "$WORK/k"

# started CMD...: runs CMD in the background ($BG) with output captured,
# then waits until its stderr shows "start" (the recipe is running)
started() {
	"$@" >"$WORK/.out" 2>"$WORK/.err" &
	BG=$!
	for _ in $(seq 100); do grep -q start "$WORK/.err" && return; sleep 0.05; done
	echo "FAIL: the run did not start: $(cat "$WORK/.err")" >&2
	exit 1
}
# stop SIG [SECONDS]: sends SIG (after SECONDS), waits; $RC, $ERR, $TOOK
stop() {
	sleep "${2:-0.3}"
	kill "-$1" "$BG"
	local t0=$(date +%s%N)
	wait "$BG"
	RC=$?
	TOOK=$((($(date +%s%N) - t0) / 1000000))
	ERR=$(cat "$WORK/.err")
}
quick() { [ "$TOOK" -lt 3000 ] && ok || bad "took $TOOK ms to end after the signal"; }

cd "$WORK" || exit 1

t "a busy recipe, SIGTERM: exit 143, interrupted at its line"
recipe loop.lua >/dev/null <<'LUA'
cdhost.log.info("start")
local n = 0
while true do n = n + 1 end
LUA
started "$CDHOST" run loop.lua
stop TERM
expect_rc 143
expect_err "loop.lua:3"
expect_err "interrupted by SIGTERM [interrupted]"
expect_err "run of loop.lua interrupted in"
quick

t "pcall cannot hold it: a loop that catches every error still ends"
recipe catch.lua >/dev/null <<'LUA'
cdhost.log.info("start")
while true do
  pcall(function() while true do end end)
end
LUA
started "$CDHOST" run catch.lua
stop TERM
expect_rc 143
expect_err "interrupted by SIGTERM"
quick

t "SIGINT with --output json: exit 130, an error event with code interrupted"
started "$CDHOST" --output json run loop.lua
stop INT
expect_rc 130
grep '"event":"error"' "$WORK/.err" | jq -e '.code == "interrupted" and .exit == 130 and .message == "interrupted by SIGINT"' >/dev/null &&
	ok || bad "no error event with code interrupted"
grep '"event":"summary"' "$WORK/.err" | jq -e '.exit == 130' >/dev/null && ok || bad "the summary's exit is not 130"

t "a request waiting on a server that never answers ends at once"
python3 - "$WORK/port" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    held.append(s.accept()[0])
PY
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT=$(cat "$WORK/port")
recipe reg.lua >/dev/null <<LUA
cdhost.log.info("start")
print(cdhost.registry.exists("127.0.0.1:$PORT/team/app:v1"))
LUA
started "$CDHOST" --insecure-registry "127.0.0.1:$PORT" run reg.lua
stop TERM 1
expect_rc 143
expect_err "registry.exists: GET http://127.0.0.1:$PORT/v2/: interrupted by SIGTERM"
quick

t "a helper program gets SIGTERM, cleans up and is gone"
cat >"$WORK/bin/kustomize" <<'SH'
#!/bin/sh
echo $$ >"$MARK.pid"
trap 'echo cleaned >"$MARK"; exit 143' TERM
sleep 60 &
wait
SH
chmod +x "$WORK/bin/kustomize"
printf 'resources: []\n' >"$WORK/k/kustomization.yaml"
recipe kz.lua >/dev/null <<'LUA'
cdhost.log.info("start")
cdhost.kustomize.build("k")
LUA
MARK=$WORK/mark PATH="$WORK/bin:$PATH" started "$CDHOST" run kz.lua
for _ in $(seq 100); do [ -s "$WORK/mark.pid" ] && break; sleep 0.05; done
stop TERM 0.2
expect_rc 143
expect_err "kustomize.build: 'kustomize' was stopped: interrupted by SIGTERM"
[ "$(cat "$WORK/mark" 2>/dev/null)" = cleaned ] && ok || bad "the helper's TERM trap did not run"
kill -0 "$(cat "$WORK/mark.pid")" 2>/dev/null && bad "the helper is still running" || ok
quick

t "a second signal ends a run stuck inside one C call"
recipe stuck.lua >/dev/null <<'LUA'
cdhost.log.info("start")
local s = string.rep("a", 40)
string.find(s, ".-.-.-.-.-.-.-.-.-.-b")
LUA
started "$CDHOST" run stuck.lua
sleep 0.3
kill -TERM "$BG"
sleep 0.5
kill -0 "$BG" 2>/dev/null && ok || bad "the first signal should wait for the C call (it ended instead)"
stop TERM 0
expect_rc 143
expect_no_err "run of stuck.lua"   # no summary: the default action ended it
quick

finish
