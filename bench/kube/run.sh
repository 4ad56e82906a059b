#!/usr/bin/env bash
# bench/kube/run.sh CDHOST [STATEDIR] — cdhost vs kubectl --server-side on the
# testenv control plane (started in STATEDIR unless it runs already):
#   1,000 ConfigMaps: create, then an unchanged re-apply
#   200 Deployments: create
#   diff of the 1,000 ConfigMaps with one value changed vs `kubectl diff --server-side`
# Each tool works in its own namespace; wall time and peak RSS per command
# (/usr/bin/time). Prints one line per measurement.
set -euo pipefail
CDHOST=$(realpath "$1")
STATE=${2:-/tmp/cdhost-bench-kube}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TESTENV=$ROOT/tests/e2e/env/testenv
"$TESTENV" setup >/dev/null
"$TESTENV" status "$STATE" >/dev/null 2>&1 || { "$TESTENV" down "$STATE" >/dev/null 2>&1 || true; "$TESTENV" up "$STATE"; }
. "$STATE/env.sh"
K=$CDHOST_TEST_KUBECTL
W=$(mktemp -d /tmp/cdhost-bench-kube.XXXXXX)
trap 'rm -rf "$W"' EXIT
touch "$W/cdhost.libs"

gen() { # gen KIND N VALUE FILE
	local kind=$1 n=$2 v=$3 out=$4 i
	: >"$out"
	for ((i = 1; i <= n; i++)); do
		if [ "$kind" = cm ]; then
			printf -- '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-%04d}\ndata: {i: "%d", v: "%s"}\n' "$i" "$i" "$v"
		else
			printf -- '---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d-%04d}\nspec:\n  replicas: 0\n  selector: {matchLabels: {app: d-%04d}}\n  template:\n    metadata: {labels: {app: d-%04d}}\n    spec: {containers: [{name: c, image: "registry.invalid/app:%s", ports: [{containerPort: 80, protocol: TCP}]}]}\n' "$i" "$i" "$i" "$v"
		fi
	done >"$out"
}
gen cm 1000 1 "$W/cm1.yaml"
gen cm 1000 2 "$W/cm2.yaml"
gen deploy 200 1 "$W/d.yaml"
cat >"$W/apply.lua" <<'LUA'
local objs = cdhost.manifest.load { cdhost.args.file }
cdhost.kube.apply(objs, { namespace = cdhost.args.ns })
LUA

measure() { # measure LABEL CMD...
	local label=$1; shift
	local rc=0
	/usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>"$W/err" || rc=$?
	case "$rc:$label" in 0:*|1:*diff*) ;; *) cat "$W/err" >&2; exit 1 ;; esac
	read -r secs kb < <(tail -1 "$W/time")
	printf '%-34s %7.2f s %6d MiB\n' "$label" "$secs" $((kb / 1024))
}

for tool in cdhost kubectl; do
	ns=bench-$tool-$$
	"$K" create ns "$ns" >/dev/null
	if [ $tool = cdhost ]; then
		printf '#!/bin/sh\ncd "%s" && exec "%s" --max-instructions 0 "$1" apply.lua --set file="$2" --set ns="%s"\n' \
			"$W" "$CDHOST" "$ns" >"$W/c"
		chmod +x "$W/c"
		measure "cdhost apply 1000 cm (create)" "$W/c" run cm1.yaml
		measure "cdhost apply 1000 cm (unchanged)" "$W/c" run cm1.yaml
		measure "cdhost diff 1000 cm (all differ)" "$W/c" diff cm2.yaml
		measure "cdhost apply 200 deploy (create)" "$W/c" run d.yaml
	else
		measure "kubectl apply 1000 cm (create)" "$K" apply --server-side -n "$ns" -f "$W/cm1.yaml"
		measure "kubectl apply 1000 cm (unchanged)" "$K" apply --server-side -n "$ns" -f "$W/cm1.yaml"
		measure "kubectl diff 1000 cm (all differ)" "$K" diff --server-side -n "$ns" -f "$W/cm2.yaml"
		measure "kubectl apply 200 deploy (create)" "$K" apply --server-side -n "$ns" -f "$W/d.yaml"
	fi
	# wait until it is gone: its garbage collection would load the API
	# server while the next tool is measured
	"$K" delete ns "$ns" --timeout=300s >/dev/null
done
