#!/usr/bin/env bash
# Manifests at the level of a whole run: bad input is a clear error, exit 1
# and nothing on stdout; render prints in apply order with a plan on stderr;
# helm/kustomize failures are honoured (no real helm needed here: a missing
# program and a stand-in that fails).
CDHOST=$1
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/k8s" "$WORK/charts/app" "$WORK/bin"

cat >"$WORK/k8s/ok.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {template: {spec: {containers: [{name: web, image: web}]}}}
---
apiVersion: v1
kind: Service
metadata: {name: web}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: ${NS}}
---
apiVersion: v1
kind: Namespace
metadata: {name: ${NS}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec: {group: example.com, scope: Namespaced, names: {kind: Widget}}
EOF

t "render prints in apply order and a plan on stderr"
r=$(recipe order.lua <<'EOF'
local objs = cdhost.manifest.load { "k8s/ok.yaml", vars = { NS = "shop" } }
cdhost.manifest.namespace(objs, "shop")
cdhost.kube.apply(objs)
EOF
)
run "$CDHOST" --dry-run "$r"
expect_rc 0
kinds=$(grep '^kind:' "$WORK/.out" | tr '\n' ' ')
[ "$kinds" = "kind: Namespace kind: CustomResourceDefinition kind: ConfigMap kind: Service kind: Deployment kind: Widget " ] \
	&& ok || bad "apply order: $kinds"
expect_err "plan: apply 6 object(s): Namespace 1 (no namespace), CustomResourceDefinition 1 (no namespace), ConfigMap 1 (shop), Service 1 (shop), Deployment 1 (shop), Widget 1 (shop)"
first=$OUT
run "$CDHOST" --dry-run "$r"
[ "$OUT" = "$first" ] && ok || bad "second render differs"
run "$CDHOST" --dry-run --output json "$r"
expect_err '"event":"plan","objects":6,"kinds":[{"kind":"Namespace","namespace":"","count":1}'

# bad input: exit 1, the error on stderr, nothing rendered
bad_input() { # NAME RECIPE-BODY EXPECTED-STDERR
	t "$1"
	r=$(recipe bad.lua <<<"$2")
	run "$CDHOST" --dry-run "$r"
	expect_rc 1; expect_empty_out; expect_err "$3"
}
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: b\n' >"$WORK/k8s/malformed.yaml"
printf 'apiVersion: v1\nmetadata: {name: x}\n' >"$WORK/k8s/nokind.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\n' >"$WORK/k8s/dup.yaml"
APPLY='cdhost.kube.apply(cdhost.manifest.load { "k8s/ok.yaml", vars = { NS = "shop" } })'
bad_input "malformed YAML: line and column" \
	"$APPLY; cdhost.kube.apply(cdhost.manifest.load 'k8s/malformed.yaml')" \
	"manifest.load: k8s/malformed.yaml:6:1: "
bad_input "a document without kind" \
	"cdhost.kube.apply(cdhost.manifest.load 'k8s/nokind.yaml')" \
	"manifest.load: k8s/nokind.yaml:1: document 1 has no kind [invalid]"
bad_input "a duplicate object" \
	"cdhost.kube.apply(cdhost.manifest.load { 'k8s/ok.yaml', 'k8s/dup.yaml', vars = { NS = 'shop' } })" \
	"duplicate object ConfigMap shop/cfg: k8s/ok.yaml:14 (document 4) and k8s/dup.yaml:1 (document 1)"
bad_input "an unknown \${VAR}" \
	"cdhost.kube.apply(cdhost.manifest.load { 'k8s/ok.yaml', vars = { N = 'x' } })" \
	"k8s/ok.yaml:16: unknown variable \${NS}"
bad_input "a patch that targets nothing" \
	"local o = cdhost.manifest.load { 'k8s/ok.yaml', vars = { NS = 'a' } }
cdhost.manifest.patch(o, { kind = 'Deployment', metadata = { name = 'api' } })
cdhost.kube.apply(o)" \
	"manifest.patch: the patch targets nothing: no object with kind=Deployment name=api"
bad_input "a missing chart" \
	"cdhost.kube.apply(cdhost.helm.template { chart = 'charts/nope' })" \
	"helm.template: chart 'charts/nope' not found (paths are relative to the project root"

# helm itself: absent, or failing with its stderr shown
printf 'apiVersion: v2\nname: app\nversion: 0.1.0\n' >"$WORK/charts/app/Chart.yaml"
HELM_RECIPE="cdhost.kube.apply(cdhost.manifest.load { 'k8s/ok.yaml', vars = { NS = 'a' } })
cdhost.kube.apply(cdhost.helm.template { chart = 'charts/app', values = { a = 1 } })"
t "helm not installed"
r=$(recipe helm.lua <<<"$HELM_RECIPE")
run env PATH=/nonexistent "$CDHOST" --dry-run "$r"
expect_rc 1; expect_empty_out; expect_err "helm.template: cannot run 'helm'"

t "helm fails: exit code and stderr honoured, values file private and removed"
cat >"$WORK/bin/helm" <<'EOF'
#!/bin/sh
# a stand-in: records its argv and the values file, then fails like helm
printf '%s\n' "$@" >"$CDHOST_TEST_DIR/argv"
while [ $# -gt 0 ]; do [ "$1" = --values ] && { stat -c %a "$2" >"$CDHOST_TEST_DIR/mode"; cat "$2" >"$CDHOST_TEST_DIR/values"; echo "$2" >"$CDHOST_TEST_DIR/path"; }; shift; done
echo 'apiVersion: v1' ; echo 'Error: template: app/templates/x.yaml:3: function "nope" not defined' >&2
exit 1
EOF
chmod +x "$WORK/bin/helm"
run env CDHOST_TEST_DIR="$WORK" XDG_CACHE_HOME="$WORK/cache" PATH="$WORK/bin:$PATH" "$CDHOST" --dry-run "$r"
expect_rc 1; expect_empty_out
expect_err 'helm.template: helm failed (exit 1): Error: template: app/templates/x.yaml:3: function "nope" not defined'
[ "$(cat "$WORK/mode")" = 600 ] && ok || bad "values file mode $(cat "$WORK/mode")"
grep -qx 'a: 1' "$WORK/values" && ok || bad "values file content"
case $(cat "$WORK/path") in "$WORK/cache/cdhost/"*) ok ;; *) bad "values file not under XDG_CACHE_HOME";; esac
[ ! -e "$(cat "$WORK/path")" ] && ok || bad "values file left behind"
[ "$(head -3 "$WORK/argv" | tr '\n' ' ')" = "template app $WORK/charts/app " ] && ok || bad "argv: $(tr '\n' ' ' <"$WORK/argv")"
grep -qx -- '--kube-version' "$WORK/argv" && ok || bad "no --kube-version"

t "kustomize: neither kustomize nor kubectl"
r=$(recipe kz.lua <<<"cdhost.kube.apply(cdhost.kustomize.build 'k8s')")
run env PATH=/nonexistent "$CDHOST" --dry-run "$r"
expect_rc 1; expect_empty_out; expect_err "kustomize.build: neither kustomize nor kubectl is on PATH"

finish
