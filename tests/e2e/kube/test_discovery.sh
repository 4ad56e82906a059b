#!/usr/bin/env bash
# Discovery in the manifest module, on the real control plane (v1.20):
# manifest.namespace asks the cluster about kinds it does not know (CRDs
# installed in the cluster, not in the set: one namespaced, one
# cluster-scoped), and is a clear error naming the object's file offline or
# without network; helm.template renders for the cluster's version and API
# versions (.Capabilities), and for the documented v1.35.0 offline.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
HELM=$CDHOST_TEST_HELM
[ -x "$HELM" ] || { echo "FAIL: helm not in the testenv cache" >&2; exit 1; }
export PATH="$(dirname "$HELM"):$PATH"
has_line() { grep -qxF -- "$1" "$WORK/.out" && ok || bad "stdout lacks the line '$1'"; }
no_line() { grep -qxF -- "$1" "$WORK/.out" && bad "stdout has the line '$1'" || ok; }
G=d$$.e2e.cdhost.dev
drop_crds() {
	"$KUBECTL" delete crd "things.$G" "realms.$G" --wait=false >/dev/null 2>&1
	cleanup
}
trap drop_crds EXIT

crd() { # crd PLURAL KIND SCOPE
	cat <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: $1.$G}
spec:
  group: $G
  scope: $3
  names: {plural: $1, singular: ${1%s}, kind: $2, listKind: ${2}List}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
YAML
}

t "CRDs installed in the cluster (not in the set)"
{ crd things Thing Namespaced; crd realms Realm Cluster; } >"$WORK/crds.yaml"
run kc apply -f "$WORK/crds.yaml"
expect_rc 0
run kc wait --for condition=established --timeout=60s "crd/things.$G" "crd/realms.$G"
expect_rc 0

cat >"$WORK/custom.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: plain}
---
apiVersion: $G/v1
kind: Thing
metadata: {name: t1}
spec: {size: 1}
---
apiVersion: $G/v1
kind: Realm
metadata: {name: r-$NS}
spec: {size: 2}
YAML
cat >"$WORK/ns.lua" <<'EOF'
local objs = cdhost.manifest.load "custom.yaml"
cdhost.manifest.namespace(objs, cdhost.args.ns)
for _, o in ipairs(objs) do cdhost.log.info("scope " .. o.kind .. " " .. (o.metadata.namespace or "-")) end
local res = cdhost.kube.apply(objs)
for _, r in ipairs(res or {}) do print("result " .. r.kind .. " " .. r.name .. " " .. r.action) end
EOF

t "namespace online: discovery decides (namespaced and cluster-scoped CRDs)"
run cdh --dry-run ns.lua
expect_rc 0
expect_err "scope ConfigMap $NS"
expect_err "scope Thing $NS"
expect_err "scope Realm -"
has_line "  namespace: $NS"
expect_out "kind: Realm"

t "namespace online: applied where discovery said"
run cdh run ns.lua
expect_rc 0
expect_err "result Thing t1 created"
expect_err "result Realm r-$NS created"
run kc get thing.$G t1 -n "$NS" -o jsonpath='{.metadata.namespace}'
expect_out "$NS"
run kc get realm.$G "r-$NS" -o jsonpath='{.metadata.name}'
expect_out "r-$NS"
kc delete realm.$G "r-$NS" --wait=false >/dev/null 2>&1

t "namespace offline: an unknown kind is an error naming the object and its file"
run cdh --dry-run --offline ns.lua
expect_rc 1
[ ! -s "$WORK/.out" ] && ok || bad "stdout is not empty"
expect_err "manifest.namespace: unknown kind Thing (apiVersion $G/v1) at custom.yaml:5 (document 2)"
expect_err "cdhost cannot ask the cluster (--offline)"

t "namespace without network: the same error, with the reason"
# A fresh cache: what an earlier run discovered (on disk, see
# docs/internals/kube.md) would still answer without network.
if ! unshare -n true 2>/dev/null; then
	RC=-; bad "unshare -n does not work here (needs root and util-linux)"
