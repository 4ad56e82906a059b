#!/usr/bin/env bash
# cdhost.rollout.wait on the real control plane with the simulated kubelet
# (SPEC section 7, docs/rollout.md): success of every workload kind, a
# rolling update, fail-fast diagnosis (missing image, crash loop, failed Job,
# unschedulable pod, progress deadline) naming pod, container and reason,
# a timeout (exit 4), a rollback on failure, a custom resource judged by an
# Argo CD-style health script, waiting for deletion, and bad options.
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
REG=$CDHOST_TEST_REGISTRY
"$KUBE_E2E/../env/push-image.sh" "$REG" cdhost/rollout:v1 "rollout v1" >/dev/null ||
	{ echo "FAIL: cannot push the test image to $REG" >&2; exit 1; }
"$KUBE_E2E/../env/push-image.sh" "$REG" cdhost/rollout:v2 "rollout v2" >/dev/null ||
	{ echo "FAIL: cannot push the test image to $REG" >&2; exit 1; }
IMG=$REG/cdhost/rollout:v1
wait_recipe() { cdh run wait.lua --set image="${IMAGE:-$IMG}" "$@"; }

t "a Deployment rolls out: Current, one watch per kind and namespace"
run wait_recipe --set file=deploy.yaml
expect_rc 0
expect_err "object Deployment web Current"
expect_no_err "object ConfigMap"            # nothing to wait for
expect_err "Deployment $NS/web: Current"
# deployments + pods + replicasets of one namespace: 3 lists, 3 watches
expect_err "stats lists=3 watches=3 relists=0"
expect_eq "$(kc get deploy web -n "$NS" -o jsonpath='{.status.readyReplicas}')" 2

t "a rolling update to v2 waits for the new ReplicaSet"
IMAGE=$REG/cdhost/rollout:v2 run wait_recipe --set file=deploy.yaml --set v=2
expect_rc 0
expect_err "object Deployment web Current"
expect_eq "$(kc get deploy web -n "$NS" -o jsonpath='{.status.updatedReplicas}/{.status.readyReplicas}/{.status.replicas}')" "2/2/2"
expect_eq "$(kc get deploy web -n "$NS" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" 2

t "StatefulSet (init container), DaemonSet, Job and Service together"
run wait_recipe --set file=workloads.yaml
expect_rc 0
expect_err "object StatefulSet db Current"
expect_err "object DaemonSet agent Current"
expect_err "object Job migrate Current"
expect_err "object Service db Current"
expect_err "object CronJob nightly Current"   # batch/v1beta1 on v1.20
expect_eq "$(kc get job migrate -n "$NS" -o jsonpath='{.status.succeeded}')" 1

t "a missing image fails fast with ErrImagePull/ImagePullBackOff, pod and container named"
IMAGE=$REG/cdhost/missing:v1 run wait_recipe --set file=crash.yaml --set timeout=120s
expect_rc 3
expect_err "code rollout_failed"
grep -qE "Deployment $NS/crasher: (ErrImagePull|ImagePullBackOff)" "$WORK/.err" && ok || bad "no image pull reason"
grep -qE "pod crasher-[a-z0-9]+-[a-z0-9]+: container app \(image $REG/cdhost/missing:v1\)" "$WORK/.err" && ok || bad "pod/container/image not named"
expect_err "event: Failed Pod/crasher-"
kc delete deploy crasher -n "$NS" --wait=false >/dev/null

t "a crash loop fails with CrashLoopBackOff, the exit code and the log's fate"
run wait_recipe --set file=crash.yaml --set timeout=120s
expect_rc 3
expect_err "CrashLoopBackOff"
expect_err "container app (image $IMG)"
expect_err "last exit: Error, exit code 1"
expect_err "event: BackOff Pod/crasher-"
# no kubelet serves logs here: the diagnosis says so instead of hanging
expect_err "log of crasher-"
expect_err "not available"

