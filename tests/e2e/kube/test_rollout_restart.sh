#!/usr/bin/env bash
# rollout.wait survives its watches being cut: the API server is killed and
# started again while pods are still becoming ready; the wait reconnects,
# resumes (or re-lists) and ends Current with exit 0. Runs alone
# (RUN_SERIAL): it takes the shared control plane down.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
REG=$CDHOST_TEST_REGISTRY
"$KUBE_E2E/../env/push-image.sh" "$REG" cdhost/rollout:v1 "rollout v1" >/dev/null ||
	{ echo "FAIL: cannot push the test image to $REG" >&2; exit 1; }

t "the API server restarts in the middle of a wait"
(cdh run wait.lua --set file=delayed.yaml --set v=12 --set image="$REG/cdhost/rollout:v1" \
	--set timeout=90s >"$WORK/wait.out" 2>&1; echo $? >"$WORK/wait.rc") &
# Restart once the wait is watching and both pods run (not ready yet: they
# become ready 12 s after starting), so what is left to happen after the
# restart is the kubelet's and the controllers' work, not the scheduler's.
for _ in $(seq 200); do
	[ "$(kc get pods -n "$NS" -l app=delayed -o jsonpath='{.items[*].status.phase}' 2>/dev/null)" = "Running Running" ] &&
		grep -q "Deployment $NS/delayed: InProgress" "$WORK/wait.out" 2>/dev/null && break
	sleep 0.1
done
"$KUBE_E2E/restart-apiserver.sh" "$STATE" >"$WORK/restart.log" 2>&1
restart_rc=$?
wait
expect_eq "$restart_rc" 0
cp "$WORK/wait.out" "$WORK/.err"
RC=$(cat "$WORK/wait.rc")
expect_rc 0
expect_err "object Deployment delayed Current"
grep -qE "reconnects=[1-9]" "$WORK/.err" && ok || bad "the watches were not cut (no reconnect counted)"
expect_eq "$(kc get deploy delayed -n "$NS" -o jsonpath='{.status.readyReplicas}')" 2
finish
