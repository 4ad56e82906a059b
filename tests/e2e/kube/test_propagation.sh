#!/usr/bin/env bash
# --propagation (and the propagation option) reach the API server as the
# DeleteOptions propagationPolicy of `cdhost delete`, prune and kube.delete:
# Foreground leaves the owner behind with the foregroundDeletion finalizer
# while a dependent holds on, Background removes it at once, Orphan keeps a
# Deployment's ReplicaSet. A bad --propagation is a usage error (exit 2), a
# bad recipe option invalid (exit 1).
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"

cat >"$WORK/owner.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: owner}
data: {v: "1"}
YAML
cat >"$WORK/deploy.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: keep}
spec:
  replicas: 0
  selector: {matchLabels: {app: keep}}
  template:
    metadata: {labels: {app: keep}}
    spec: {containers: [{name: c, image: registry.invalid/keep:1}]}
YAML
cat >"$WORK/kdelete.lua" <<'EOF2'
local ok = cdhost.kube.delete({ apiVersion = "v1", kind = "ConfigMap",
  name = "owner", namespace = cdhost.args.ns }, { propagation = cdhost.args.p })
print("deleted " .. tostring(ok))
EOF2

# owner: apply the set with ConfigMap owner, then a dependent ConfigMap dep
# that blocks its owner's deletion and holds on with a finalizer of its own
owner() {
	run cdh run apply.lua --set files=owner.yaml --set set=prop
	expect_rc 0
	uid=$(kc get cm owner -n "$NS" -o jsonpath='{.metadata.uid}')
	cat >"$WORK/dep.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: dep
  namespace: $NS
  finalizers: [e2e.cdhost.dev/hold]
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: "$uid", blockOwnerDeletion: true}]
YAML
	kc apply -f "$WORK/dep.yaml" >/dev/null
}
# release: let dep go, wait until owner and dep are gone
release() {
	kc patch cm dep -n "$NS" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
	for _ in $(seq 100); do
		[ -z "$(kc get cm owner dep -n "$NS" -o name --ignore-not-found)" ] && break
		sleep 0.2
	done
	expect_eq "$(kc get cm owner dep -n "$NS" -o name --ignore-not-found)" ""
}

t "delete --propagation foreground"
owner
run cdh --propagation foreground delete apply.lua --set files=owner.yaml --set set=prop
expect_rc 0
expect_err "1 object(s) deleted"
expect_eq "$(kc get cm owner -n "$NS" -o jsonpath='{.metadata.finalizers}')" '["foregroundDeletion"]'
[ -n "$(kc get cm owner -n "$NS" -o jsonpath='{.metadata.deletionTimestamp}')" ] && ok || bad "owner has no deletionTimestamp"
release

t "delete without the flag: Background, the owner goes at once"
owner
run cdh delete apply.lua --set files=owner.yaml --set set=prop
expect_rc 0
run kc get cm owner -n "$NS"
expect_rc 1
release

t "the recipe's option, in any case; the flag wins over it"
owner
run cdh delete apply.lua --set files=owner.yaml --set set=prop --set propagation=FOREGROUND
expect_rc 0
expect_eq "$(kc get cm owner -n "$NS" -o jsonpath='{.metadata.finalizers}')" '["foregroundDeletion"]'
release
owner
run cdh --propagation background delete apply.lua --set files=owner.yaml --set set=prop --set propagation=Foreground
expect_rc 0
run kc get cm owner -n "$NS"
expect_rc 1
release

t "kube.delete with --propagation foreground"
owner
run cdh --propagation foreground run kdelete.lua
expect_rc 0
expect_err "deleted true"
expect_eq "$(kc get cm owner -n "$NS" -o jsonpath='{.metadata.finalizers}')" '["foregroundDeletion"]'
release
kc delete secret prop -n "$NS" >/dev/null

t "prune --propagation orphan keeps the Deployment's ReplicaSet"
run cdh run apply.lua --set files=deploy.yaml --set set=app
expect_rc 0
for _ in $(seq 100); do
	rs=$(kc get rs -n "$NS" -l app=keep -o name)
	[ -n "$rs" ] && break
	sleep 0.2
done
[ -n "$rs" ] && ok || bad "the Deployment has no ReplicaSet"
run cdh --propagation orphan run apply.lua --set files=owner.yaml --set set=app
expect_rc 0
expect_err "result Deployment keep pruned"
for _ in $(seq 100); do
	[ -z "$(kc get deploy keep -n "$NS" -o name --ignore-not-found)" ] && break
	sleep 0.2
done
expect_eq "$(kc get deploy keep -n "$NS" -o name --ignore-not-found)" ""
expect_eq "$(kc get rs -n "$NS" -l app=keep -o name)" "$rs"
expect_eq "$(kc get "$rs" -n "$NS" -o jsonpath='{.metadata.ownerReferences}')" ""

t "bad values: the flag's are usage errors, the recipe's invalid"
run cdh --propagation sideways delete apply.lua --set files=owner.yaml --set set=app
expect_rc 2
expect_err "cdhost: --propagation must be background, foreground or orphan, not 'sideways'"
run cdh delete apply.lua --set files=owner.yaml --set set=app --set propagation=sideways
expect_rc 1
expect_err "kube.apply: propagation must be Background, Foreground or Orphan, not 'sideways' [invalid]"
run cdh run kdelete.lua --set p=sideways
expect_rc 1
expect_err "kube.delete: propagation must be Background, Foreground or Orphan, not 'sideways' [invalid]"
expect_eq "$(kc get cm owner -n "$NS" -o name)" "configmap/owner"

finish
