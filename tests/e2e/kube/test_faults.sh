#!/usr/bin/env bash
# Fault injection between cdhost and the API server (issue 9): a TCP proxy
# (tests/helpers/tcp_fault_proxy.py; TLS stays end to end) that resets
# connections after some bytes, cuts them every few seconds, or stalls them.
#  - an apply of 200 objects whose connections are reset mid-way converges
#    on re-run (all there, then nothing to change);
#  - rollout.wait whose watch connections are cut every 2 s still reports a
#    slow Deployment's success and a missing image's failure, reconnecting;
#  - with every connection stalled, nothing outlives --timeout (exit 4).
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$KUBE_E2E/../../.." && pwd)
REG=$CDHOST_TEST_REGISTRY
"$KUBE_E2E/../env/push-image.sh" "$REG" cdhost/faults:v1 "faults v1" >/dev/null ||
	{ echo "FAIL: cannot push the test image to $REG" >&2; exit 1; }
IMG=$REG/cdhost/faults:v1

CTL=$WORK/proxy.control PLOG=$WORK/proxy.log
: >"$CTL"
python3 "$ROOT/tests/helpers/tcp_fault_proxy.py" "$WORK/proxy.port" \
	"${CDHOST_TEST_APISERVER#https://}" "$CTL" --log "$PLOG" &
PROXY=$!
trap 'kill $PROXY 2>/dev/null; cleanup' EXIT
for _ in $(seq 50); do [ -s "$WORK/proxy.port" ] && break; sleep 0.1; done
[ -s "$WORK/proxy.port" ] || { echo "FAIL: the fault proxy did not start" >&2; exit 1; }
kubeconfig faulty "https://127.0.0.1:$(cat "$WORK/proxy.port")" "$CDHOST_TEST_CA" \
	"    token: $CDHOST_TEST_TOKEN"
fcdh() { cdh --kubeconfig "$WORK/faulty.kubeconfig" "$@"; }
faults() { echo "$*" >"$CTL"; : >"$PLOG"; }
count() { grep -c "^$1 " "$PLOG"; }
# elapsed CMD...: runs CMD and sets SECS to its wall-clock seconds
elapsed() {
	local t0=$SECONDS
	run "$@"
	SECS=$((SECONDS - t0))
}

t "the proxy forwards: a plain apply through it"
faults ""
run fcdh run bulk.lua --set n=3 --set v=0
expect_rc 0
expect_err "bulk: 3 objects, 3 changed"

t "an apply of 200 objects, each connection reset after 12 KB from the server"
# (retries absorb most resets; usually a few objects still fail, exit 1)
faults "reset-after 12000"
elapsed fcdh --timeout 90s run bulk.lua --set n=200 --set v=1
[ "$RC" = 0 ] || [ "$RC" = 1 ] && ok || bad "interrupted apply: exit $RC (0 or 1 expected)"
if [ "$RC" = 1 ]; then
	expect_err "after retries) [unreachable]"
fi
[ "$SECS" -lt 90 ] && ok || bad "took ${SECS}s"
[ "$(count reset)" -ge 1 ] && ok || bad "the proxy reset no connection: $(cat "$PLOG")"
echo "interrupted apply: exit $RC in ${SECS}s, $(count reset) reset(s), $(count open) connection(s): $(grep -m1 '^error' "$WORK/.err")"
partial=$(kc get cm -n "$NS" -o name | grep -c 'cm-0')
t "re-run without faults converges: 200 objects, then nothing to change"
faults ""
run fcdh run bulk.lua --set n=200 --set v=1
expect_rc 0
expect_err "bulk: 200 objects,"
expect_eq "$(kc get cm -n "$NS" -o name | grep -c 'cm-0')" 200
expect_eq "$(kc get cm cm-0200 -n "$NS" -o jsonpath='{.data.v}')" 1
run fcdh run bulk.lua --set n=200 --set v=1
expect_rc 0
expect_err "bulk: 200 objects, 0 changed"
echo "($partial object(s) were there after the interrupted run)"

t "rollout.wait with watches cut every 2 s: a Deployment ready after 10 s succeeds"
faults "cut-every 2"
elapsed fcdh run wait.lua --set image="$IMG" --set file=delayed.yaml --set v=10 --set timeout=90s
expect_rc 0
expect_err "object Deployment delayed Current"
[ "$(count cut)" -ge 3 ] && ok || bad "fewer than 3 cuts: $(count cut)"
grep -qE "reconnects=[1-9]" "$WORK/.err" && ok || bad "no reconnect counted: $(grep stats "$WORK/.err")"
[ "$SECS" -ge 9 ] && ok || bad "ready after ${SECS}s, before the readiness delay"
expect_eq "$(kc get deploy delayed -n "$NS" -o jsonpath='{.status.readyReplicas}')" 2

t "rollout.wait with watches cut every 2 s: a missing image fails, named"
faults "cut-every 2"
run fcdh run wait.lua --set image="$REG/cdhost/missing:v1" --set file=crash.yaml --set timeout=90s
expect_rc 3
expect_err "code rollout_failed"
grep -qE "Deployment $NS/crasher: (ErrImagePull|ImagePullBackOff)" "$WORK/.err" && ok || bad "no image pull reason"
grep -qE "container app \(image $REG/cdhost/missing:v1\)" "$WORK/.err" && ok || bad "image not named"
kc delete deploy crasher -n "$NS" --wait=false >/dev/null

t "every connection stalled: an apply ends at --timeout (exit 4)"
faults "stall"
elapsed fcdh --timeout 8s run bulk.lua --set n=5 --set v=2
expect_rc 4
[ "$SECS" -le 14 ] && ok || bad "exit after ${SECS}s with --timeout 8s"

t "stalled mid-wait: rollout.wait ends at its deadline (exit 4)"
faults ""
run fcdh run wait.lua --set image="$IMG" --set file=delayed.yaml --set v=1 --set timeout=60s
expect_rc 0
# a new rollout that needs 30 s; the watches stall after 1 s
(sleep 1; echo stall >"$CTL") &
elapsed fcdh --timeout 10s run wait.lua --set image="$IMG" --set file=delayed.yaml --set v=30 --set timeout=60s
expect_rc 4
[ "$SECS" -le 16 ] && ok || bad "exit after ${SECS}s with --timeout 10s"
faults ""
finish
