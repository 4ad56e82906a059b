#!/usr/bin/env bash
# End to end: cdhost's manifest transforms and helm.template against the real
# reference tools (kubectl 1.35 with its built-in kustomize, helm 4), which
# `tests/e2e/env/testenv tools` installs into the cache (docs/testenv.md).
# A missing tool FAILS this test; it never skips.
#   test_manifest_tools.sh path/to/cdhost        (CDHOST_SRC = source tree)
CDHOST=$1
. "${CDHOST_SRC:?}/tests/cli/lib.sh"
TESTENV=$CDHOST_SRC/tests/e2e/env/testenv

t "reference tools are installed"
if ! bash "$TESTENV" tools >"$WORK/.tools" 2>&1; then
	RC=-; bad "testenv tools failed: $(tail -5 "$WORK/.tools")"; finish; exit 1
fi
paths=$(bash "$TESTENV" paths)
KUBECTL=$(sed -n 's/^kubectl=\([^ ]*\).*/\1/p' <<<"$paths")
HELM=$(sed -n 's/^helm=\([^ ]*\).*/\1/p' <<<"$paths")
if [ ! -x "$KUBECTL" ] || [ ! -x "$HELM" ]; then
	RC=-; bad "kubectl ($KUBECTL) or helm ($HELM) missing after testenv tools"; finish; exit 1
fi
ok
TOOLS="$(dirname "$HELM"):$(dirname "$KUBECTL")"
# No cluster here (tests/e2e/kube/test_discovery.sh has one): helm.template
# renders for the documented default, whatever this machine's kubeconfig.
export KUBECONFIG=$WORK/no-kubeconfig
M=$WORK/m
cp -r "$CDHOST_SRC/tests/fixtures/manifests" "$M"

t "transforms == kubectl kustomize (images, labels, annotations, namespace, patch, RoleBinding subjects)"
run env PATH="$TOOLS:$PATH" "$CDHOST" --max-instructions 0 run "$M/compare_kustomize.lua"
expect_rc 0; expect_err "2 passed, 0 failed"

t "helm.template{images=} == helm template --set"
D=sha256:$(printf 'c%.0s' $(seq 64))
R=reg.local:5000/shop/app
"$HELM" template rel "$M/charts/app" --namespace shop --kube-version v1.35.0 \
	--set replicas=2 --set image.repository=$R --set "image.tag=v2@$D" \
	--set IMAGE_REPO_image=$R --set IMAGE_TAG_image=v2 --set "IMAGE_DIGEST_image=$D" \
	--set "IMAGE_FULLY_QUALIFIED_image=$R:v2@$D" >"$M/helm-set.yaml" 2>"$WORK/.helm" \
	&& ok || bad "helm template: $(cat "$WORK/.helm")"
run env PATH="$TOOLS:$PATH" "$CDHOST" --max-instructions 0 run "$M/compare_helm.lua"
expect_rc 0; expect_err "3 passed, 0 failed"
expect_err "warning: helm.template: rendering for Kubernetes v1.35.0: cannot ask the cluster (no kubeconfig"
run env PATH="$TOOLS:$PATH" "$CDHOST" --max-instructions 0 --offline run "$M/compare_helm.lua"
expect_rc 0; expect_err "3 passed, 0 failed"; expect_no_err "warning"

t "a failing chart ends the run: exit 1, helm's stderr, nothing rendered"
cat >"$M/fail.lua" <<'EOF'
cdhost.kube.apply(cdhost.manifest.load "base/app.yaml")
cdhost.kube.apply(cdhost.helm.template { chart = "charts/app", values = { broken = true } })
EOF
run env PATH="$TOOLS:$PATH" "$CDHOST" --dry-run "$M/fail.lua"
expect_rc 1; expect_empty_out
expect_err "helm.template: helm failed (exit 1): Error: "
expect_err "the chart was asked to fail (broken=true)"

t "helm and kustomize output renders in apply order"
cat >"$M/both.lua" <<'EOF'
local objs = cdhost.helm.template { chart = "charts/app", release = "r", namespace = "shop" }
  + cdhost.kustomize.build "overlay"
cdhost.kube.apply(objs)
EOF
run env PATH="$TOOLS:$PATH" "$CDHOST" --dry-run "$M/both.lua"
expect_rc 0
kinds=$(grep '^kind:' "$WORK/.out" | uniq | tr '\n' ' ')
[ "$kinds" = "kind: ConfigMap kind: ClusterRole kind: Service kind: Deployment kind: CronJob " ] \
	&& ok || bad "order: $kinds"
expect_err "plan: apply 8 object(s):"

t "objects from helm.template keep their template as source"
mkdir -p "$M/charts/srcs/templates"
printf 'apiVersion: v2\nname: srcs\nversion: 0.1.0\n' >"$M/charts/srcs/Chart.yaml"
cat >"$M/charts/srcs/templates/settings.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
EOF
cat >"$M/charts/srcs/templates/copy.yaml" <<'EOF'
{{- if .Values.dup }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
{{- end }}
EOF
cat >"$M/srcs.lua" <<'EOF'
local objs = cdhost.helm.template { chart = "charts/srcs", release = "r",
                                    values = { dup = cdhost.args.dup == "1" } }
if cdhost.args.ns then cdhost.manifest.namespace(objs, "shop") end
cdhost.kube.apply(objs)
EOF
run env PATH="$TOOLS:$PATH" "$CDHOST" --dry-run "$M/srcs.lua" --set dup=1
expect_rc 1; expect_empty_out
expect_err "duplicate object ConfigMap settings: srcs/templates/copy.yaml (helm release r) and srcs/templates/settings.yaml (helm release r)"
run env PATH="$TOOLS:$PATH" "$CDHOST" --dry-run --offline "$M/srcs.lua" --set ns=1
expect_rc 1; expect_empty_out
expect_err "unknown kind Widget (apiVersion example.com/v1) at srcs/templates/settings.yaml (helm release r): not a built-in kind"
run env PATH="$TOOLS:$PATH" "$CDHOST" --dry-run "$M/srcs.lua"
expect_rc 0; expect_out "kind: Widget"; expect_out "name: settings"

finish
