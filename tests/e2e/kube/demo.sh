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
# The image build for the demo comes with the images capability; until then
# a tiny OCI image pushed by the test helper stands in for it.
image=$CDHOST_TEST_REGISTRY/cdhost/demo-web:dev
"$ROOT/tests/e2e/env/push-image.sh" "$CDHOST_TEST_REGISTRY" cdhost/demo-web:dev "cdhost demo" >/dev/null
echo "demo: applying recipes/demo.lua to $CDHOST_TEST_APISERVER (image $image)"
"$CDHOST" run "$ROOT/recipes/demo.lua" --set image="$image"
"$CDHOST_TEST_KUBECTL" rollout status deployment/demo-web -n cdhost-demo --timeout=60s
"$CDHOST_TEST_KUBECTL" get deploy,rs,pods,svc,cm -n cdhost-demo
echo "demo: again, nothing changes:"
"$CDHOST" run "$ROOT/recipes/demo.lua" --set image="$image"
echo "demo: running in $STATE; KUBECONFIG=$STATE/kubeconfig; stop it with: make demo-down"
