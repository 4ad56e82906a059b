#!/usr/bin/env bash
# require "cdhost.pipeline" for real: build (native) → push → render
# (manifests + a Helm chart given the artifact) → apply set → wait, in run
# mode; the same recipe in --dry-run (nothing built, pushed or applied) and
# build mode (built, not applied); a failing rollout stops before
# after_deploy with exit 3.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
REG=$CDHOST_TEST_REGISTRY
HELM=$CDHOST_TEST_HELM
[ -x "$HELM" ] || { echo "FAIL: helm not in the testenv cache" >&2; exit 1; }
export PATH="$(dirname "$HELM"):$PATH"
# content unique to this run, so the first build really builds
echo "$NS" >"$WORK/pipeline/site/run.txt"
pipe() { cdh "$@" pipeline.lua --set registry="$REG" --insecure-registry "$REG"; }

t "--dry-run: the plan, nothing built or applied"
run pipe --dry-run
expect_rc 0
expect_err "would build $REG/cdhost/pipeline-site:"
expect_out "kind: Deployment"
expect_out "namespace: $NS"
expect_out "app.kubernetes.io/part-of: pipeline-test"
grep -qE "image: $REG/cdhost/pipeline-site:[0-9a-f]{64}(@sha256:[0-9a-f]{64})?$" "$WORK/.out" && ok || bad "image not set from the artifact"
expect_err "rollout.wait: not waiting in render mode"
expect_err "hook after_deploy waited=false"
expect_eq "$(kc get deploy -n "$NS" -o name | wc -l)" 0

t "build mode builds and pushes, applies nothing"
run pipe build
expect_rc 0
expect_err "built and pushed"
expect_err "kube.apply: 3 object(s) not applied in build mode"
expect_eq "$(kc get deploy -n "$NS" -o name | wc -l)" 0

t "run: the artifact is found, both Deployments roll out with it"
run pipe run
expect_rc 0
expect_err "Found. Tagging"
expect_err "hook after_build $REG/cdhost/pipeline-site:"
expect_err "rollout.wait: 3 object(s) ready"
expect_err "hook after_deploy waited=true"
ref=$(kc get deploy site -n "$NS" -o jsonpath='{.spec.template.spec.containers[0].image}')
[[ $ref == "$REG/cdhost/pipeline-site:"*"@sha256:"* ]] && ok || bad "site image: $ref"
expect_eq "$(kc get deploy worker -n "$NS" -o jsonpath='{.spec.template.spec.containers[0].image}')" "$ref"
expect_eq "$(kc get deploy worker -n "$NS" -o jsonpath='{.metadata.labels.app\.kubernetes\.io/part-of}')" pipeline-test
expect_eq "$(kc get deploy site worker -n "$NS" -o jsonpath='{.items[*].status.readyReplicas}')" "2 1"

t "a failing rollout: exit 3, after_deploy does not run"
run cdh run pipeline.lua --set registry="$REG" --insecure-registry "$REG" --set bad=1
expect_rc 3
expect_err "Deployment $NS/worker"
expect_err "$REG/cdhost/nope:v0"
expect_no_err "hook after_deploy"
finish
