#!/usr/bin/env bash
# HTTP-level fault injection between cdhost and the real API server (issue
# 9): tests/helpers/http_fault_proxy.py terminates TLS with the API server's
# own serving certificate (cdhost verifies it against the test CA as usual),
# forwards each request and, by rule, answers 429/503/500 itself or cuts a
# response in its middle. Its log has the monotonic arrival time of every
# request, so the gap between an injected 429 and the retry is measured.
#  - 429 Retry-After: 2 on the first apply PATCH: the retry comes >= 2 s
#    later and the apply converges;
#  - 503 Retry-After: 1 on discovery and on an object's GET, once: retried;
#  - 503 on every PATCH: a bounded number of attempts (core/http.h), then
#    an error naming the object, the status and the attempts (exit 1);
#  - retries never outlive --timeout: a Retry-After past it ends the run at
#    once with exit 4, and so do 503s that keep coming until the deadline;
#  - rollout.wait whose watches are cut in the middle of an event, every
#    time (after one whole event, or before any), still reports success and
#    a missing image's failure;
#  - a create (the apply set Lease's POST) whose outcome is unknown (a
#    plain 503, an answer cut) is read back: made and ours, the run goes
#    on; not made, sent again, at most 3 times; one declined with 503 +
#    Retry-After is sent again (the server did not act on it), made once;
#  - SIGTERM while an apply PATCH is held: exit 143 at once, the apply
#    set's Lease released (its DELETE still goes out), a re-run converges.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$KUBE_E2E/../../.." && pwd)
REG=$CDHOST_TEST_REGISTRY
"$KUBE_E2E/../env/push-image.sh" "$REG" cdhost/faults:v1 "faults v1" >/dev/null ||
	{ echo "FAIL: cannot push the test image to $REG" >&2; exit 1; }
IMG=$REG/cdhost/faults:v1
PKI=$(dirname "$CDHOST_TEST_CA")
for f in apiserver.crt apiserver.key; do
	[ -r "$PKI/$f" ] || { echo "FAIL: no $PKI/$f (the API server's serving pair)" >&2; exit 1; }
done
MAX_RETRIES=$(awk '/define CD_HTTP_MAX_RETRIES/ {print $3}' "$ROOT/core/http.h")
[ -n "$MAX_RETRIES" ] || { echo "FAIL: CD_HTTP_MAX_RETRIES not found in core/http.h" >&2; exit 1; }

CTL=$WORK/proxy.rules PLOG=$WORK/proxy.log
: >"$CTL"
python3 "$ROOT/tests/helpers/http_fault_proxy.py" "$WORK/proxy.port" "$CDHOST_TEST_APISERVER" \
	--ca "$CDHOST_TEST_CA" --cert "$PKI/apiserver.crt" --key "$PKI/apiserver.key" \
	--control "$CTL" --log "$PLOG" 2>"$WORK/proxy.err" &
PROXY=$!
trap 'kill $PROXY 2>/dev/null; cleanup' EXIT
for _ in $(seq 50); do [ -s "$WORK/proxy.port" ] && break; sleep 0.1; done
[ -s "$WORK/proxy.port" ] || { echo "FAIL: the fault proxy did not start: $(cat "$WORK/proxy.err")" >&2; exit 1; }
kubeconfig faulty "https://127.0.0.1:$(cat "$WORK/proxy.port")" "$CDHOST_TEST_CA" \
	"    token: $CDHOST_TEST_TOKEN"
