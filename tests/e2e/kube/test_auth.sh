#!/usr/bin/env bash
# Every kubeconfig credential form against the real API server (client
# certificate, token, exec plugin) and the failures: unreachable server,
# wrong CA, wrong token, failing exec plugin, RBAC-forbidden namespace.
# Secrets never appear in the output.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
PLUGIN=$(cd "$KUBE_E2E/../../fixtures/kube" && pwd)/exec-plugin.sh

t "client certificate (admin context)"
run cdh --kube-context admin run get.lua
expect_rc 0
expect_err "got namespace $NS"
expect_err "absent is nil"

t "bearer token (token context)"
run cdh --kube-context token run get.lua
expect_rc 0
expect_err "got namespace $NS"

t "exec plugin"
kubeconfig exec "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $PLUGIN
      args: [token, $WORK/plugin.count]
      env: [{name: PLUGIN_TOKEN, value: $CDHOST_TEST_TOKEN}, {name: PLUGIN_API, value: client.authentication.k8s.io/v1}]"
run cdh --kubeconfig "$WORK/exec.kubeconfig" run get.lua
expect_rc 0
expect_err "got namespace $NS"
expect_eq "$(wc -l <"$WORK/plugin.count")" 1
expect_no_err "$CDHOST_TEST_TOKEN"

t "exec plugin v1beta1 through KUBECONFIG"
sed 's|client.authentication.k8s.io/v1|client.authentication.k8s.io/v1beta1|g' \
	"$WORK/exec.kubeconfig" >"$WORK/beta.kubeconfig"
run env KUBECONFIG="$WORK/missing:$WORK/beta.kubeconfig" "$CDHOST" run "$WORK/get.lua" --set ns="$NS"
expect_rc 0
expect_err "got namespace $NS"

t "failing exec plugin"
kubeconfig fail "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    exec: {apiVersion: client.authentication.k8s.io/v1, command: $PLUGIN, args: [fail]}"
run cdh --kubeconfig "$WORK/fail.kubeconfig" run get.lua
expect_rc 1
expect_err "exec plugin '$PLUGIN' failed with exit status 3: plugin: you need to log in first [unauthorized]"

t "exec plugin printing garbage"
kubeconfig garbage "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    exec: {apiVersion: client.authentication.k8s.io/v1, command: $PLUGIN, args: [garbage]}"
run cdh --kubeconfig "$WORK/garbage.kubeconfig" run get.lua
expect_rc 1
expect_err "printed something that is not an ExecCredential"
expect_no_err "GARBAGE"

t "wrong token"
kubeconfig badtoken "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    token: wrong-s3cr3t-token"
run cdh --kubeconfig "$WORK/badtoken.kubeconfig" run get.lua
expect_rc 1
expect_err "Unauthorized (HTTP 401) [unauthorized]"
expect_no_err "s3cr3t"

t "wrong CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=other-ca \
	-keyout "$WORK/other.key" -out "$WORK/other.crt" -days 1 2>/dev/null
kubeconfig badca "$CDHOST_TEST_APISERVER" "$WORK/other.crt" "    token: $CDHOST_TEST_TOKEN"
run cdh --kubeconfig "$WORK/badca.kubeconfig" run get.lua
expect_rc 1
expect_err "[unreachable]"
expect_err "certificate"
expect_no_err "$CDHOST_TEST_TOKEN"

t "unreachable server"
kubeconfig down "https://127.0.0.1:9" "$CDHOST_TEST_CA" "    token: $CDHOST_TEST_TOKEN"
run cdh --kubeconfig "$WORK/down.kubeconfig" run get.lua
expect_rc 1
expect_err "[unreachable]"
expect_err "127.0.0.1:9"

t "RBAC: a service account without rights"
kc create sa limited -n "$NS" >/dev/null
for _ in $(seq 50); do
	secret=$(kc get sa limited -n "$NS" -o jsonpath='{.secrets[0].name}' 2>/dev/null)
	[ -n "$secret" ] && break
	sleep 0.2
done
satoken=$(kc get secret "$secret" -n "$NS" -o jsonpath='{.data.token}' | base64 -d)
kubeconfig limited "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    token: $satoken"
run cdh --kubeconfig "$WORK/limited.kubeconfig" run apply.lua --set files=cm.yaml
expect_rc 1
expect_err "forbidden: User \"system:serviceaccount:$NS:limited\" cannot get resource \"configmaps\""
expect_err "[forbidden]"
expect_no_err "$satoken"

finish
