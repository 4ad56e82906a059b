#!/usr/bin/env bash
# Server-side apply on the real control plane: a mixed set in SPEC order,
# CRD before its CR, idempotent re-apply, conflicts with another field
# manager (kubectl), force, take-over of a kubectl client-side-applied
# object, the server's 422 with the source file, an unknown kind.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"

t "mixed set"
run cdh run apply.lua
expect_rc 0
for k in "Namespace $NS-b created" "CustomResourceDefinition gadgets.e2e.cdhost.dev created" \
	"Gadget g1 created" "ServiceAccount runner created" "Role reader created" \
	"RoleBinding runner-reads created" "ConfigMap settings created" "Secret creds created" \
	"Service web created" "Deployment web created changed=true gen=1"; do
	expect_err "result $k"
done
# SPEC order: Namespace, CRD, ..., Secret, ConfigMap, ..., Service, Deployment, CRs last
order=$(grep '^result\|result ' "$WORK/.err" | awk '{print $2}' | tr '\n' ' ')
expect_eq "$order" "Namespace CustomResourceDefinition ServiceAccount Secret ConfigMap ConfigMap Role RoleBinding Service Deployment Gadget "
run kc get gadget g1 -n "$NS" -o jsonpath='{.spec.size}'
expect_out 3
run kc get cm settings -n "$NS" -o jsonpath='{.metadata.managedFields[0].manager}'
expect_out cdhost

t "idempotent re-apply"
# v1.20's ServiceAccount token and namespace controllers rewrite those
# objects once after creation (managedFields reset to before-first-apply),
# so the first re-apply takes them back; from then on nothing changes.
run cdh run apply.lua
expect_rc 0
run cdh run apply.lua
expect_rc 0
expect_no_err "changed=true"
expect_err "result Deployment web unchanged changed=false gen=1"
expect_err "11 object(s) applied, 0 changed"

t "change one value"
run cdh run apply.lua --set v=2
expect_rc 0
expect_err "result ConfigMap settings configured changed=true"
expect_err "11 object(s) applied, 1 changed"

t "conflict with another field manager"
run kc patch cm settings -n "$NS" --type merge -p '{"data":{"level":"from-kubectl"}}' --field-manager kubectl-edit
run cdh run apply.lua --set v=3
expect_rc 1
expect_err "conflict with another field manager: .data.level"
expect_err 'kubectl-edit'
expect_err "set force = true"
expect_err "mixed.yaml"
run kc get cm settings -n "$NS" -o jsonpath='{.data.level}'
expect_out from-kubectl
run cdh run apply.lua --set v=3 --set force=1
expect_rc 0
run kc get cm settings -n "$NS" -o jsonpath='{.data.level}'
expect_out 3

t "take over a kubectl client-side-applied object"
cat >"$WORK/csa.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: legacy
  namespace: $NS
data:
  keep: "1"
  drop: "gone soon"
YAML
run kc apply -f "$WORK/csa.yaml"
expect_rc 0
cat >"$WORK/legacy.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: legacy
data:
  keep: "2"
YAML
run cdh run apply.lua --set files=legacy.yaml
expect_rc 0
expect_err "result ConfigMap legacy configured changed=true"
run kc get cm legacy -n "$NS" -o json
expect_out '"keep": "2"'
expect_no_out '"drop"'
expect_no_out 'last-applied-configuration'
expect_no_out 'kubectl-client-side-apply'

t "422 invalid object names its file"
cat >"$WORK/bad.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  replicas: -1
  selector: {matchLabels: {app: b}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: x}]}
YAML
run cdh run apply.lua --set files=bad.yaml
expect_rc 1
expect_err "apply Deployment $NS/broken (bad.yaml:1)"
expect_err "spec.replicas: Invalid value: -1"
expect_err "(HTTP 422) [invalid]"

t "unknown kind without a CRD"
cat >"$WORK/unknown.yaml" <<'YAML'
apiVersion: nowhere.cdhost.dev/v1
kind: Phantom
metadata:
  name: p
YAML
run cdh run apply.lua --set files=unknown.yaml
expect_rc 1
expect_err "the server has no kind Phantom in nowhere.cdhost.dev/v1 (is its CustomResourceDefinition installed?)"
expect_err "[not_found]"

kc delete crd gadgets.e2e.cdhost.dev --wait=false >/dev/null 2>&1
finish
