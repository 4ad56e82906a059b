#!/usr/bin/env bash
# Render mode (--dry-run / render / check) on the demo recipe: the product is
# the manifests on stdout, nothing touches the network, output is stable.
CDHOST=$1
. "$(dirname "$0")/lib.sh"
DEMO=$CDHOST_SRC/recipes/demo.lua

t "demo renders"
run "$CDHOST" --dry-run "$DEMO"
expect_rc 0
expect_out "kind: Deployment"; expect_out "namespace: cdhost-demo"
expect_out "image: 127.0.0.1:5000/cdhost/demo-web:"; expect_err "would build 127.0.0.1:5000/cdhost/demo-web:"
expect_out "app.kubernetes.io/managed-by: cdhost"
expect_err "render of"; expect_err "4 object(s) rendered"
first=$OUT

t "byte-identical across runs, and render == --dry-run"
run "$CDHOST" --dry-run "$DEMO"
[ "$OUT" = "$first" ] && ok || bad "second --dry-run differs"
run "$CDHOST" render "$DEMO"
[ "$OUT" = "$first" ] && ok || bad "render differs from --dry-run"

t "no network: the same output under unshare -n"
if ! unshare -n true 2>/dev/null; then
	RC=-; bad "unshare -n is not usable here (run the tests as root)"
else
	run unshare -n "$CDHOST" --dry-run "$DEMO"
	expect_rc 0
	[ "$OUT" = "$first" ] && ok || bad "output differs without network"
fi

t "--set changes the render"
run "$CDHOST" --dry-run "$DEMO" --set namespace=team-a --set image=reg.local/web:1
expect_rc 0; expect_out "namespace: team-a"; expect_out "image: reg.local/web:1"
expect_no_out "cdhost-demo"

t "check discards the product"
run "$CDHOST" check "$DEMO"
expect_rc 0; expect_empty_out; expect_err "is fine"

t "run mode applies for real: without a kubeconfig it says so"
run env -u KUBECONFIG -u KUBERNETES_SERVICE_HOST HOME="$WORK" "$CDHOST" run "$DEMO" --set image=reg.local/web:1
expect_rc 1; expect_empty_out; expect_err "kube.apply: no kubeconfig: pass --kubeconfig"

t "secrets are masked unless --show-secrets"
r=$(recipe secret.lua <<'EOF2'
cdhost.kube.apply {
  apiVersion = "v1", kind = "Secret",
  metadata = { name = "db", namespace = "shop" },
  data = { password = "c3VwZXJzZWNyZXQ=" },
  stringData = { token = "plain-canary-token" },
}
EOF2
)
run "$CDHOST" --dry-run "$r"
expect_rc 0; expect_out "kind: Secret"; expect_out "password:"
expect_no_out "c3VwZXJzZWNyZXQ="; expect_no_out "plain-canary-token"
expect_no_err "c3VwZXJzZWNyZXQ="; expect_no_err "plain-canary-token"
run "$CDHOST" --dry-run --show-secrets "$r"
expect_rc 0; expect_out "c3VwZXJzZWNyZXQ="; expect_out "plain-canary-token"

t "several objects are separated by ---, in order"
r=$(recipe two.lua <<'EOF2'
cdhost.kube.apply {
  { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "a" } },
  { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "b" } },
}
EOF2
)
run "$CDHOST" --dry-run "$r"
expect_rc 0
[ "$(grep -c '^---$' "$WORK/.out")" = 1 ] && ok || bad "expected one separator"
[ "$(grep -n 'name: ' "$WORK/.out" | head -1 | cut -d: -f3)" = " a" ] && ok || bad "order"

t "the preview shows the target namespace (opts.namespace, else --namespace) for namespaced kinds only"
cat >"$WORK/ns.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: c, labels: {a: b}}
data: {k: v}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
stringData: {password: hunter2}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: pinned, namespace: elsewhere}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cr}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.x.dev}
spec: {group: x.dev, scope: Namespaced, names: {kind: Widget, plural: widgets}}
---
apiVersion: x.dev/v1
kind: Widget
metadata: {name: w}
---
apiVersion: y.dev/v1
kind: Unknown
metadata: {name: u}
EOF
r=$(recipe ns.lua <<'EOF'
local objs = cdhost.manifest.load { "ns.yaml" }
cdhost.kube.apply(objs, { namespace = cdhost.args.ns })
assert(objs[1].metadata.namespace == nil, "the recipe's table was changed")
EOF
)
run "$CDHOST" --dry-run "$r" --set ns=team
expect_rc 0
expect_eq() { [ "$1" = "$2" ] && ok || bad "got '$1', expected '$2'"; }
expect_eq "$(printf '%s\n' "$OUT" | grep -c '^  namespace: team$')" 3 # c, s, w
expect_out "namespace: elsewhere"; expect_no_out "hunter2"
printf '%s\n' "$OUT" | awk '/^kind: ClusterRole/,/^---/' | grep -q namespace && bad "ClusterRole got a namespace" || ok
printf '%s\n' "$OUT" | awk '/^kind: Unknown/,/^---/' | grep -q namespace && bad "a kind of unknown scope got one" || ok
expect_err "ConfigMap 1 (team)"
run "$CDHOST" --dry-run -n team2 "$r"
expect_rc 0
expect_eq "$(printf '%s\n' "$OUT" | grep -c '^  namespace: team2$')" 3

t "bad objects are clear errors"
r=$(recipe badobj.lua <<<'cdhost.kube.apply { 1, 2 }')
run "$CDHOST" --dry-run "$r"
expect_rc 1; expect_err "object 1 is a number, not a table"; expect_empty_out

finish
