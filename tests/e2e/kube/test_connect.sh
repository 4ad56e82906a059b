#!/usr/bin/env bash
# Reaching the real API server another way: kubeconfig's proxy-url and
# HTTPS_PROXY/NO_PROXY through a CONNECT proxy (tests/helpers/
# connect_proxy.py, which logs every tunnel), and the in-cluster config
# (KUBERNETES_SERVICE_HOST/PORT + a service account directory, named by
# CDHOST_SERVICE_ACCOUNT_DIR) with a real ServiceAccount token.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
HELPERS=$(cd "$KUBE_E2E/../../helpers" && pwd)
API_PORT=${CDHOST_TEST_APISERVER##*:}
PROXY_PID=
stop_proxy() { [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; wait 2>/dev/null; }
trap 'stop_proxy; cleanup' EXIT
# no proxy settings from the caller's environment
unset HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy NO_PROXY no_proxy

python3 "$HELPERS/connect_proxy.py" "$WORK/proxy.port" "$WORK/proxy.log" &
PROXY_PID=$!
for _ in $(seq 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.1; done
PROXY=http://127.0.0.1:$(cat "$WORK/proxy.port")
: >"$WORK/proxy.log"
tunnels() { grep -c "^CONNECT 127.0.0.1:$API_PORT ok$" "$WORK/proxy.log"; }

# kubeconfig NAME CLUSTER-EXTRA: the token user
tokenconfig() {
	kubeconfig "$1" "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    token: $CDHOST_TEST_TOKEN" "$2"
}

t "proxy-url: through the proxy to the API server"
tokenconfig proxied ", proxy-url: \"$PROXY\""
run cdh --kubeconfig "$WORK/proxied.kubeconfig" run get.lua
expect_rc 0
expect_err "got namespace $NS"
expect_err "absent is nil"
[ "$(tunnels)" -ge 1 ] && ok || bad "the proxy saw no CONNECT 127.0.0.1:$API_PORT: $(cat "$WORK/proxy.log")"
expect_no_err "$CDHOST_TEST_TOKEN"

t "proxy-url wins over NO_PROXY"
before=$(tunnels)
run env NO_PROXY=127.0.0.1 no_proxy=127.0.0.1 "$CDHOST" --kubeconfig "$WORK/proxied.kubeconfig" run "$WORK/get.lua" --set ns="$NS"
expect_rc 0
[ "$(tunnels)" -gt "$before" ] && ok || bad "NO_PROXY bypassed proxy-url"

t "proxy-url with tls-server-name: the tunnel goes to the server's address"
before=$(tunnels)
tokenconfig proxiedsni ", proxy-url: \"$PROXY\", tls-server-name: kubernetes.default"
run cdh --kubeconfig "$WORK/proxiedsni.kubeconfig" run get.lua
expect_rc 0
expect_err "got namespace $NS"
[ "$(tunnels)" -gt "$before" ] && ok || bad "no tunnel to 127.0.0.1:$API_PORT"

t "proxy-url to a proxy that is down"
tokenconfig deadproxy ", proxy-url: \"http://127.0.0.1:9\""
run cdh --kubeconfig "$WORK/deadproxy.kubeconfig" run get.lua
expect_rc 1
expect_err "[unreachable]"

t "HTTPS_PROXY, then NO_PROXY"
tokenconfig direct ""
before=$(tunnels)
run env HTTPS_PROXY="$PROXY" "$CDHOST" --kubeconfig "$WORK/direct.kubeconfig" run "$WORK/get.lua" --set ns="$NS"
expect_rc 0
expect_err "got namespace $NS"
[ "$(tunnels)" -gt "$before" ] && ok || bad "HTTPS_PROXY not used"
before=$(tunnels)
run env HTTPS_PROXY="$PROXY" NO_PROXY=127.0.0.1 "$CDHOST" --kubeconfig "$WORK/direct.kubeconfig" run "$WORK/get.lua" --set ns="$NS"
expect_rc 0
expect_eq "$(tunnels)" "$before"

t "in-cluster: a ServiceAccount token, CA and namespace file"
kc create sa incluster -n "$NS" >/dev/null
kc create rolebinding incluster-edit -n "$NS" --clusterrole=edit --serviceaccount="$NS:incluster" >/dev/null
for _ in $(seq 50); do
	secret=$(kc get sa incluster -n "$NS" -o jsonpath='{.secrets[0].name}' 2>/dev/null)
	[ -n "$secret" ] && break
	sleep 0.2
done
mkdir -p "$WORK/sa" "$WORK/nohome"
kc get secret "$secret" -n "$NS" -o jsonpath='{.data.token}' | base64 -d >"$WORK/sa/token"
cp "$CDHOST_TEST_CA" "$WORK/sa/ca.crt"
printf '%s\n' "$NS" >"$WORK/sa/namespace"
incluster() {
	run env -u KUBECONFIG HOME="$WORK/nohome" KUBERNETES_SERVICE_HOST=127.0.0.1 \
		KUBERNETES_SERVICE_PORT="$API_PORT" CDHOST_SERVICE_ACCOUNT_DIR="$WORK/sa" "$@"
}
incluster "$CDHOST" run "$WORK/incluster.lua"
expect_rc 0
expect_err "applied $NS/cm-incluster created"
expect_err "namespace read: forbidden: "
expect_err "User \"system:serviceaccount:$NS:incluster\" cannot get resource \"namespaces\""
expect_no_err "$(cat "$WORK/sa/token")"
expect_eq "$(kc get cm cm-incluster -n "$NS" -o jsonpath='{.data.v}')" "1"

t "in-cluster: --namespace wins over the namespace file"
kc create ns "$NS-b" >/dev/null
incluster "$CDHOST" --namespace "$NS-b" run "$WORK/incluster.lua"
expect_rc 1
expect_err "cannot get resource \"configmaps\" in API group \"\" in the namespace \"$NS-b\""

t "in-cluster: no token"
rm "$WORK/sa/token"
incluster "$CDHOST" run "$WORK/incluster.lua"
expect_rc 1
expect_err "in-cluster service account"
expect_err "$WORK/sa/token"

finish
