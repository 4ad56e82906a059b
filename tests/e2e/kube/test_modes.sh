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

finish
