#!/usr/bin/env bash
# bench/rollout/run.sh CDHOST [ROUNDS] — issue #6's rollout-wait latency:
# from a Deployment becoming available (as an independent watch,
# bench/rollout/observer.py, sees it) to cdhost knowing it is done, vs
# `kubectl rollout status` (20 in parallel) and `kubectl wait --all`, over
# 20 Deployments (1 replica, ready after 2..6 s) per run; ROUNDS rounds
# (default 3), each in fresh namespaces. Also prints the requests, lists
# and watches of cdhost's wait and fails if it opened more than one watch
# per kind and namespace. Details: bench/rollout/bench.py.
#
# Starts its own control plane (tests/e2e/env/testenv up, from the cached
# binaries) in a temporary directory and stops it at the end, unless
# CDHOST_BENCH_STATE names the STATEDIR of one that runs already (its
# namespaces are deleted at the end; the control plane is left running).
# KEEP=1 keeps the work directory (manifests, cdhost's events, results.json).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 CDHOST [ROUNDS]" >&2; exit 2; }
CDHOST=$(realpath "$1")
ROUNDS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
TESTENV=$HERE/../../tests/e2e/env/testenv
W=$(mktemp -d /tmp/cdhost-bench-rollout.XXXXXX)
OWN=
if [ -n "${CDHOST_BENCH_STATE:-}" ]; then
	STATE=$CDHOST_BENCH_STATE
	"$TESTENV" status "$STATE" >/dev/null 2>&1 ||
		{ echo "no running testenv at $STATE" >&2; exit 1; }
else
	"$TESTENV" setup >/dev/null
	STATE=$W/env OWN=1
	"$TESTENV" up "$STATE" >/dev/null
fi
. "$STATE/env.sh"
K=$CDHOST_TEST_KUBECTL
cleanup() {
	if [ -n "$OWN" ]; then
		"$TESTENV" down "$STATE" >/dev/null 2>&1 || true
	else
		"$K" get ns -o name | grep "^namespace/rb-[a-z]*-[0-9]*-$BENCH_PID\$" |
			xargs -r "$K" delete --wait=false >/dev/null 2>&1 || true
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
BENCH_PID=
trap cleanup EXIT
IMAGE=$CDHOST_TEST_REGISTRY/bench/rollout:v1
"$HERE/../../tests/e2e/env/push-image.sh" "$CDHOST_TEST_REGISTRY" bench/rollout:v1 >/dev/null
echo "cdhost $("$CDHOST" version | head -1); kubectl $("$K" version --client -o json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["clientVersion"]["gitVersion"])');" \
	"server $CDHOST_TEST_KUBE_VERSION; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$HERE/bench.py" "$CDHOST" "$K" "$IMAGE" "$W" "$ROUNDS" &
BENCH_PID=$!
wait $BENCH_PID
