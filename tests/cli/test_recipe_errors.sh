#!/usr/bin/env bash
# A recipe that calls a primitive with a bad argument or option gets
# `invalid` (exit 1) from every module; `usage` (exit 2) is the command
# line's (SPEC section 2: bad flags, a missing recipe file). No cluster: each
# error is raised before anything is sent (the kubeconfig's server is a
# closed port, and `check` is --offline).
CDHOST=$1
. "$(dirname "$0")/lib.sh"
export HOME=$WORK/home XDG_CACHE_HOME=$WORK/cache
unset KUBECONFIG
mkdir -p "$HOME"
{
	echo "apiVersion: v1"
	echo "kind: Config"
	echo "current-context: c0"
	echo "clusters: [{name: c, cluster: {server: \"https://127.0.0.1:9\"}}]"
	echo "users: [{name: u, user: {token: x}}]"
	echo "contexts:"
	for i in $(seq 0 9); do echo "- {name: c$i, context: {cluster: c, user: u}}"; done
} >"$WORK/kc.yaml"

R=$(recipe bad.lua <<'LUA'
local cm = { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "a", namespace = "shop" } }
local dep = { { apiVersion = "apps/v1", kind = "Deployment", name = "web", namespace = "shop" } }
local calls = {
  wait_timeout = function() cdhost.rollout.wait(dep, { timeout = "bogus" }) end,
  wait_timeout_type = function() cdhost.rollout.wait(dep, { timeout = true }) end,
  wait_negative = function() cdhost.rollout.wait(dep, { timeout = -1 }) end,
  wait_flag = function() cdhost.rollout.wait(dep, { fail_fast = "yes" }) end,
  wait_word = function() cdhost.rollout.wait(dep, { suspended = "maybe" }) end,
  wait_string = function() cdhost.rollout.wait(dep, { health_dir = 5 }) end,
  wait_log_lines = function() cdhost.rollout.wait(dep, { log_lines = 1.5 }) end,
  get_ref = function() cdhost.kube.get({ kind = "ConfigMap", name = "a" }) end,
  get_name = function() cdhost.kube.get({ apiVersion = "v1", kind = "ConfigMap" }) end,
  get_context = function() cdhost.kube.get(cm, { context = 5 }) end,
  list_selector = function() cdhost.kube.list({ apiVersion = "v1", kind = "ConfigMap", selector = {} }) end,
  watch_timeout = function() cdhost.kube.watch({ apiVersion = "v1", kind = "ConfigMap" }, { timeout = "soon" }) end,
  diff_force = function() cdhost.kube.diff(cm, { force = "yes" }) end,
  diff_prune = function() cdhost.kube.diff(cm, { prune = true }) end,
  diff_propagation = function() cdhost.kube.diff(cm, { propagation = "sideways" }) end,
  delete_propagation = function() cdhost.kube.delete(cm, { propagation = "sideways" }) end,
  contexts = function()
    for i = 0, 9 do cdhost.kube.get(cm, { context = "c" .. i }) end
  end,
  builder = function() cdhost.image.build { name = "r.example/x", builder = "bazel" } end,
}
local ok, e = pcall(calls[cdhost.args.what])
print("code=" .. tostring(type(e) == "table" and e.code) .. " op=" .. tostring(type(e) == "table" and e.op))
calls[cdhost.args.what]()
LUA
)

# bad WHAT OP MESSAGE [FLAGS...]: the call's error, caught and uncaught
bad_call() {
	local what=$1 op=$2 msg=$3
	shift 3
	run "$CDHOST" --kubeconfig "$WORK/kc.yaml" "$@" "$R" --set what="$what"
	expect_rc 1
	expect_err "code=invalid op=$op"
	expect_err "$op: $msg"
	expect_err "[invalid]"
	expect_no_err "[usage]"
}

t "rollout.wait options"
bad_call wait_timeout rollout.wait "timeout: invalid duration 'bogus'" check
bad_call wait_timeout_type rollout.wait "timeout must be a duration" check
bad_call wait_negative rollout.wait "timeout must not be negative" check
bad_call wait_flag rollout.wait "option 'fail_fast' must be a boolean" check
bad_call wait_word rollout.wait "option 'suspended' must be one of" check
bad_call wait_string rollout.wait "option 'health_dir' must be a string" check
bad_call wait_log_lines rollout.wait "log_lines must be an integer" check

t "kube.get, kube.list, kube.watch: refs and options"
bad_call get_ref kube.get "needs apiVersion, kind and name" check
bad_call get_name kube.get "needs apiVersion, kind and name" check
bad_call get_context kube.get "option 'context' must be a string" check
bad_call list_selector kube.list "option 'selector' must be a string" check
bad_call watch_timeout kube.watch "invalid duration 'soon'" check

t "kube.diff, kube.apply and kube.delete options"
bad_call diff_force kube.diff "option 'force' must be a boolean" check
bad_call diff_prune kube.diff "prune = true needs an apply set name" --dry-run
bad_call diff_propagation kube.diff "propagation must be Background, Foreground or Orphan, not 'sideways'" check
bad_call delete_propagation kube.delete "propagation must be Background, Foreground or Orphan, not 'sideways'" --offline run
D=$(recipe del.lua <<'LUA'
cdhost.kube.apply({ apiVersion = "v1", kind = "ConfigMap", metadata = { name = "a", namespace = "shop" } },
  { applyset = "shop", propagation = "sideways" })
LUA
)
run "$CDHOST" --kubeconfig "$WORK/kc.yaml" --offline delete "$D"
expect_rc 1
expect_err "kube.apply: propagation must be Background, Foreground or Orphan, not 'sideways' [invalid]"

t "too many kube contexts in one run"
bad_call contexts kube.get "too many kube contexts in one run" --dry-run

t "image.build: an unknown builder"
bad_call builder image.build 'unknown builder "bazel"' check

t "the command line's errors stay usage (exit 2)"
run "$CDHOST" --timeout bogus check "$R"
expect_rc 2; expect_err "invalid duration 'bogus'"
run "$CDHOST" --propagation sideways check "$R"
expect_rc 2
run "$CDHOST" check "$R" --set what
expect_rc 2; expect_err "key=value"
run "$CDHOST" check "$WORK/missing.lua"
expect_rc 2; expect_err "missing.lua"
finish
