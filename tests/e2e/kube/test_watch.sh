#!/usr/bin/env bash
# cdhost.kube.watch: existing objects first (ADDED), then live events, the
# label selector, the timeout ending the iteration, and render mode reading
# a cluster that answers (tests/cli/test_kube_reads.sh: one that does not).
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"

t "existing objects, then events as they happen"
kc create cm w1 -n "$NS" >/dev/null && kc label cm w1 -n "$NS" watched=yes >/dev/null
kc create cm unwatched -n "$NS" >/dev/null
(sleep 1.5; kc create cm w2 -n "$NS" --dry-run=client -o yaml |
	sed 's/^metadata:/metadata:\n  labels: {watched: "yes"}/' | kc apply -f - >/dev/null
 sleep 0.5; kc delete cm w2 -n "$NS" >/dev/null) &
start=$(date +%s)
run cdh run watch.lua
wait
expect_rc 0
expect_eq "$(grep "^event " "$WORK/.err" | tr "\n" "|")" "event ADDED w1|event ADDED w2|event DELETED w2|"
expect_err "events 3"
[ $(( $(date +%s) - start )) -lt 8 ] && ok || bad "the loop did not end at the DELETED event"

t "the timeout ends the iteration"
run cdh run watch.lua --set timeout=2s
expect_rc 0
expect_err "events 1"

t "render mode reads the live cluster too (no warning when it answers)"
run cdh --dry-run watch.lua --set timeout=1s
expect_rc 0
expect_err "event ADDED w1"
expect_no_err "live state unknown"
finish