else
	run unshare -n env XDG_CACHE_HOME="$WORK/.nocache" bash -c \
		'cd "$1" && "$2" --max-instructions 0 --dry-run ns.lua --set ns="$3"' _ "$WORK" "$CDHOST" "$NS"
	expect_rc 1
	[ ! -s "$WORK/.out" ] && ok || bad "stdout is not empty"
	expect_err "unknown kind Thing (apiVersion $G/v1) at custom.yaml:5 (document 2)"
	expect_err "discovery could not say: "
	run unshare -n bash -c \
		'cd "$1" && "$2" --max-instructions 0 --dry-run ns.lua --set ns="$3"' _ "$WORK" "$CDHOST" "$NS"
	expect_rc 0
	expect_err "scope Thing $NS"
fi

t "namespace: a kind the cluster does not have"
sed "s/kind: Thing/kind: Nothing/" "$WORK/custom.yaml" >"$WORK/custom2.yaml"
sed 's/custom.yaml/custom2.yaml/' "$WORK/ns.lua" >"$WORK/ns2.lua"
run cdh --dry-run ns2.lua
expect_rc 1
expect_err "unknown kind Nothing (apiVersion $G/v1) at custom2.yaml:5 (document 2)"
expect_err "the server has no kind Nothing in $G/v1"

# A chart that renders for the cluster it lands on.
mkdir -p "$WORK/charts/caps/templates"
printf 'apiVersion: v2\nname: caps\nversion: 0.1.0\n' >"$WORK/charts/caps/Chart.yaml"
cat >"$WORK/charts/caps/templates/caps.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: caps
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  thing: {{ .Capabilities.APIVersions.Has "$G/v1/Thing" | quote }}
  cronjob-v1beta1: {{ .Capabilities.APIVersions.Has "batch/v1beta1/CronJob" | quote }}
EOF
cat >"$WORK/charts/caps/templates/cron.yaml" <<'EOF'
apiVersion: {{ if semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version }}batch/v1{{ else }}batch/v1beta1{{ end }}
kind: CronJob
metadata:
  name: tick
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: tick
            image: busybox
EOF
cat >"$WORK/charts/caps/templates/bad.yaml" <<'EOF'
{{- if .Values.bad }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: Not_A_Valid_Name
{{- end }}
EOF
cat >"$WORK/helm.lua" <<'EOF'
local objs = cdhost.helm.template { chart = "charts/caps", release = "r", namespace = cdhost.args.ns,
                                    values = { bad = cdhost.args.bad == "1" } }
local res = cdhost.kube.apply(objs, { namespace = cdhost.args.ns })
for _, r in ipairs(res or {}) do print("result " .. r.kind .. " " .. r.name .. " " .. r.action) end
EOF

t "helm.template online: the cluster's version and API versions"
run cdh --dry-run helm.lua
expect_rc 0
case $CDHOST_TEST_KUBE_VERSION in v1.20.*) ok ;; *) bad "the test cluster is $CDHOST_TEST_KUBE_VERSION, not v1.20" ;; esac
expect_out "kube: $CDHOST_TEST_KUBE_VERSION"
expect_out 'thing: "true"'
expect_out 'cronjob-v1beta1: "true"'
has_line "apiVersion: batch/v1beta1"
no_line "apiVersion: batch/v1"
expect_no_err "cannot ask the cluster"

t "helm.template online: the rendering applies to that cluster"
run cdh run helm.lua
expect_rc 0
expect_err "result CronJob tick created"
run kc get cronjobs.v1beta1.batch tick -n "$NS" -o jsonpath='{.spec.schedule}'
expect_out "*/5 * * * *"

t "helm.template: a server error names the template"
run cdh run helm.lua --set bad=1
expect_rc 1
expect_err "caps/templates/bad.yaml (helm release r)"
expect_err "Not_A_Valid_Name"

t "helm.template offline: the documented default v1.35.0"
run cdh --offline --dry-run helm.lua
expect_rc 0
expect_out 'kube: v1.35.0'
expect_out 'thing: "false"'
has_line "apiVersion: batch/v1"
no_line "apiVersion: batch/v1beta1"

finish