t "a Job that fails names the pod, container, exit code and termination message"
run wait_recipe --set file=jobfail.yaml
expect_rc 3
expect_err "Job $NS/broken-migration: JobFailed"
expect_err "BackoffLimitExceeded"
grep -qE "pod broken-migration-[a-z0-9]+: container migrate \(image $IMG\) exited with code 3 \(Error\): schema version 7 not found" "$WORK/.err" && ok || bad "failed pod not described"

t "a pod no node can take fails after the 15 s window with the scheduler's message"
run wait_recipe --set file=unschedulable.yaml --set timeout=90s
expect_rc 3
expect_err "PodUnschedulable"
expect_err "didn't match"
expect_err "event: FailedScheduling Pod/picky-"

t "ProgressDeadlineExceeded fails, naming the pod that is not ready"
run wait_recipe --set file=deadline.yaml --set v=3 --set timeout=90s
expect_rc 3
expect_err "ProgressDeadlineExceeded"
grep -qE "pod slow-[a-z0-9]+-[a-z0-9]+ \(Running on sim-node-[0-9]\): container app \(image $IMG\) running, not ready" "$WORK/.err" && ok || bad "not-ready pod not described"

t "a timeout is exit 4 and says what was still in progress"
kc delete deploy slow -n "$NS" >/dev/null
run wait_recipe --set file=deadline.yaml --set v=600 --set timeout=2s
expect_rc 4
expect_err "code timeout"
expect_err "timed out after"
expect_err "still waiting for Deployment $NS/slow"
expect_err "container app (image $IMG) running, not ready"

t "on_failure = rollback: the previous revision comes back, the run still fails"
IMAGE=$REG/cdhost/nope:v3 run wait_recipe --set file=deploy.yaml --set v=3 --set on_failure=rollback
expect_rc 3
expect_err "rolling Deployment $NS/web back to revision 2"
expect_err "rollback done: Deployment $NS/web to revision 2"
expect_eq "$(kc get deploy web -n "$NS" -o jsonpath='{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[0].value}')" \
	"$REG/cdhost/rollout:v2 2"
expect_eq "$(kc get deploy web -n "$NS" -o jsonpath='{.status.updatedReplicas}/{.status.readyReplicas}')" "2/2"

t "a custom resource judged by an Argo CD-style health script"
mkdir -p "$WORK/health/example.cdhost.dev/Widget"
cat >"$WORK/health/example.cdhost.dev/Widget/health.lua" <<'LUA'
local hs = {}
if obj.status == nil or obj.status.phase == nil then
  hs.status = "Progressing"; hs.message = "waiting for the widget controller"
elseif obj.status.phase == "Ready" then
  hs.status = "Healthy"
  hs.message = string.format("%d/%d parts", obj.status.parts, obj.spec.size)
elseif obj.status.phase == "Broken" then
  hs.status = "Degraded"; hs.message = obj.status.reason
else
  hs.status = "Progressing"; hs.message = obj.status.phase
end
return hs
LUA
run cdh run apply.lua --set files=rollout/crd.yaml
expect_rc 0
kc wait --for condition=established crd/widgets.example.cdhost.dev --timeout=30s >/dev/null
(sleep 2; kc patch widget gizmo -n "$NS" --subresource=status --type=merge \
	-p '{"status":{"phase":"Ready","parts":3}}' >/dev/null) &
run wait_recipe --set file=widget.yaml --set health_dir=health
wait
expect_rc 0
expect_err "Widget $NS/gizmo: InProgress: waiting for the widget controller"
expect_err "Widget $NS/gizmo: Current: 3/3 parts"   # integers stay integers
expect_err "object Widget gizmo Current"
kc patch widget gizmo -n "$NS" --subresource=status --type=merge \
	-p '{"status":{"phase":"Broken","reason":"the frobnicator is missing"}}' >/dev/null
run wait_recipe --set file=widget.yaml --set health_dir=health
expect_rc 3
expect_err "Widget $NS/gizmo: Degraded: the frobnicator is missing"

