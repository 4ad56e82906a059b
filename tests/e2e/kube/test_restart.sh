#!/usr/bin/env bash
# The API server restarted (killed and started again) in the middle of an
# apply of 1,500 objects: the run fails clearly or rides it out through the
# retries; a re-run converges (every object there, the set complete, the
# Lease of the interrupted run taken over), and a third run changes nothing.
# Runs alone (RUN_SERIAL): it takes the shared control plane down.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
cm_count() { kc get cm -n "$NS" -l applyset.kubernetes.io/part-of -o name | wc -l; }

t "apply while the API server restarts"
run cdh run bulk.lua --set n=20
expect_rc 0
(cdh --timeout 20 run bulk.lua --set n=1500 --set v=2 >"$WORK/first.out" 2>&1; echo $? >"$WORK/first.rc") &
sleep 0.4
"$KUBE_E2E/restart-apiserver.sh" "$STATE" >"$WORK/restart.log" 2>&1
restart_rc=$?
wait
expect_eq "$restart_rc" 0
first=$(cat "$WORK/first.rc")
echo "interrupted run: exit $first: $(grep -E "error|bulk:" "$WORK/first.out" | head -1)"
if [ "$first" != 0 ]; then
	grep -qE '\[(unreachable|server|timeout)\]' "$WORK/first.out" && ok ||
		bad "first run: $(tail -3 "$WORK/first.out")"
fi

t "the re-run converges"
run cdh run bulk.lua --set n=1500 --set v=2 --set lock_wait=20
expect_rc 0
expect_err "bulk: 1500 objects"
expect_eq "$(cm_count)" 1500
expect_eq "$(kc get cm cm-1500 -n "$NS" -o jsonpath='{.data.v}')" 2
run kc get lease bulk-cdhost-lock -n "$NS"
expect_rc 1

t "and a third run changes nothing"
run cdh run bulk.lua --set n=1500 --set v=2
expect_rc 0
expect_err "bulk: 1500 objects, 0 changed"
finish