fcdh() { cdh --kubeconfig "$WORK/faulty.kubeconfig" "$@"; }
faults() { printf '%s\n' "$@" >"$CTL"; : >"$PLOG"; }
# lines METHOD SUBSTRING: the proxy's log lines for those requests, by time
lines() { awk -v m="$1" -v s="$2" '$2 == m && index($3, s)' "$PLOG" | sort -n; }
count() { lines "$@" | wc -l; }
# gap METHOD SUBSTRING: seconds between the first and the second such request
gap() { lines "$@" | awk 'NR == 1 {t = $1} NR == 2 {printf "%.3f", $1 - t}'; }
# ge A B: A >= B (decimals)
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a != "" && a + 0 >= b + 0)}'; }
# declined METHOD SUBSTRING STATUS WAIT: the proxy answered STATUS, the
# request came again at least WAIT s later and was forwarded (GAP = the wait)
declined() {
	local got
	got=$(lines "$1" "$2" | awk '{print $4, $5}' | tr '\n' ,)
	case $got in
	"$3 injected,200 forwarded," | "$3 injected,201 forwarded,") ok ;;
	*) bad "$1 ...$2: '$got', expected $3 injected, then forwarded" ;;
	esac
	GAP=$(gap "$1" "$2")
	ge "$GAP" "$4" && ok || bad "$1 ...$2 came again ${GAP}s after the $3 (Retry-After: $4)"
}
elapsed() {
	local t0=$SECONDS
	run "$@"
	SECS=$((SECONDS - t0))
}
CM1="/namespaces/$NS/configmaps/cm-0001?"

t "the proxy forwards: a plain apply through it"
faults ""
run fcdh run bulk.lua --set n=2 --set v=0
expect_rc 0
expect_err "bulk: 2 objects, 2 changed"
[ "$(lines PATCH "$CM1" | awk '$4 ~ /^20[01]$/ && $5 == "forwarded"' | wc -l)" = 1 ] && ok ||
	bad "the apply's PATCH is not in the proxy's log: $(cat "$PLOG")"

t "429 Retry-After: 2 on the first apply PATCH: the retry waits 2 s, the apply converges"
faults "PATCH:$CM1:429=2:1"
run fcdh run bulk.lua --set n=2 --set v=1
expect_rc 0
expect_err "bulk: 2 objects, 2 changed"
declined PATCH "$CM1" 429 2
echo "429 Retry-After 2: retried after ${GAP}s"
expect_eq "$(kc get cm cm-0001 -n "$NS" -o jsonpath='{.data.v}')" 1

t "503 Retry-After: 1 once on discovery and on an object's GET: retried, the run succeeds"
faults "GET:/api/v1\$:503=1:1" "GET:/namespaces/$NS/configmaps/cm-0002\$:503=1:1"
# (discovery is cached on disk: a fresh cache makes the run ask for it)
XDG_CACHE_HOME=$WORK/fresh-cache run fcdh run bulk.lua --set n=2 --set v=2
expect_rc 0
expect_err "bulk: 2 objects, 2 changed"
for target in "/api/v1" "/namespaces/$NS/configmaps/cm-0002"; do
	got=$(awk -v s="$target" '$2 == "GET" && substr($3, length($3) - length(s) + 1) == s {print $4}' "$PLOG" |
		tr '\n' ,)
	[ "$got" = "503,200," ] && ok || bad "GET ...$target: statuses '$got', expected 503 then 200"
done
g=$(awk '$2 == "GET" && $3 == "/api/v1"' "$PLOG" | sort -n | awk 'NR == 1 {t = $1} NR == 2 {printf "%.3f", $1 - t}')
ge "$g" 1 && ok || bad "discovery retried ${g}s after the 503 (Retry-After: 1)"
expect_eq "$(kc get cm cm-0002 -n "$NS" -o jsonpath='{.data.v}')" 2

t "503 on every PATCH of an object: bounded attempts, an error naming object and status"
faults "PATCH:$CM1:503:0"
elapsed fcdh --timeout 60s run bulk.lua --set n=2 --set v=3
expect_rc 1
expect_err "apply ConfigMap $NS/cm-0001: "
expect_err "(HTTP 503, after $((MAX_RETRIES + 1)) attempts) [server]"
expect_eq "$(count PATCH "$CM1")" $((MAX_RETRIES + 1))
[ "$SECS" -lt 30 ] && ok || bad "took ${SECS}s"
expect_eq "$(kc get cm cm-0001 -n "$NS" -o jsonpath='{.data.v}')" 2
echo "503 every time: $(count PATCH "$CM1") attempts in ${SECS}s: $(grep -m1 '^error' "$WORK/.err")"

t "429 Retry-After: 30 on every PATCH with --timeout 5s: no wait past the deadline, exit 4"
faults "PATCH:$CM1:429=30:0"
elapsed fcdh --timeout 5s run bulk.lua --set n=2 --set v=4
expect_rc 4
expect_err "HTTP 429, retry in 30 s, past the run's --timeout (apply ConfigMap $NS/cm-0001) [timeout]"
expect_eq "$(count PATCH "$CM1")" 1
[ "$SECS" -le 6 ] && ok || bad "exit after ${SECS}s with --timeout 5s"

