# tests/e2e/registry/lib.sh — helpers for the registry e2e tests.
#   bash test_X.sh CDHOST STATEDIR   (STATEDIR: the fixture's, see fixture.sh)
set -uo pipefail
CDHOST=${1:?usage: test.sh CDHOST STATEDIR}
STATE=${2:?usage: test.sh CDHOST STATEDIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ -f "$STATE/env.sh" ] || { echo "registry fixture not up: $STATE/env.sh missing" >&2; exit 1; }
# shellcheck disable=SC1091
. "$STATE/env.sh"
PASSED=0 FAILED=0 CURRENT=
WORK=$(mktemp -d /tmp/cdhost-reg.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# A repository per test: the test's name plus a random part.
NS=$(basename "$0" .sh | tr '_' '-')-$RANDOM
export PATH="$REG_STATE/bin:$PATH" DOCKER_CONFIG="$REG_STATE/docker"
export CDHOST_REGISTRY_CA="$REG_CA" XDG_CACHE_HOME="$WORK/cache"
unset REGISTRY_AUTH_FILE XDG_RUNTIME_DIR HTTPS_PROXY https_proxy HTTP_PROXY http_proxy
DRIVE=$HERE/drive.lua

# cdh OP k=v...: runs drive.lua; $RC, $OUT (stdout), $ERR (stderr), $RESULT (the JSON)
cdh() {
	local op=$1; shift
	local sets=(--set "op=$op")
	for kv in "$@"; do sets+=(--set "$kv"); done
	"$CDHOST" ${CDH_FLAGS:-} --insecure-registry "$REG_PLAIN" run "$DRIVE" "${sets[@]}" \
		>"$WORK/.out" 2>"$WORK/.err"
	RC=$?
	OUT=$(cat "$WORK/.out")
	ERR=$(cat "$WORK/.err")
	RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err" | tail -n1)
}
# field NAME: a top-level string/number field of $RESULT
field() { python3 -c 'import json,sys; v=json.loads(sys.argv[1]); print(v.get(sys.argv[2],"") if isinstance(v,dict) else "")' "$RESULT" "$1"; }

# skopeo against a set-up, as an independent checker
sk() {   # sk inspect|copy ARGS... with per-registry flags added by REG in $SKREG
	skopeo "$@"
}
sk_flags() {   # HOST:PORT -> flags for skopeo inspect
	case "$1" in
		"$REG_PLAIN") echo "--tls-verify=false" ;;
		*) echo "--cert-dir $REG_CERTS_D --creds $REG_USER:$REG_PASS" ;;
	esac
}
# digest of a manifest as skopeo sees it (sha256 of the raw bytes)
sk_digest() {   # REF (host:port/repo:tag)
	local host=${1%%/*}
	# shellcheck disable=SC2046
	skopeo inspect --raw $(sk_flags "$host") "docker://$1" 2>"$WORK/.skerr" | sha256sum | sed 's/^/sha256:/; s/ .*//'
}
sk_exists() {
	local host=${1%%/*}
	# shellcheck disable=SC2046
	skopeo inspect --raw $(sk_flags "$host") "docker://$1" >/dev/null 2>&1
}

ok() { PASSED=$((PASSED + 1)); }
bad() {
	FAILED=$((FAILED + 1))
	echo "FAIL [$CURRENT] $*" >&2
	echo "  exit: ${RC:-}" >&2
	echo "  stderr: $(tail -c 1500 "$WORK/.err" 2>/dev/null)" >&2
}
t() { CURRENT=$1; }
expect_rc() { [ "$RC" = "$1" ] && ok || bad "exit $RC, expected $1"; }
expect_eq() { [ "$1" = "$2" ] && ok || bad "got '$1', expected '$2'"; }
expect_err() { grep -qF -- "$1" "$WORK/.err" && ok || bad "stderr lacks '$1'"; }
expect_no_err() { grep -qF -- "$1" "$WORK/.err" && bad "stderr has '$1'" || ok; }
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}

# proxy NAME RULE...: tests/helpers/fault_proxy.py in front of the plain
# registry (RULE as in its usage); sets PX (host:port), PXLOG and CDH_FLAGS.
# Stopped when the test exits.
PROXIES=()
trap 'for p in "${PROXIES[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"' EXIT
proxy() {
	local name=$1; shift
	local args=()
	for r in "$@"; do args+=(--rule "$r"); done
	PXLOG=$WORK/$name.log
	python3 "$HERE/../../helpers/fault_proxy.py" "$WORK/$name.port" "$REG_PLAIN" \
		"${args[@]}" ${PROXY_FLAGS:-} --log "$PXLOG" --timelog "$PXLOG.t" &
	PROXIES+=($!)
	for _ in $(seq 1 100); do [ -s "$WORK/$name.port" ] && break; sleep 0.05; done
	[ -s "$WORK/$name.port" ] || { echo "FAIL: fault proxy $name did not start" >&2; exit 1; }
	PX=127.0.0.1:$(cat "$WORK/$name.port")
	CDH_FLAGS="--insecure-registry $PX"
}
