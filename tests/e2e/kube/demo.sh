#!/usr/bin/env bash
# tests/e2e/kube/demo.sh STATEDIR CDHOST — `make demo`: brings up the test
# environment in STATEDIR (cached binaries; a running one is reused), pushes
# the demo image to its registry, applies recipes/demo.lua for real and shows
# what runs. `make demo-down` (testenv down STATEDIR) stops it.
set -euo pipefail
STATE=$1 CDHOST=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
TESTENV=$ROOT/tests/e2e/env/testenv
"$TESTENV" setup
if ! "$TESTENV" status "$STATE" >/dev/null 2>&1; then
	"$TESTENV" down "$STATE" >/dev/null 2>&1 || true
	"$TESTENV" up "$STATE"
fi
. "$STATE/env.sh"
reg=$CDHOST_TEST_REGISTRY
demo() { "$CDHOST" run "$ROOT/recipes/demo.lua" --set registry="$reg" --insecure-registry "$reg" "$@"; }
echo "demo: cdhost run recipes/demo.lua: build, push to $reg, apply to $CDHOST_TEST_APISERVER, wait"
demo
echo
echo "demo: what runs now (kubectl get):"
"$CDHOST_TEST_KUBECTL" get deploy,rs,pods,svc,cm -n cdhost-demo
echo
echo "demo: again: the image is found in the registry, nothing is uploaded, nothing changes:"
demo
echo
echo "demo: running in $STATE; KUBECONFIG=$STATE/kubeconfig; stop it with: make demo-down"
