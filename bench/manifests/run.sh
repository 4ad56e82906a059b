#!/usr/bin/env bash
# Renders 1,000 Deployments (loaded from YAML, images set, labels added,
# namespace set) with cdhost, `kubectl kustomize` on the equivalent
# kustomization and `helm template` on the equivalent chart, in one run.
#   bench/manifests/run.sh path/to/cdhost [RUNS]
# kubectl and helm come from tests/e2e/env/testenv tools. Uses hyperfine
# when it is installed, else times RUNS runs of each with bash's clock.
set -euo pipefail
CDHOST=$(realpath "${1:?usage: run.sh path/to/cdhost [RUNS]}")
RUNS=${2:-10}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
bash "$SRC/tests/e2e/env/testenv" tools >/dev/null
paths=$(bash "$SRC/tests/e2e/env/testenv" paths)
KUBECTL=$(sed -n 's/^kubectl=\([^ ]*\).*/\1/p' <<<"$paths")
HELM=$(sed -n 's/^helm=\([^ ]*\).*/\1/p' <<<"$paths")
DIR=$(mktemp -d /tmp/cdhost-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
"$HERE/gen.sh" "$DIR" 1000
cd "$DIR"

A="$CDHOST --dry-run render.lua"
B="$KUBECTL kustomize overlay"
C="$HELM template r chart --namespace shop"
for cmd in "$A" "$B" "$C"; do # same product: 1,000 Deployments
	n=$($cmd 2>/dev/null | grep -c '^kind: Deployment')
	printf '%-60.60s %d Deployments, %d bytes\n' "$cmd" "$n" "$($cmd 2>/dev/null | wc -c)"
done

if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 1 --runs "$RUNS" "$A" "$B" "$C"
	exit
fi
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for cmd in "$A" "$B" "$C"; do
	$cmd >/dev/null 2>&1
	for _ in $(seq "$RUNS"); do
		s=$(date +%s.%N); $cmd >/dev/null 2>&1; e=$(date +%s.%N)
		echo "$e - $s" | bc
	done | median | xargs printf '%-60.60s median %.3f s\n' "$cmd"
done
