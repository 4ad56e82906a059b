#!/usr/bin/env bash
# smoke.sh STATEDIR — prove a running test environment with independent tools only
# (curl-pushed image, kubectl and helm from the cache; no cdhost code).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
statedir=${1:-}
[ -n "$statedir" ] || { echo "usage: $0 STATEDIR" >&2; exit 2; }
[ -f "$statedir/env.sh" ] || { echo "smoke: FAIL: $statedir/env.sh missing (run: testenv up $statedir)" >&2; exit 1; }
# shellcheck disable=SC1091
. "$statedir/env.sh"
[ -x "${CDHOST_TEST_KUBECTL:-}" ] || { echo "smoke: FAIL: no kubectl in env.sh (run: testenv tools, then up again)" >&2; exit 1; }

ns=smoke-$$-$RANDOM
passed=0
CURRENT="setup"
t_start=$(date +%s%3N)

k() { "$CDHOST_TEST_KUBECTL" --request-timeout=20s "$@"; }
kn() { k -n "$ns" "$@"; }

cleanup() {
    local rc=$?
    if [ "$rc" != 0 ]; then
        echo "smoke: FAIL in check \"$CURRENT\" (exit $rc)" >&2
        echo "---- pods in $ns ----" >&2
        kn get pods -o wide 2>&1 | head -n 30 >&2 || true
        echo "---- events in $ns ----" >&2
        kn get events --sort-by=.lastTimestamp 2>&1 | tail -n 25 >&2 || true
        echo "---- kubelet-sim log (tail) ----" >&2
        tail -n 20 "$statedir/logs/kubelet-sim.log" >&2 || true
        echo "smoke: $passed passed, 1 failed" >&2
    fi
    k delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
    exit "$rc"
}
trap cleanup EXIT

check() { CURRENT=$1; echo "smoke: - $1"; }
ok() { passed=$((passed + 1)); }
fail() { echo "smoke: FAIL: $CURRENT: $*" >&2; exit 1; }

# wait_jsonpath SECONDS DESCRIPTION REGEX kubectl-args... : poll a jsonpath until it matches REGEX
wait_match() {
    local secs=$1 what=$2 re=$3; shift 3
    local deadline=$(( $(date +%s) + secs )) out=""
    while :; do
        out=$(kn "$@" 2>/dev/null || true)
        if [[ "$out" =~ $re ]]; then return 0; fi
        [ "$(date +%s)" -lt "$deadline" ] || fail "timed out after ${secs}s waiting for $what (last: '${out}')"
        sleep 0.5
    done
}

check "registry answers /v2/ and accepts a pushed image"
curl -sf "$CDHOST_TEST_REGISTRY_URL/v2/" >/dev/null || fail "registry /v2/ not answering"
d1=$("$HERE/push-image.sh" "$CDHOST_TEST_REGISTRY" smoke/hello:v1 "hello v1")
d2=$("$HERE/push-image.sh" "$CDHOST_TEST_REGISTRY" smoke/hello:v2 "hello v2")
code=$(curl -s -o /dev/null -w '%{http_code}' -I \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$CDHOST_TEST_REGISTRY_URL/v2/smoke/hello/manifests/v1")
[ "$code" = 200 ] || fail "HEAD of pushed manifest gave $code"
ok

check "API server: admin cert and token users, nodes Ready"
k version -o json >/dev/null 2>&1 || fail "kubectl version failed"
[ "$(k --context token auth can-i '*' '*' --all-namespaces)" = yes ] || fail "token user is not cluster-admin"
ready=$(k get nodes -l cdhost.dev/simulated=true -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}')
[[ "$ready" == *True* ]] || fail "no Ready simulated node (Ready conditions: '$ready')"
k create namespace "$ns" >/dev/null
ok

check "Deployment with a pushed image rolls out (kubectl rollout status)"
kn apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: hello}
spec:
  replicas: 2
  selector: {matchLabels: {app: hello}}
  template:
    metadata: {labels: {app: hello}}
    spec:
      initContainers:
      - {name: init, image: $CDHOST_TEST_REGISTRY/smoke/hello:v1}
      containers:
      - name: app
        image: $CDHOST_TEST_REGISTRY/smoke/hello:v1
        readinessProbe: {httpGet: {path: /, port: 80}, initialDelaySeconds: 1}