t "a health script stuck in a C call marks its object Unknown; the wait goes on"
cat >"$WORK/health/example.cdhost.dev/Widget/health.lua" <<'LUA'
local s = string.rep("a", 40)
string.find(s, string.rep("a*", 40) .. "b")   -- backtracks for ages inside one C call
return { status = "Healthy" }
LUA
run wait_recipe --set file=widget.yaml --set health_dir=health --set timeout=4s
expect_rc 4
expect_err "Widget $NS/gizmo: Unknown"
expect_err "budget"
expect_err "still waiting for Widget $NS/gizmo"

t "suspended = fail / done for a health script that says Suspended"
cat >"$WORK/health/example.cdhost.dev/Widget/health.lua" <<'LUA'
return { status = "Suspended", message = "paused by an operator" }
LUA
run wait_recipe --set file=widget.yaml --set health_dir=health
expect_rc 0
expect_err "is Suspended: paused by an operator"
run wait_recipe --set file=widget.yaml --set health_dir=health --set suspended=fail
expect_rc 3

t "on a terminal: a live table (object, status, ready/desired, message)"
if command -v script >/dev/null; then
	(cd "$WORK" && script -q -e -c "'$CDHOST' --max-instructions 0 run wait.lua --set ns='$NS' --set file=workloads.yaml --set image='$IMG'" "$WORK/tty.out" >/dev/null 2>&1)
	RC=$?
	cp "$WORK/tty.out" "$WORK/.err"
	expect_rc 0
	grep -qE $'\e\\[[0-9]+A' "$WORK/.err" && ok || bad "the table was not redrawn in place"
	grep -qE "StatefulSet $NS/db +.*Current.* 2/2 " "$WORK/.err" && ok || bad "no final row with ready/desired"
	expect_no_err "StatefulSet $NS/db: Current"   # no plain lines on a terminal
else
	echo "FAIL: script(1) (bsdutils) is needed for the terminal test" >&2; FAILED=$((FAILED + 1))
fi

t "8 namespaces of workloads: 33 watches open at once (more than the 16 requests of a batch)"
run cdh run many.lua --set image="$IMG"
expect_rc 0
expect_err "ready 24 watches 33 lists 33"
for i in 1 2 3 4 5 6 7 8; do kc delete ns "$NS-$i" --wait=false >/dev/null 2>&1; done

t "delete mode waits until the objects are gone"
run cdh delete wait.lua --set file=workloads.yaml --set set=gone
expect_rc 0
run cdh run wait.lua --set file=workloads.yaml --set set=gone --set image="$IMG"
expect_rc 0
run cdh delete wait.lua --set file=workloads.yaml --set set=gone --set image="$IMG"
expect_rc 0
expect_err "waiting for the deletion of"
expect_eq "$(kc get statefulset,daemonset,job -n "$NS" -l applyset.kubernetes.io/part-of -o name | wc -l)" 0

t "bad options are the recipe's errors (invalid, exit 1)"
cat >"$WORK/bad.lua" <<'LUA'
local what = cdhost.args.what
local res = { { apiVersion = "apps/v1", kind = "Deployment", name = "web", namespace = cdhost.args.ns } }
local opts = ({ timeout = { timeout = "soon" }, suspended = { suspended = "maybe" },
  fail_fast = { fail_fast = "yes" }, on_failure = { on_failure = "pray" },
  log_lines = { log_lines = 1.5 } })[what]
cdhost.rollout.wait(res, opts)
LUA
for what in timeout suspended fail_fast on_failure log_lines; do
	run cdh run bad.lua --set what=$what
	expect_rc 1
	expect_err "rollout.wait"
	expect_err "[invalid]"
done
cat >"$WORK/bad2.lua" <<'LUA'
cdhost.rollout.wait({ { kind = "Deployment", name = "x" } })
LUA
run cdh run bad2.lua
expect_rc 1
expect_err "entry 1 has no apiVersion"
cat >"$WORK/bad3.lua" <<'LUA'
cdhost.rollout.wait({ { apiVersion = "nope.example/v1", kind = "Gadget", name = "x" } })
LUA
run cdh run bad3.lua
expect_rc 1
expect_err "Gadget"
finish
