#!/usr/bin/env bash
# The terminal UI, driven through tmux as a user would see it: the demo run
# on a real terminal redraws its rollout table in place (each object's row is
# on the screen once, ending Current with ready/desired), uses no plain
# status lines, and ends with the run's summary.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
command -v tmux >/dev/null || { echo "FAIL: tmux is not installed (make deps)" >&2; exit 1; }
ROOT=$(cd "$KUBE_E2E/../../.." && pwd)
REG=$CDHOST_TEST_REGISTRY
SOCK=$WORK/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server >/dev/null 2>&1; cleanup' EXIT

t "the demo on a terminal: the table redraws in place and the summary ends it"
cat >"$WORK/demo.sh" <<SH
#!/bin/sh
cd "$ROOT" && "$CDHOST" run recipes/demo.lua --set registry="$REG" --set namespace="$NS" \\
	--insecure-registry "$REG"
echo "exit=\$?"
sleep 30
SH
chmod +x "$WORK/demo.sh"
tm new-session -d -x 160 -y 60 -s demo "$WORK/demo.sh"
for _ in $(seq 300); do
	tm capture-pane -p -t demo >"$WORK/screen.txt" 2>/dev/null
	grep -q "^exit=" "$WORK/screen.txt" && break
	sleep 0.2
done
cp "$WORK/screen.txt" "$WORK/.err"; RC=0
expect_err "exit=0"
expect_eq "$(grep -c "^  Deployment $NS/demo-web " "$WORK/.err")" 1   # one table row, redrawn in place
grep -qE "Deployment $NS/demo-web +Current +2/2 " "$WORK/.err" && ok || bad "no final row Current 2/2"
grep -qE "Service $NS/demo-web +Current" "$WORK/.err" && ok || bad "no Service row"
expect_no_err "Deployment $NS/demo-web: "                         # no plain lines
# the summary is the last line cdhost wrote
last=$(grep -v '^exit=' "$WORK/.err" | grep -v '^\s*$' | tail -1)
[[ $last == "run of recipes/demo.lua finished in "*"; 3 ready" ]] && ok || bad "last line: $last"
finish
