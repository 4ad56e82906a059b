# tests/e2e/kube/lib.sh — helpers for the kube e2e tests.
#   CDHOST=... STATE=...; source lib.sh; t NAME; run CMD...; expect_rc N ...
# Each test gets its own namespace ($NS) and work directory ($WORK, a
# project root with the recipes and manifests of tests/e2e/kube/recipes).
set -uo pipefail
: "${CDHOST:?}" "${STATE:?}"
CDHOST=$(realpath "$CDHOST")
KUBE_E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ ! -f "$STATE/env.sh" ]; then
	echo "FAIL: no control plane at $STATE (the e2e/kube/setup fixture failed)" >&2
	exit 1
fi
. "$STATE/env.sh"
KUBECTL=$CDHOST_TEST_KUBECTL
[ -x "$KUBECTL" ] || { echo "FAIL: kubectl not in the testenv cache" >&2; exit 1; }
PASSED=0 FAILED=0
WORK=$(mktemp -d /tmp/cdhost-kube-e2e.XXXXXX)
NS=kt-$(basename "$0" .sh | tr '_' '-' | cut -c1-30)-$$
cp -r "$KUBE_E2E/recipes/." "$WORK/"
cleanup() {
	"$KUBECTL" delete ns "$NS" "$NS-b" --wait=false >/dev/null 2>&1
	rm -rf "$WORK"
}
trap cleanup EXIT
"$KUBECTL" create ns "$NS" >/dev/null || { echo "FAIL: cannot create namespace $NS" >&2; exit 1; }

run() {
	"$@" >"$WORK/.out" 2>"$WORK/.err"
	RC=$?
}
ok() { PASSED=$((PASSED + 1)); }
bad() {
	FAILED=$((FAILED + 1))
	echo "FAIL [$CURRENT] $*" >&2
	echo "  exit: $RC" >&2
	echo "  stdout: $(head -c 1500 "$WORK/.out")" >&2
	echo "  stderr: $(head -c 1500 "$WORK/.err")" >&2
}
t() { CURRENT=$1; }
expect_rc() { [ "$RC" = "$1" ] && ok || bad "exit $RC, expected $1"; }
expect_out() { grep -qF -- "$1" "$WORK/.out" && ok || bad "stdout lacks '$1'"; }
expect_err() { grep -qF -- "$1" "$WORK/.err" && ok || bad "stderr lacks '$1'"; }
expect_no_out() { grep -qF -- "$1" "$WORK/.out" && bad "stdout has '$1'" || ok; }
expect_no_err() { grep -qF -- "$1" "$WORK/.err" && bad "stderr has '$1'" || ok; }
expect_eq() { [ "$1" = "$2" ] && ok || bad "got '$1', expected '$2'"; }
# cdh ARGS...: cdhost with the test's namespace passed to the recipe
cdh() { (cd "$WORK" && "$CDHOST" --max-instructions 0 "$@" --set ns="$NS"); }
kc() { "$KUBECTL" "$@"; }
# kubeconfig NAME SERVER CA USER-YAML [CLUSTER-EXTRA]: writes
# $WORK/NAME.kubeconfig, context t in $NS; CA "" = none, USER-YAML is
# indented by four spaces, CLUSTER-EXTRA (", proxy-url: ...") goes into the
# cluster's map
kubeconfig() {
	cat >"$WORK/$1.kubeconfig" <<YAML
apiVersion: v1
kind: Config
current-context: t
clusters:
- name: c
  cluster: {server: "$2"${3:+, certificate-authority: \"$3\"}${5:-}}
contexts:
- name: t
  context: {cluster: c, user: u, namespace: $NS}
users:
- name: u
  user:
$4
YAML
}
finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" = 0 ]
}