t "503 Retry-After: 1 on every PATCH with --timeout 3s: retries stop at the deadline, exit 4"
faults "PATCH:$CM1:503=1:0"
elapsed fcdh --timeout 3s run bulk.lua --set n=2 --set v=5
expect_rc 4
expect_err "HTTP 503, retry in 1 s, past the run's --timeout (apply ConfigMap $NS/cm-0001) [timeout]"
n=$(count PATCH "$CM1")
[ "$n" -ge 2 ] && [ "$n" -le 3 ] && ok || bad "$n attempts in 3 s with Retry-After: 1"
[ "$SECS" -le 4 ] && ok || bad "exit after ${SECS}s with --timeout 3s"
last=$(lines PATCH "$CM1" | tail -1 | awk '{print $1}')
first=$(lines PATCH "$CM1" | head -1 | awk '{print $1}')
ge "$(awk -v a="$last" -v b="$first" 'BEGIN {print a - b}')" "$((n - 1))" && ok ||
	bad "the $n attempts were not 1 s apart: $(lines PATCH "$CM1")"

t "rollout.wait, every watch cut in the middle of its second event: success"
faults "GET:watch=:truncate:0"
run fcdh run wait.lua --set image="$IMG" --set file=delayed.yaml --set v=6 --set timeout=90s
expect_rc 0
expect_err "object Deployment delayed Current"
[ "$(grep -c ' truncated$' "$PLOG")" -ge 2 ] && ok || bad "fewer than 2 watches cut: $(grep -c ' truncated$' "$PLOG")"
grep -qE "reconnects=[1-9]" "$WORK/.err" && ok || bad "no reconnect counted: $(grep stats "$WORK/.err")"
expect_eq "$(kc get deploy delayed -n "$NS" -o jsonpath='{.status.readyReplicas}')" 2
echo "cut after one event: $(grep -c ' truncated$' "$PLOG") watch(es) cut; $(grep '^stats' "$WORK/.err")"

t "rollout.wait, every watch cut in the middle of its first event: it lists again, success"
faults "GET:watch=:truncate=0:0"
run fcdh run wait.lua --set image="$IMG" --set file=delayed.yaml --set v=5 --set timeout=90s
expect_rc 0
expect_err "object Deployment delayed Current"
[ "$(grep -c ' truncated$' "$PLOG")" -ge 2 ] && ok || bad "fewer than 2 watches cut"
lists=$(sed -n 's/^stats lists=\([0-9]*\) .*/\1/p' "$WORK/.err")
[ "${lists:-0}" -gt 3 ] && ok || bad "no list after the fruitless watches: $(grep '^stats' "$WORK/.err")"
[ "$(awk '$2 == "GET" && $3 !~ /watch=/ && $3 ~ /deployments/' "$PLOG" | wc -l)" -ge 2 ] && ok ||
	bad "the Deployment was not listed again"
echo "cut in the first event: $(grep -c ' truncated$' "$PLOG") watch(es) cut; $(grep '^stats' "$WORK/.err")"

# (every event cut, so that the failure cannot arrive whole on a watch: the
# pod's first event may already carry it)
t "rollout.wait, every watch cut in the middle of its first event: a missing image fails, named"
faults "GET:watch=:truncate=0:0"
run fcdh run wait.lua --set image="$REG/cdhost/missing:v1" --set file=crash.yaml --set timeout=90s
expect_rc 3
expect_err "code rollout_failed"
grep -qE "Deployment $NS/crasher: (ErrImagePull|ImagePullBackOff)" "$WORK/.err" && ok || bad "no image pull reason"
grep -qE "container app \(image $REG/cdhost/missing:v1\)" "$WORK/.err" && ok || bad "image not named"
[ "$(grep -c ' truncated$' "$PLOG")" -ge 1 ] && ok || bad "no watch was cut"
echo "missing image: $(grep -c ' truncated$' "$PLOG") watch(es) cut"
kc delete deploy crasher -n "$NS" --wait=false >/dev/null

