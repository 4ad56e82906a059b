#!/usr/bin/env bash
# kube.get, kube.list and kube.watch without a cluster (SPEC section 3):
# in render mode (--dry-run, render, check, and --offline; also any other
# command's --dry-run preview, as for the registry's reads) a read that
# cannot connect is a warning in the plan naming the call, and the call
# gives nil (an iterator that ends, for watch) and the message; in the
# other modes it is still an error. No control plane needed: the server of
# the kubeconfig is a closed port.
CDHOST=$1
. "$(dirname "$0")/lib.sh"
export HOME=$WORK/home XDG_CACHE_HOME=$WORK/cache # no discovery cache
unset KUBECONFIG
mkdir -p "$HOME"
cat >"$WORK/down.kubeconfig" <<'YAML'
apiVersion: v1
kind: Config
current-context: t
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
contexts: [{name: t, context: {cluster: c, user: u, namespace: shop}}]
users: [{name: u, user: {token: x}}]
YAML
R=$(recipe reads.lua <<'LUA'
local cm = { apiVersion = "v1", kind = "ConfigMap", name = "a" }
local obj, why = cdhost.kube.get(cm)
print("get " .. tostring(obj) .. " why=" .. tostring(why))
local items, lwhy = cdhost.kube.list({ apiVersion = "v1", kind = "ConfigMap" })
print("list " .. tostring(items) .. " why=" .. tostring(lwhy))
local n = 0
local it, wwhy = cdhost.kube.watch({ apiVersion = "v1", kind = "ConfigMap" }, { timeout = "30s" })
for _ in it do n = n + 1 end
print("watch events=" .. n .. " why=" .. tostring(wwhy))
for _ in cdhost.kube.watch({ apiVersion = "v1", kind = "ConfigMap" }, { timeout = "30s" }) do n = n + 1 end
print("watch in a for loop events=" .. n)
LUA
)

# reads: the output of every degraded call, with the words of its warning
expect_degraded() {
	local why=$1
	expect_rc 0
	expect_err "get nil why=$why"
	expect_err "list nil why=$why"
	expect_err "watch events=0 why=$why"
	expect_err "watch in a for loop events=0"
	for op in kube.get kube.list kube.watch; do
		expect_err "warning: $op: live state unknown: no cluster to read ($why"
	done
	expect_no_err "[unreachable]"
}

t "check: --offline, the kubeconfig is read but nothing is sent"
run "$CDHOST" --kubeconfig "$WORK/down.kubeconfig" check "$R"
expect_degraded "GET https://127.0.0.1:9/"
expect_err "not allowed with --offline"
expect_empty_out

t "--dry-run against a server that does not answer, without waiting for it"
start=$(date +%s)
run "$CDHOST" --kubeconfig "$WORK/down.kubeconfig" --dry-run "$R"
expect_degraded "GET https://127.0.0.1:9/"
[ $(( $(date +%s) - start )) -lt 20 ] && ok || bad "the watch waited for its timeout"

t "render and --offline --dry-run"
run "$CDHOST" --kubeconfig "$WORK/down.kubeconfig" render "$R"
expect_degraded "GET https://127.0.0.1:9/"
run "$CDHOST" --offline --kubeconfig "$WORK/down.kubeconfig" --dry-run "$R"
expect_degraded "GET https://127.0.0.1:9/"
expect_err "not allowed with --offline"

t "render mode without any kubeconfig"
run "$CDHOST" --dry-run "$R"
expect_degraded "no kubeconfig"

t "-o json: the warnings are log events"
run "$CDHOST" -o json --kubeconfig "$WORK/down.kubeconfig" check "$R"
expect_rc 0
expect_err '"level":"warn"'
expect_err 'kube.get: live state unknown'

t "any command's --dry-run preview degrades the same way (as the registry's reads)"
run "$CDHOST" --kubeconfig "$WORK/down.kubeconfig" --dry-run build "$R"
expect_degraded "GET https://127.0.0.1:9/"
run "$CDHOST" --dry-run deploy "$R"
expect_degraded "no kubeconfig"

t "outside render mode and --dry-run a read that cannot connect is an error"
run "$CDHOST" --offline --kubeconfig "$WORK/down.kubeconfig" run "$R"
expect_rc 1
expect_err "kube.get: GET https://127.0.0.1:9/"
expect_err "[unreachable]"
run "$CDHOST" --kubeconfig "$WORK/down.kubeconfig" build "$R"
expect_rc 1
expect_err "[unreachable]"
run "$CDHOST" run "$R"
expect_rc 1
expect_err "kube.get: no kubeconfig"
expect_err "[not_found]"
finish