EOF
kn rollout status deploy/hello --timeout=60s >/dev/null || fail "rollout status failed"
img=$(kn get pods -l app=hello -o jsonpath='{.items[0].status.containerStatuses[0].imageID}')
[[ "$img" == *"@$d1" ]] || fail "imageID '$img' does not carry the pushed digest $d1"
# (no "| grep -q" on kubectl output: with pipefail an early grep exit fails the pipeline)
ev=$(kn get events --field-selector reason=Pulling -o name)
[ -n "$ev" ] || fail "no Pulling events"
ok

check "rolling update to v2 finishes (old pods force-deleted)"
kn set image deploy/hello app="$CDHOST_TEST_REGISTRY/smoke/hello:v2" >/dev/null
kn rollout status deploy/hello --timeout=60s >/dev/null || fail "rollout to v2 failed"
wait_match 20 "only v2 pods" "^($CDHOST_TEST_REGISTRY/smoke/hello:v2 )+\$" \
    get pods -l app=hello -o jsonpath='{range .items[*]}{.spec.containers[0].image}{" "}{end}'
img=$(kn get pods -l app=hello -o jsonpath='{.items[0].status.containerStatuses[0].imageID}')
[[ "$img" == *"@$d2" ]] || fail "imageID '$img' does not carry $d2"
ok

check "missing image gives ErrImagePull/ImagePullBackOff"
kn create deployment missing --image="$CDHOST_TEST_REGISTRY/smoke/missing:nope" >/dev/null
wait_match 30 "ErrImagePull or ImagePullBackOff" "(ErrImagePull|ImagePullBackOff)" \
    get pods -l app=missing -o jsonpath='{.items[*].status.containerStatuses[*].state.waiting.reason}'
if kn rollout status deploy/missing --timeout=3s >/dev/null 2>&1; then fail "rollout of a missing image succeeded"; fi
ev=$(kn get events --field-selector reason=Failed -o jsonpath='{.items[*].message}')
[[ "$ev" == *"not found"* ]] || fail "no Failed event saying the image was not found"
ok

check "SIM_CRASH=1 gives CrashLoopBackOff"
kn apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: crash}
spec:
  replicas: 1
  selector: {matchLabels: {app: crash}}
  template:
    metadata: {labels: {app: crash}}
    spec:
      containers:
      - name: app
        image: $CDHOST_TEST_REGISTRY/smoke/hello:v1
        env: [{name: SIM_CRASH, value: "1"}]
EOF
wait_match 30 "CrashLoopBackOff" "CrashLoopBackOff" \
    get pods -l app=crash -o jsonpath='{.items[*].status.containerStatuses[*].state.waiting.reason}'
rc=$(kn get pods -l app=crash -o jsonpath='{.items[0].status.containerStatuses[0].restartCount}')
[ "${rc:-0}" -ge 1 ] || fail "restartCount is '$rc'"
ec=$(kn get pods -l app=crash -o jsonpath='{.items[0].status.containerStatuses[0].lastState.terminated.exitCode}')
[ "$ec" = 1 ] || fail "lastState.terminated.exitCode is '$ec'"
ok

check "Job with SIM_EXIT=0 completes"
kn apply -f - >/dev/null <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: done}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: job
        image: $CDHOST_TEST_REGISTRY/smoke/hello:v1
        env: [{name: SIM_EXIT, value: "0"}]
EOF
kn wait --for=condition=complete job/done --timeout=60s >/dev/null || fail "job did not complete"
ok

check "helm installs a chart into the cluster"
if [ -x "${CDHOST_TEST_HELM:-}" ]; then
    chart=$(mktemp -d)
    mkdir -p "$chart/templates"
    printf 'apiVersion: v2\nname: smoke\nversion: 0.1.0\n' > "$chart/Chart.yaml"
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n' \
        > "$chart/templates/cm.yaml"
    "$CDHOST_TEST_HELM" upgrade --install smoke "$chart" -n "$ns" --wait --timeout 60s >/dev/null \
        || { rm -rf "$chart"; fail "helm upgrade --install failed"; }
    rm -rf "$chart"
    kv=$(kn get configmap smoke-cm -o jsonpath='{.data.kube}')
    [ "$kv" = "$CDHOST_TEST_KUBE_VERSION" ] || fail "chart rendered kube version '$kv', want $CDHOST_TEST_KUBE_VERSION"
else
    fail "no helm in env.sh (run: testenv tools, then up again)"
fi
ok

check "namespace deletion finishes"
k delete namespace "$ns" --timeout=60s >/dev/null || fail "namespace $ns was not deleted"
ok

t_end=$(date +%s%3N)
echo "smoke: all checks passed in $(( (t_end - t_start) / 1000 )).$(( (t_end - t_start) % 1000 / 100 )) s"
echo "smoke: $passed passed, 0 failed"
