#!/usr/bin/env bash
# Secrets hygiene over a full demo run (issue 9): recipes/demo plus a Secret
# with canary data/stringData, against the real control plane and registry,
# authenticated with a bearer token (the testenv's token user), with a
# docker config.json holding a canary registry password, in every mode (run
# with -v and --output json, run again, --dry-run, diff with changed Secret
# values), and through an exec plugin that prints the token. Every stdout
# and stderr is searched for every canary, raw and base64-encoded: none may
# appear. A --show-secrets render proves the search finds them when they are
# printed.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$KUBE_E2E/../../.." && pwd)
REG=$CDHOST_TEST_REGISTRY
PLUGIN=$ROOT/tests/fixtures/kube/exec-plugin.sh
[ -n "${CDHOST_TEST_TOKEN:-}" ] || { echo "FAIL: no CDHOST_TEST_TOKEN in $STATE/env.sh" >&2; exit 1; }

# The project: the demo recipe and manifests, plus a Secret.
P=$WORK/demo-project
mkdir -p "$P/.git" # its own project root ($WORK has a cdhost.libs)
cp -r "$ROOT/recipes/demo.lua" "$ROOT/recipes/demo" "$P/"
rnd=$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')
DATA=canary-data-$rnd STRING=canary-stringdata-$rnd REGPW=canary-regpw-$rnd
DATA2=canary-data2-$rnd STRING2=canary-stringdata2-$rnd
b64() { printf '%s' "$1" | base64 -w0; }
secret() {
	cat >"$P/demo/k8s/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: demo-canary
  namespace: \${NAMESPACE}
type: Opaque
data:
  password: $(b64 "$1")
stringData:
  api-key: $2
YAML
}
secret "$DATA" "$STRING"
CANARIES=("$DATA" "$STRING" "$REGPW" "$DATA2" "$STRING2" "$CDHOST_TEST_TOKEN")

# Cluster access with the bearer token; registry credentials with a canary.
kubeconfig token "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    token: $CDHOST_TEST_TOKEN"
mkdir -p "$WORK/docker"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(b64 "cdhost:$REGPW")" >"$WORK/docker/config.json"

# no_canary WHAT: neither stream of the last run holds a canary (raw or
# base64, also the base64 of user:password as config.json has it).
no_canary() {
	local c found=""
	for c in "${CANARIES[@]}" "$(b64 "cdhost:$REGPW")"; do
		for form in "$c" "$(b64 "$c")"; do
			if grep -qF -- "$form" "$WORK/.out" "$WORK/.err"; then
				found="$found ${form:0:24}..."
			fi
		done
	done
	[ -z "$found" ] && ok || bad "$1: canary in the output:$found"
}
demo() {
	(cd "$P" && DOCKER_CONFIG=$WORK/docker "$CDHOST" --kubeconfig "$WORK/token.kubeconfig" \
		"$@" demo.lua --set registry="$REG" --set namespace="$NS" --insecure-registry "$REG")
}

t "run -v --output json: builds, applies the Secret, waits; no canary in the output"
run demo -v --output json run
expect_rc 0
expect_err '"event":"summary"'
expect_err '/secrets/demo-canary' # the -v request log
no_canary "run -v --output json"
# the Secret is really there, with the canary values
expect_eq "$(kc get secret demo-canary -n "$NS" -o jsonpath='{.data.password}' | base64 -d)" "$DATA"
expect_eq "$(kc get secret demo-canary -n "$NS" -o jsonpath='{.data.api-key}' | base64 -d)" "$STRING"

t "run again -v (text): the image is found, no canary"
run demo -v run
expect_rc 0
# (the API server rewrites a Secret applied with both data and stringData
# once more on the second apply: "changed" is not asserted here)
expect_err "0 image(s) built, 1 unchanged; 5 object(s) applied"
no_canary "run -v"

t "--dry-run -v: the manifests on stdout, the Secret masked"
run demo -v --dry-run
expect_rc 0
expect_out "kind: Secret"
expect_out "name: demo-canary"
no_canary "--dry-run -v"

t "--dry-run --show-secrets prints them: the search finds what is printed"
run demo --dry-run --show-secrets
expect_rc 0
grep -qF -- "$(b64 "$DATA")" "$WORK/.out" && ok || bad "--show-secrets: the data canary is not on stdout"
grep -qF -- "$STRING" "$WORK/.out" && ok || bad "--show-secrets: the stringData canary is not on stdout"

t "diff -v with new Secret values: the Secret differs, masked; no canary"
secret "$DATA2" "$STRING2"
run demo -v diff
expect_rc 1 # differences
expect_out "+++ merged/v1.Secret.$NS.demo-canary"
expect_out '+  password: "*** (after)"'
no_canary "diff -v"
run demo -v --output json diff
expect_rc 1
no_canary "diff -v --output json"
# diff changed nothing
expect_eq "$(kc get secret demo-canary -n "$NS" -o jsonpath='{.data.password}' | base64 -d)" "$DATA"

t "an exec plugin prints the token: run -v --output json, no token in the output"
kubeconfig exec "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: $PLUGIN
      args: [token]
      env: [{name: PLUGIN_TOKEN, value: $CDHOST_TEST_TOKEN}, {name: PLUGIN_API, value: client.authentication.k8s.io/v1}]"
cp "$WORK/exec.kubeconfig" "$WORK/token.kubeconfig"
run demo -v --output json run
expect_rc 0
expect_err '"event":"summary"'
no_canary "exec plugin, run -v --output json"

t "a rejected token: the error names no canary"
kubeconfig token "$CDHOST_TEST_APISERVER" "$CDHOST_TEST_CA" "    token: canary-badtoken-$rnd"
CANARIES+=("canary-badtoken-$rnd")
run demo -v run
expect_rc 1
expect_err "[unauthorized]"
no_canary "rejected token"
finish
