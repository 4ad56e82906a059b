#!/usr/bin/env bash
# kube.apply in each mode against the real cluster (SPEC section 3): render
# and check print or discard and leave the cluster alone, build skips and
# records, deploy -a F applies for real (as run does).
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
echo '{"builds":[]}' >"$WORK/arts.json"
absent() { run kc get cm cm-x -n "$NS"; expect_rc 1; }

t "render prints, writes nothing"
run cdh --dry-run apply.lua --set files=cm.yaml
expect_rc 0
expect_out "name: cm-x"
expect_err "plan: apply 1 object(s): ConfigMap 1"
absent

t "check discards, offline"
run cdh check apply.lua --set files=cm.yaml
expect_rc 0
[ ! -s "$WORK/.out" ] && ok || bad "stdout not empty"
absent

t "build skips and says so"
run cdh build apply.lua --set files=cm.yaml
expect_rc 0
expect_err "kube.apply: 1 object(s) not applied in build mode"
absent

t "deploy -a F applies"
run cdh deploy apply.lua --set files=cm.yaml -a "$WORK/arts.json"
expect_rc 0
expect_err "result ConfigMap cm-x created changed=true"
expect_eq "$(kc get cm cm-x -n "$NS" -o jsonpath='{.data.v}')" "1"
run cdh deploy apply.lua --set files=cm.yaml --set v=2 -a - <"$WORK/arts.json"
expect_rc 0
expect_err "result ConfigMap cm-x configured changed=true"
expect_eq "$(kc get cm cm-x -n "$NS" -o jsonpath='{.data.v}')" "2"

t "deploy --dry-run -a F previews: the manifests on stdout, nothing applied"
run cdh --dry-run deploy apply.lua --set files=cm.yaml --set v=3 -a "$WORK/arts.json"
expect_rc 0
expect_out "name: cm-x"
expect_out 'v: "3"'
expect_err "plan: apply 1 object(s): ConfigMap 1"
expect_err "deploy --dry-run of apply.lua finished"
expect_eq "$(kc get cm cm-x -n "$NS" -o jsonpath='{.data.v}')" "2"

t "build --dry-run: no artifacts file written"
rm -f "$WORK/built.json"
run cdh --dry-run build apply.lua --set files=cm.yaml --file-output "$WORK/built.json"
expect_rc 0
expect_err "artifacts file $WORK/built.json not written (--dry-run)"
[ ! -e "$WORK/built.json" ] && ok || bad "the artifacts file was written"

t "delete --dry-run: lists what the apply set would lose, checked by the server, deletes nothing"
run cdh run apply.lua --set files=cm.yaml --set set=dry --set extra=a
expect_rc 0
run cdh run apply.lua --set files=cm.yaml --set set=dry --set extra=b --set noprune=1
expect_rc 0
run cdh --dry-run delete apply.lua --set files=cm.yaml --set set=dry -o json
expect_rc 0
grep -q '"would delete ConfigMap '"$NS"'/cm-a"' "$WORK/.err" && ok || bad "cm-a not listed"
grep -q '"would delete ConfigMap '"$NS"'/cm-b"' "$WORK/.err" && ok || bad "cm-b not listed"
grep -q '"event":"summary".*"dry_run":true' "$WORK/.err" && ok || bad "no dry_run in the summary"
grep -q '"applied":0' "$WORK/.err" && ok || bad "the summary counts deletions"
run cdh delete apply.lua --set files=cm.yaml --set set=dry --dry-run
expect_rc 0
expect_err "2 object(s) would be deleted"
expect_err "delete --dry-run of apply.lua finished"
expect_eq "$(kc get cm -n "$NS" cm-a cm-b -o name | wc -l)" 2
expect_eq "$(kc get secret -n "$NS" dry -o name)" "secret/dry"
expect_eq "$(kc get lease -n "$NS" -o name | grep -c dry-cdhost-lock)" 0
run cdh delete apply.lua --set files=cm.yaml --set set=dry
expect_rc 0
expect_eq "$(kc get cm -n "$NS" cm-a cm-b -o name 2>/dev/null | wc -l)" 0

t "cdhost.dry_run: true in render and any --dry-run, false otherwise"
printf 'print("dry_run=" .. tostring(cdhost.dry_run) .. " mode=" .. cdhost.mode)\n' >"$WORK/dry.lua"
for args in "--dry-run run:true:render" "render:true:render" "--dry-run delete:true:delete" \
	"--dry-run build:true:build" "diff:false:diff" "build:false:build"; do
	IFS=: read -r cmd want mode <<<"$args"
	# shellcheck disable=SC2086
	run cdh $cmd dry.lua
	expect_err "dry_run=$want mode=$mode"
done

finish