LEASES="/namespaces/$NS/leases"
t "a create (POST of the apply set's Lease) answered a plain 503 once: read back (not made), sent again, the apply converges"
faults "POST:$LEASES:503=none:1"
run fcdh run bulk.lua --set n=2 --set v=6
expect_rc 0
expect_err "bulk: 2 objects, 2 changed"
expect_eq "$(lines POST "$LEASES" | awk '{print $4, $5}' | tr '\n' ,)" "503 injected,201 forwarded,"
expect_eq "$(awk '$2 == "GET" && index($3, "/leases/bulk-cdhost-lock")' "$PLOG" | wc -l)" 1
expect_eq "$(kc get lease -n "$NS" -o name | grep -c bulk-cdhost-lock)" 0
expect_eq "$(kc get cm cm-0001 -n "$NS" -o jsonpath='{.data.v}')" 6

t "a Lease POST answered a plain 503 every time: bounded (3 POSTs, each read back), an error, nothing left"
faults "POST:$LEASES:503=none:0"
elapsed fcdh run bulk.lua --set n=2 --set v=7
expect_rc 1
expect_err "lock the apply set: "
expect_err "(HTTP 503) [server]"
expect_eq "$(count POST "$LEASES")" 3
expect_eq "$(kc get lease -n "$NS" -o name | grep -c bulk-cdhost-lock)" 0
expect_eq "$(count PATCH "$CM1")" 0
[ "$SECS" -le 10 ] && ok || bad "took ${SECS}s"

t "a create declined with 503 Retry-After: 1 (the server did not act): sent again, made once"
faults "POST:$LEASES:503=1:1"
run fcdh run bulk.lua --set n=2 --set v=8
expect_rc 0
expect_err "bulk: 2 objects, 2 changed"
declined POST "$LEASES" 503 1
expect_eq "$(kc get lease -n "$NS" -o name | grep -c bulk-cdhost-lock)" 0

t "a create whose answer is cut: sent once, read back (the server made it, ours), the apply goes on"
faults "POST:$LEASES:truncate:1"
elapsed fcdh --timeout 30s run bulk.lua --set n=2 --set v=9
expect_rc 0
expect_err "bulk: 2 objects, 2 changed"
expect_eq "$(count POST "$LEASES")" 1
expect_eq "$(lines POST "$LEASES" | awk '{print $4, $5}')" "201 truncated"
[ "$SECS" -le 10 ] && ok || bad "took ${SECS}s"
expect_eq "$(kc get lease -n "$NS" -o name | grep -c bulk-cdhost-lock)" 0
expect_eq "$(kc get cm cm-0001 -n "$NS" -o jsonpath='{.data.v}')" 9

t "SIGTERM in the middle of an apply: exit 143 at once, the apply set's Lease released, a re-run converges"
faults "PATCH:configmaps/cm-0002:delay=60:0"
(cd "$WORK" && exec "$CDHOST" --max-instructions 0 --kubeconfig "$WORK/faulty.kubeconfig" run bulk.lua \
	--set ns="$NS" --set n=3 --set v=10) >"$WORK/.out" 2>"$WORK/.err" &
BG=$!
for _ in $(seq 100); do kc get lease -n "$NS" bulk-cdhost-lock >/dev/null 2>&1 && break; sleep 0.1; done
kc get lease -n "$NS" bulk-cdhost-lock >/dev/null 2>&1 && ok || bad "the run never took the Lease"
sleep 1
t0=$SECONDS
kill -TERM "$BG"
wait "$BG"
RC=$?
expect_rc 143
[ $((SECONDS - t0)) -le 5 ] && ok || bad "took $((SECONDS - t0)) s to end after SIGTERM"
expect_err "interrupted by SIGTERM"
expect_eq "$(kc get lease -n "$NS" -o name | grep -c bulk-cdhost-lock)" 0
faults ""
elapsed fcdh run bulk.lua --set n=3 --set v=10
expect_rc 0
[ "$SECS" -le 10 ] && ok || bad "the re-run was held ${SECS}s"
expect_eq "$(kc get configmap -n "$NS" cm-0003 -o jsonpath='{.data.v}')" 10
finish
