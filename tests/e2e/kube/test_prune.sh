#!/usr/bin/env bash
# ApplySet prune as kubectl does it (parent Secret, labels, annotations, id
# equal to what kubectl 1.35 computes), a failed apply pruning nothing, the
# Lease that serializes deploys of one set, `cdhost diff` (exit codes,
# Secret masking, prune deletions) and `cdhost delete`.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
members() {
	kc get cm,secret -n "$NS" -l "applyset.kubernetes.io/part-of=$1" -o name | sort | tr '\n' ' '
}

t "id equals kubectl's"
cat >"$WORK/kx.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata: {name: kx, namespace: $NS}
data: {v: "1"}
YAML
run env KUBECTL_APPLYSET=true "$KUBECTL" apply -n "$NS" --server-side --prune --applyset=secret/kset -f "$WORK/kx.yaml"
expect_rc 0
kid=$(kc get secret kset -n "$NS" -o jsonpath='{.metadata.labels.applyset\.kubernetes\.io/id}')
kgks=$(kc get secret kset -n "$NS" -o jsonpath='{.metadata.annotations.applyset\.kubernetes\.io/contains-group-kinds}')
kc delete secret kset -n "$NS" >/dev/null
kc delete cm kx -n "$NS" >/dev/null
run cdh run apply.lua --set files=kx.yaml --set set=kset
expect_rc 0
cid=$(kc get secret kset -n "$NS" -o jsonpath='{.metadata.labels.applyset\.kubernetes\.io/id}')
cgks=$(kc get secret kset -n "$NS" -o jsonpath='{.metadata.annotations.applyset\.kubernetes\.io/contains-group-kinds}')
expect_eq "$cid" "$kid"
expect_eq "$cgks" "$kgks"
expect_eq "$(members "$cid")" "configmap/kx "

t "apply a set"
run cdh run apply.lua --set files=set-a.yaml --set set=shop
expect_rc 0
id=$(kc get secret shop -n "$NS" -o jsonpath='{.metadata.labels.applyset\.kubernetes\.io/id}')
expect_eq "$(members "$id")" "configmap/a configmap/b secret/s "
expect_eq "$(kc get secret shop -n "$NS" -o jsonpath='{.metadata.annotations.applyset\.kubernetes\.io/tooling}')" \
	"cdhost/$("$CDHOST" version | head -1 | cut -d' ' -f2)"
expect_eq "$(kc get secret shop -n "$NS" -o jsonpath='{.metadata.annotations.applyset\.kubernetes\.io/contains-group-kinds}')" \
	"ConfigMap,Secret"

t "diff without changes"
run cdh diff apply.lua --set files=set-a.yaml --set set=shop
expect_rc 0
[ ! -s "$WORK/.out" ] && ok || bad "stdout not empty"
expect_err "finished in "; expect_err ": no differences found"

t "diff with changes, Secrets masked"
run cdh diff apply.lua --set files=set-b.yaml --set set=shop
expect_rc 1
expect_out "--- live/v1.Secret.$NS.s"
expect_out '-  password: "*** (before)"'
expect_out '+  password: "*** (after)"'
expect_no_out "c2VjcmV0"
expect_out "--- live/v1.ConfigMap.$NS.b"
expect_out "-  name: b"
expect_err ": 2 object(s) differ"
run cdh --show-secrets diff apply.lua --set files=set-b.yaml --set set=shop
expect_rc 1
expect_out "+  password: c2VjcmV0LXR3bw=="
expect_eq "$(members "$id")" "configmap/a configmap/b secret/s "

t "diff error is exit 2"
run cdh --kube-context nope diff apply.lua --set files=set-b.yaml --set set=shop
expect_rc 2
expect_err "context 'nope' not found"

t "prune"
run cdh run apply.lua --set files=set-b.yaml --set set=shop
expect_rc 0
expect_err "result ConfigMap b pruned"
expect_eq "$(members "$id")" "configmap/a secret/s "
run kc get cm b -n "$NS"
expect_rc 1

t "a failed apply prunes nothing"
run cdh run apply.lua --set files=set-bad.yaml --set set=shop
expect_rc 1
expect_err "apply Service $NS/broken (set-bad.yaml:"
expect_eq "$(members "$id")" "configmap/a configmap/c secret/s "

t "a held lock makes a second deploy wait, then fail clearly"
now=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
cat >"$WORK/lease.yaml" <<YAML
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: shop-cdhost-lock, namespace: $NS}
spec: {holderIdentity: other-deploy, leaseDurationSeconds: 120, acquireTime: "$now", renewTime: "$now"}
YAML
kc apply -f "$WORK/lease.yaml" >/dev/null
run cdh run apply.lua --set files=set-b.yaml --set set=shop --set lock_wait=1
expect_rc 1
expect_err "apply set 'shop' in namespace $NS is being deployed by other-deploy"
expect_err "[conflict]"
kc delete lease shop-cdhost-lock -n "$NS" >/dev/null

t "two deploys of one set at once"
(cdh run apply.lua --set files=set-b.yaml --set set=shop >"$WORK/p1.out" 2>&1; echo $? >"$WORK/p1.rc") &
(cdh run apply.lua --set files=set-b.yaml --set set=shop >"$WORK/p2.out" 2>&1; echo $? >"$WORK/p2.rc") &
wait
expect_eq "$(cat "$WORK/p1.rc") $(cat "$WORK/p2.rc")" "0 0"
expect_eq "$(members "$id")" "configmap/a secret/s "
run kc get lease shop-cdhost-lock -n "$NS"
expect_rc 1

t "delete the set"
run cdh delete apply.lua --set files=set-b.yaml --set set=shop
expect_rc 0
expect_err "2 object(s) deleted"
expect_eq "$(members "$id")" ""
run kc get secret shop -n "$NS"
expect_rc 1

finish
