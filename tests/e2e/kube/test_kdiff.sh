#!/usr/bin/env bash
# cdhost.kube.diff from a recipe: create/configure/unchanged/delete entries
# with their unified diffs, Secret values masked unless --show-secrets,
# nothing changed in the cluster, every mode that allows reads (render mode
# without a cluster: a plan warning and nil), a bad object named with its
# file, and the recipe-level argument errors.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"

t "create: nothing applied yet"
run cdh run kdiff.lua --set files=set-a.yaml --set set=shop
expect_rc 0
expect_err "changed=true entries=3 mode=run"
expect_err "entry ConfigMap a create changed=true"
expect_err "entry Secret s create changed=true"
expect_err "| --- live/v1.ConfigMap.$NS.a"
expect_err "| +++ merged/v1.ConfigMap.$NS.a"
expect_err "| +  name: a"
expect_err '| +  password: "***"' 
expect_no_err "c2VjcmV0"
expect_err "kube.diff: 3 object(s) compared, 3 differ"
[ ! -s "$WORK/.out" ] && ok || bad "stdout not empty"
run kc get cm a -n "$NS"
expect_rc 1
run kc get secret shop -n "$NS"
expect_rc 1

t "unchanged after the apply"
run cdh run apply.lua --set files=set-a.yaml --set set=shop
expect_rc 0
run cdh run kdiff.lua --set files=set-a.yaml --set set=shop
expect_rc 0
expect_err "changed=false entries=3 mode=run"
expect_err "entry ConfigMap a unchanged changed=false"
expect_err "entry ConfigMap b unchanged changed=false"
expect_err "entry Secret s unchanged changed=false"
expect_no_err "| "

t "update and prune deletion, Secrets masked"
rv=$(kc get secret s -n "$NS" -o jsonpath='{.metadata.resourceVersion}')
run cdh run kdiff.lua --set files=set-b.yaml --set set=shop
expect_rc 0
expect_err "changed=true entries=3 mode=run"
expect_err "entry ConfigMap a unchanged changed=false"
expect_err "entry Secret s configure changed=true"
expect_err '| -  password: "*** (before)"'
expect_err '| +  password: "*** (after)"'
expect_err "entry ConfigMap b delete changed=true"
expect_err "| -  name: b"
expect_no_err "c2VjcmV0"
expect_eq "$(kc get secret s -n "$NS" -o jsonpath='{.metadata.resourceVersion}')" "$rv"
run kc get cm b -n "$NS"
expect_rc 0

t "--show-secrets prints the values"
run cdh --show-secrets run kdiff.lua --set files=set-b.yaml --set set=shop
expect_rc 0
expect_err "| -  password: c2VjcmV0LW9uZQ=="
expect_err "| +  password: c2VjcmV0LXR3bw=="

t "every mode that reads: render, build, diff, delete"
for mode in --dry-run build diff delete; do
	run cdh $mode kdiff.lua --set files=set-b.yaml --set set=shop
	expect_rc 0
	expect_err "entry Secret s configure changed=true"
	[ ! -s "$WORK/.out" ] && ok || bad "$mode: stdout not empty"
done
expect_eq "$(kc get cm b -n "$NS" -o name)" "configmap/b"

t "render mode without a cluster: a plan warning and nil"
run cdh check kdiff.lua --set files=set-b.yaml --set set=shop
expect_rc 0
expect_err "no diff: "
expect_err "warning: kube.diff: diff unknown: no cluster to compare with (GET https://"
run env -u KUBECONFIG HOME="$WORK/nohome" "$CDHOST" --dry-run "$WORK/kdiff.lua" --set ns="$NS"
expect_rc 0
expect_err "no diff: no kubeconfig"
expect_err "warning: kube.diff: diff unknown: no cluster to compare with (no kubeconfig"
cat >"$WORK/down.kubeconfig" <<YAML
apiVersion: v1
kind: Config
current-context: t
clusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]
contexts: [{name: t, context: {cluster: c, user: u}}]
users: [{name: u, user: {token: x}}]
YAML
run cdh --kubeconfig "$WORK/down.kubeconfig" --dry-run kdiff.lua
expect_rc 0
expect_err "no diff: "
expect_err "127.0.0.1:9"

t "run mode without a cluster is an error"
run cdh --kubeconfig "$WORK/down.kubeconfig" run kdiff.lua
expect_rc 1
expect_err "kube.diff: "
expect_err "[unreachable]"

t "a bad object: the server's message, the object and its file"
run cdh run kdiff.lua --set files=set-bad.yaml
expect_rc 1
expect_err "kube.diff: apply Service $NS/broken (set-bad.yaml:"
expect_err "spec.type: Unsupported value: \"NoSuchType\""
expect_err "[invalid]"
run cdh --dry-run kdiff.lua --set files=set-bad.yaml
expect_rc 1
expect_err "[invalid]"
run kc get cm c -n "$NS"
expect_rc 1

t "argument errors"
run cdh run kdiff_args.lua
expect_rc 0
expect_err "E noargs lua "
expect_err "bad argument #1 to 'diff' (table expected, got no value)"
expect_err "bad argument #1 to 'diff' (table expected, got string)"
expect_err "bad argument #2 to 'diff' (table expected, got string)"
expect_err "E notable invalid object 1 is a string, not a table"
expect_err "E noname invalid object 1: needs apiVersion, kind and metadata.name"
expect_err "E applyset invalid option 'applyset' must be a string"
expect_err "E prune invalid prune = true needs an apply set name (applyset = \"...\")"
expect_err "E force invalid option 'force' must be a boolean"
run cdh run kdiff.lua --set files=missing.yaml
expect_rc 1

finish
