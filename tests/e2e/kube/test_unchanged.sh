#!/usr/bin/env bash
# kube.apply sends nothing for an object that is unchanged since cdhost
# applied it (its apply-hash annotation matches and nobody else wrote it
# afterwards, status writes aside); any drift — another writer, a changed
# manifest — means a real PATCH again. Secrets are never hashed and always
# sent. The annotation stays out of diffs.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
patches() { grep -c "PATCH .*/$1?fieldManager" "$WORK/.err"; }
# mixed.yaml with a CRD of its own: test_apply, which may run at the same
# time on the same cluster, applies and deletes gadgets.e2e.cdhost.dev
sed -i 's/e2e\.cdhost\.dev/unchanged.e2e.cdhost.dev/' "$WORK/mixed.yaml"
trap 'kc delete crd gadgets.unchanged.e2e.cdhost.dev --wait=false >/dev/null 2>&1; cleanup' EXIT

t "first apply: the hash annotation is set (not on Secrets)"
run cdh -v run apply.lua --set files=mixed.yaml
expect_rc 0
h=$(kc get cm settings -n "$NS" -o jsonpath='{.metadata.annotations.cdhost\.dev/apply-hash}')
[[ $h == sha256:* ]] && ok || bad "no apply-hash annotation: '$h'"
expect_eq "$(kc get secret creds -n "$NS" -o jsonpath='{.metadata.annotations}')" ""

t "unchanged re-apply: no PATCH for the ConfigMaps, the Secret is still sent"
sleep 1.1   # managedFields times have one-second resolution
run cdh -v run apply.lua --set files=mixed.yaml
expect_rc 0
expect_eq "$(patches configmaps/settings)" 0
expect_eq "$(patches configmaps/other)" 0
expect_eq "$(patches secrets/creds)" 1
expect_err "result ConfigMap settings unchanged changed=false"
expect_err "0 changed"

t "the annotation stays out of diffs"
run cdh diff apply.lua --set files=mixed.yaml --set v=2
expect_rc 1
expect_out "level"
expect_no_out "apply-hash"

t "a write by someone else means a real apply (which takes the field back with force)"
kc patch cm settings -n "$NS" --type merge -p '{"data":{"level":"drifted"}}' >/dev/null
run cdh -v run apply.lua --set files=mixed.yaml --set force=1
expect_rc 0
expect_eq "$(patches configmaps/settings)" 1
expect_eq "$(patches configmaps/other)" 0
expect_eq "$(kc get cm settings -n "$NS" -o jsonpath='{.data.level}')" 1

t "a changed manifest is applied"
sleep 1.1
run cdh -v run apply.lua --set files=mixed.yaml --set v=2
expect_rc 0
expect_eq "$(patches configmaps/settings)" 1
expect_err "result ConfigMap settings configured changed=true"
expect_eq "$(kc get cm settings -n "$NS" -o jsonpath='{.data.level}')" 2
finish
