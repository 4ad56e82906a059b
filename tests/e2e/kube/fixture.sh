#!/usr/bin/env bash
# tests/e2e/kube/fixture.sh up|down STATEDIR — the control plane of one kube
# e2e run (CTest FIXTURES_SETUP/CLEANUP). `up` installs what is missing and
# builds/caches the binaries through tests/e2e/env/testenv; a missing
# prerequisite fails here, with testenv's message, never skips.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TESTENV=$HERE/../env/testenv
case ${1:-} in
up)
	"$TESTENV" deps
	"$TESTENV" build-k8s
	"$TESTENV" tools
	"$TESTENV" down "$2" >/dev/null 2>&1 || true
	"$TESTENV" up "$2"
	. "$2/env.sh"
	[ -x "${CDHOST_TEST_KUBECTL:-}" ] || { echo "fixture: kubectl missing from the testenv cache" >&2; exit 1; } ;;
down)
	"$TESTENV" down "$2" ;;
*)
	echo "usage: fixture.sh up|down STATEDIR" >&2; exit 2 ;;
esac
