#!/usr/bin/env bash
# Every kubeconfig credential form against the real API server (client
# certificate as data and as files, token, tokenFile, exec plugin), the TLS
# settings (insecure-skip-tls-verify, tls-server-name) and the failures:
# unreachable server, wrong CA, wrong server name, wrong token, failing exec
# plugin, RBAC-forbidden namespace. Secrets never appear in the output.
# (proxy-url and in-cluster: test_connect.sh; Basic auth, which v1.20 no
# longer accepts: tests/unit/test_kubeconfig.c.)
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

t "client certificate and key files"
kubeconfig certfiles "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    client-certificate: $CDHOST_TEST_CLIENT_CERT
    client-key: $CDHOST_TEST_CLIENT_KEY"
run cdh --kubeconfig "$WORK/certfiles.kubeconfig" run get.lua
expect_rc 0
expect_err "got namespace $NS"

t "tokenFile"
printf '%s\n' "$CDHOST_TEST_TOKEN" >"$WORK/token"
kubeconfig tokenfile "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    tokenFile: $WORK/token"
run cdh --kubeconfig "$WORK/tokenfile.kubeconfig" run get.lua
expect_rc 0
expect_err "got namespace $NS"
expect_no_err "$CDHOST_TEST_TOKEN"

t "insecure-skip-tls-verify without a CA"
kubeconfig insecure "$CDHOST_TEST_APISERVER" "" "    token: $CDHOST_TEST_TOKEN" ", insecure-skip-tls-verify: true"
run cdh --kubeconfig "$WORK/insecure.kubeconfig" run get.lua
expect_rc 0
expect_err "got namespace $NS"

t "tls-server-name: a name the certificate has, and one it has not"
kubeconfig sni "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    token: $CDHOST_TEST_TOKEN" ", tls-server-name: kubernetes.default.svc"
run cdh --kubeconfig "$WORK/sni.kubeconfig" run get.lua
expect_rc 0
expect_err "got namespace $NS"
kubeconfig badsni "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    token: $CDHOST_TEST_TOKEN" ", tls-server-name: wrong.example"
run cdh --kubeconfig "$WORK/badsni.kubeconfig" run get.lua
expect_rc 1
expect_err "[unreachable]"
expect_err "no alternative certificate subject name matches target host name 'wrong.example'"
kubeconfig nosni "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    token: $CDHOST_TEST_TOKEN" ", tls-server-name: \"not a name\""
run cdh --kubeconfig "$WORK/nosni.kubeconfig" run get.lua
expect_rc 1
expect_err "tls-server-name 'not a name' is not a host name [invalid]"

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
