#!/usr/bin/env bash
# `cdhost health -f OBJ.yaml` and `cdhost health test DIR` (SPEC sections 2
# and 7, docs/health.md): Argo CD's words on stdout, exit codes, scripts and
# tests in Argo CD's format (written here), hostile and broken scripts.
CDHOST=$1
. "$(dirname "$0")/lib.sh"
FX=$CDHOST_SRC/tests/fixtures
HD=$FX/health

obj() { cat >"$WORK/$1"; echo "$WORK/$1"; }
script() { mkdir -p "$WORK/hd/$1"; cat >"$WORK/hd/$1/health.lua"; }

t "Argo CD-format scripts and tests written here: getn, os.time, goto, integers, wildcard, exact over wildcard, core group, keys in any case, first document only"
run "$CDHOST" health test "$HD"
expect_rc 0; expect_out "17 passed, 0 failed"; expect_no_out "FAIL"
expect_out "ok   example.com/Widget/testdata/paused.yaml: Suspended"
expect_out "ok   example.com/Widget/testdata/progressing.yaml: Progressing" # not the 2nd document
expect_out "ok   _.acme.io/_/testdata/bucket.yaml: Degraded"
expect_out "ok   queue.acme.io/Queue/testdata/ready.yaml: Healthy"          # not _.acme.io/_
expect_out "ok   ConfigMap/testdata/broken.yaml: Degraded"
expect_out "ok   batch/CronJob/testdata/succeeded.yaml: Healthy"           # UPPER-case keys
expect_out "ok   batch/CronJob/testdata/future.yaml: Degraded"             # os.time()

t "health -f with a script: Argo's words, integers stay integers"
run "$CDHOST" health -f "$HD/example.com/Widget/testdata/healthy.yaml" --health-dir "$HD"
expect_rc 0; expect_out "Healthy: 3/3 ready"; expect_no_out "3.0"
run "$CDHOST" health -f "$HD/example.com/Widget/testdata/degraded.yaml" --health-dir "$HD"
expect_rc 3; [ "$OUT" = "Degraded: quota exceeded (2 condition(s))" ] && ok || bad "exact line"
run "$CDHOST" health -f "$HD/example.com/Widget/testdata/no_status.yaml" --health-dir "$HD"
expect_rc 1; expect_out "Progressing: Waiting for the widget controller"
run "$CDHOST" health -f "$HD/example.com/Widget/testdata/paused.yaml" --health-dir "$HD"
expect_rc 0; expect_out "Suspended: Paused since 1970-01-01"; expect_err "is Suspended: counted as done"

t "health -f picks the exact directory over the wildcard, the wildcard for other kinds"
run "$CDHOST" --output json health -f "$HD/queue.acme.io/Queue/testdata/ready.yaml" --health-dir "$HD"
expect_rc 0; expect_out '"status":"Healthy","message":"2 condition(s) true","script":"'"$HD"'/queue.acme.io/Queue/health.lua"}'
run "$CDHOST" --output json health -f "$HD/_.acme.io/_/testdata/bucket.yaml" --health-dir "$HD"
expect_rc 3; expect_out '"status":"Degraded","message":"Bucket failed","script":"'"$HD"'/_.acme.io/_/health.lua"}'
run "$CDHOST" health -f "$HD/batch/CronJob/testdata/succeeded.yaml" --health-dir "$HD"
expect_rc 0; [ "$OUT" = "Healthy: the last job took 90s" ] && ok || bad "exact line"

t "health test DIR whose own directory holds health_test.yaml (crashed: no '/' in its path)"
mkdir -p "$WORK/flat"
cp "$HD/ConfigMap/health.lua" "$HD/ConfigMap/testdata/ok.yaml" "$WORK/flat/"
printf 'tests:\n- healthStatus:\n    status: Healthy\n  inputPath: ok.yaml\n' >"$WORK/flat/health_test.yaml"
run "$CDHOST" health test "$WORK/flat"
expect_rc 0; expect_out "ok   ok.yaml: Healthy"; expect_out "1 passed, 0 failed"

t "a document JSON cannot hold (.inf) is an error naming the file (found by fuzz_health_test)"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: .inf}\n' >"$WORK/inf.yaml"
run "$CDHOST" health -f "$WORK/inf.yaml"
expect_rc 1; expect_err "$WORK/inf.yaml: document 1: data.a: JSON has no infinity [invalid]"

SH=$CDHOST_SRC/stdlib/health
t "the built-in health checks pass their tests (stdlib/health)"
run "$CDHOST" health test "$SH"
expect_rc 0; expect_out "33 passed, 0 failed"; expect_no_out "FAIL"
expect_out "ok   cert-manager.io/Certificate/testdata/degraded_failed.yaml: Degraded"
expect_out "ok   argoproj.io/Rollout/testdata/suspended_step.yaml: Suspended"
expect_out "ok   _.toolkit.fluxcd.io/_/testdata/helmrelease_stalled.yaml: Degraded"
expect_out "ok   external-secrets.io/ExternalSecret/testdata/healthy.yaml: Healthy"

t "health test --builtin runs the copy compiled into cdhost, not DIR's scripts"
cp -r "$SH" "$WORK/builtin-tests"
find "$WORK/builtin-tests" -name health.lua | while read -r f; do
	echo 'return { status = "Unknown", message = "the file on disk ran" }' >"$f"
done
run "$CDHOST" health test "$WORK/builtin-tests"
expect_rc 1; expect_out "0 passed, 33 failed"   # the decoys run without --builtin
run "$CDHOST" health test --builtin "$WORK/builtin-tests"
expect_rc 0; expect_out "33 passed, 0 failed"
find "$WORK/builtin-tests" -name health.lua -delete
run "$CDHOST" health test "$WORK/builtin-tests"   # tests only: the built-in set
expect_rc 0; expect_out "33 passed, 0 failed"
run "$CDHOST" health test --builtin "$HD"
expect_rc 1; expect_out "FAIL example.com/Widget/testdata/healthy.yaml: no built-in health.lua for example.com/Widget"
run "$CDHOST" health test --builtin --health-dir "$HD" "$HD"
expect_rc 2; expect_err "--builtin goes with"
run "$CDHOST" health --builtin -f "$SH/argoproj.io/Rollout/testdata/healthy.yaml"
expect_rc 2; expect_err "--builtin goes with"

t "health -f uses the embedded scripts wherever it runs; --health-dir overrides them"
cp "$SH/cert-manager.io/Certificate/testdata/degraded_failed.yaml" "$WORK/cert.yaml"
cp "$SH/_.toolkit.fluxcd.io/_/testdata/helmrelease_retrying.yaml" "$WORK/hr.yaml"
abs=$(cd "$(dirname "$CDHOST")" && pwd)/$(basename "$CDHOST")
cd "$WORK" || exit 1   # no stdlib/ here: what runs is compiled in
run "$abs" --output json health -f cert.yaml
cd - >/dev/null || exit 1
expect_rc 3
[ "$OUT" = '{"kind":"Certificate","name":"shop-tls","status":"Degraded","message":"The certificate request has failed to complete and will be retried: issuer letsencrypt-prod not found (3 failed attempt(s))","script":"stdlib/health/cert-manager.io/Certificate/health.lua"}' ] && ok || bad "json line: $OUT"
run "$CDHOST" health -f "$WORK/hr.yaml"
expect_rc 1; [ "$OUT" = "Progressing: retrying after Helm upgrade failed: context deadline exceeded" ] && ok || bad "exact line"
script cert-manager.io/Certificate <<'EOF'
return { status = "Healthy", message = "the user's script" }
EOF
run "$CDHOST" health -f "$WORK/cert.yaml" --health-dir "$WORK/hd"
expect_rc 0; [ "$OUT" = "Healthy: the user's script" ] && ok || bad "user script first"
bad_cert=$(obj cert-bad.yaml <<'EOF'
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: {name: odd}
status: {conditions: [42]}
EOF
)
run "$CDHOST" health -f "$bad_cert"
expect_rc 1
[ "$OUT" = "Unknown: stdlib/health/cert-manager.io/Certificate/health.lua:10: attempt to index a number value (local 'c')" ] && ok || bad "names the built-in script and line"

t "health -f without a script: cdhost's status engine in Argo's words"
k=$(obj kafka.yaml <<'EOF'
apiVersion: kafka.strimzi.io/v1beta2
kind: Kafka
metadata: {name: events, generation: 2}
status:
  observedGeneration: 2
  conditions: [{type: Ready, status: "True"}]
EOF
)
run "$CDHOST" health -f "$k" --health-dir "$HD"
expect_rc 0; [ "$OUT" = "Healthy: Resource is Ready" ] && ok || bad "exact line"
p=$(obj pod.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: web, image: "reg.example.com/web:404"}]
status:
  phase: Pending
  containerStatuses:
  - name: web
    image: reg.example.com/web:404
    ready: false
    restartCount: 0
    state: {waiting: {reason: ImagePullBackOff, message: 'Back-off pulling image "reg.example.com/web:404"'}}
EOF
)
run "$CDHOST" health -f "$p"
expect_rc 3
[ "$OUT" = 'Degraded: container web (image reg.example.com/web:404): ImagePullBackOff: Back-off pulling image "reg.example.com/web:404"' ] && ok || bad "exact line"

t "--output json: one object per line on stdout"
run "$CDHOST" --output json health -f "$HD/example.com/Widget/testdata/healthy.yaml" --health-dir "$HD"
expect_rc 0
expect_out '{"kind":"Widget","name":"w","status":"Healthy","message":"3/3 ready","script":"'"$HD"'/example.com/Widget/health.lua"}'

t "several documents: one line each, worst exit code"
two=$(obj two.yaml <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
---
apiVersion: v1
kind: Pod
metadata: {name: b}
status: {phase: Failed, reason: Evicted, message: The node was low on resource memory.}
EOF
)
run "$CDHOST" health -f "$two"
expect_rc 3; expect_out "ConfigMap/a: Healthy: Resource is always ready"
expect_out "Pod/b: Degraded: Pod has completed, but not successfully: Evicted: The node was low on resource memory."

t "deletionTimestamp: Progressing 'Pending deletion', as Argo CD"
d=$(obj del.yaml <<'EOF'
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, deletionTimestamp: "2024-05-01T10:00:00Z"}
spec: {replicas: 3}
EOF
)
run "$CDHOST" health -f "$d" --health-dir "$HD"
expect_rc 1; expect_out "Progressing: Pending deletion"

t "bad input: missing file, malformed YAML, no kind, empty file, bad flags"
run "$CDHOST" health -f "$WORK/nope.yaml"
expect_rc 2; expect_empty_out; expect_err "nope.yaml"; expect_err "[usage]"
bad_yaml=$(obj bad.yaml <<'EOF'
kind: Pod
metadata: [name
EOF
)
run "$CDHOST" health -f "$bad_yaml"
expect_rc 1; expect_empty_out; expect_err "bad.yaml:"; expect_err "[invalid]"
nokind=$(obj nokind.yaml <<'EOF'
apiVersion: v1
metadata: {name: x}
EOF
)
run "$CDHOST" health -f "$nokind"
expect_rc 1; expect_err "document 1 is not a Kubernetes object (no kind)"
: >"$WORK/empty.yaml"
run "$CDHOST" health -f "$WORK/empty.yaml"
expect_rc 1; expect_err "no object in it"
run "$CDHOST" health
expect_rc 2; expect_err "usage: cdhost health -f OBJ.yaml"
run "$CDHOST" health -f "$p" test "$HD"
expect_rc 2
run "$CDHOST" health -f "$p" --health-dir "$WORK/no-such-dir"
expect_rc 2; expect_err "--health-dir $WORK/no-such-dir: not a directory"
run "$CDHOST" health test "$WORK/no-such-dir"
expect_rc 2; expect_err "not a directory"
mkdir -p "$WORK/no-tests"
run "$CDHOST" health test "$WORK/no-tests"
expect_rc 1; expect_out "0 passed, 1 failed"; expect_err "no health_test.yaml under"

w=$(obj w.yaml <<'EOF'
apiVersion: bad.example.com/v1
kind: Thing
metadata: {name: t}
spec: {replicas: 2}
EOF
)

t "a script that loops trips its budget: Unknown, exit 5, names the script and line"
script bad.example.com/Thing <<'EOF'
local n = 0
while true do n = n + 1 end
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 5
expect_out "Unknown: $WORK/hd/bad.example.com/Thing/health.lua:2: health script exceeded its"
expect_err "[limit]"

t "a script stuck inside one C call: Unknown after its 1s budget, the run goes on"
script bad.example.com/Thing <<'EOF'
local s = string.rep("a", 40)
local found = string.find(s, ".-.-.-.-.-.-.-.-.-.-.-.-b") -- hours of backtracking
return { status = "Healthy", message = tostring(found) }
EOF
three=$(obj three.yaml <<'EOF'
apiVersion: bad.example.com/v1
kind: Thing
metadata: {name: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
---
apiVersion: bad.example.com/v1
kind: Thing
metadata: {name: c}
EOF
)
start=$(date +%s%N)
run "$CDHOST" health -f "$three" --health-dir "$WORK/hd"
ms=$((($(date +%s%N) - start) / 1000000))
expect_rc 5
expect_out "Thing/a: Unknown: $WORK/hd/bad.example.com/Thing/health.lua:2: health script exceeded its 1s budget (stuck inside one C call)"
expect_out "ConfigMap/b: Healthy: Resource is always ready"
expect_out "Thing/c: Unknown: $WORK/hd/bad.example.com/Thing/health.lua:2: health script exceeded its 1s budget"
expect_err "Thing/c: $WORK/hd/bad.example.com/Thing/health.lua:2: health script exceeded its 1s budget (stuck inside one C call) [limit]"
expect_no_err "--timeout"
# two budgets of 1s plus the 0.25s grace each, and slack for a loaded machine
[ "$ms" -lt 4500 ] && ok || bad "took ${ms}ms for two stuck scripts"

t "other long C calls: a plain find over megabytes, gsub with a pathological pattern"
script bad.example.com/Thing <<'EOF'
local hay = string.rep("a", 1000000)
local needle = string.rep("a", 500000) .. "b"
return { status = "Healthy", message = tostring(string.find(hay, needle, 1, true)) }
EOF
start=$(date +%s%N)
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
ms=$((($(date +%s%N) - start) / 1000000))
expect_rc 5; expect_out "health.lua:3: health script exceeded its 1s budget"
[ "$ms" -lt 2500 ] && ok || bad "took ${ms}ms"
script bad.example.com/Thing <<'EOF'
local s = string.rep("ab", 30)
return { status = "Healthy", message = (s:gsub("(.-)(.-)(.-)(.-)(.-)(.-)(.-)x", "%1")) }
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 5; expect_out "health.lua:2: health script exceeded its 1s budget"

t "a script that runs Lua past its 1s budget trips in the interpreter, with its line"
script bad.example.com/Thing <<'EOF'
local t0 = os.clock()
while os.clock() - t0 < 5 do local s = ("x"):rep(10) end
return { status = "Healthy" }
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 5; expect_out "health.lua:2: health script exceeded its 1s budget"; expect_no_out "stuck"

t "a script that allocates without end trips the memory budget"
script bad.example.com/Thing <<'EOF'
local s = "x"
while true do s = s .. s end
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 5; expect_out "health script exceeded its memory budget of 128 MiB"

t "an error object's __tostring is script code: it runs within the budgets, not after them"
script bad.example.com/Thing <<'EOF'
error(setmetatable({}, {__tostring = function()
  local s = ("x"):rep(1 << 20)
  while #s < (1 << 28) do s = s .. s end
  return "escaped with " .. #s .. " bytes"
end}))
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 5; expect_out "health script exceeded its memory budget of 128 MiB"
expect_no_out "escaped"
script bad.example.com/Thing <<'EOF'
error(setmetatable({}, {__tostring = function() while true do end end}))
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 5; expect_out "health.lua:1: health script exceeded its"; expect_no_out "stuck"

t "a script that raises: Unknown, exit 1, with file and line"
script bad.example.com/Thing <<'EOF'
local hs = {}
hs.status = obj.status.phase -- status is nil
return hs
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 1
expect_out "Unknown: $WORK/hd/bad.example.com/Thing/health.lua:2: attempt to index a nil value (field 'status')"

t "a script with a syntax error"
script bad.example.com/Thing <<'EOF'
return { status = "Healthy"
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 1; expect_out "health.lua:2: '}' expected (to close '{' at line 1) near <eof>"

t "garbage returns: a number, a bad status, a non-string message, nothing"
script bad.example.com/Thing <<'EOF'
return 42
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 1; expect_out "Unknown: $WORK/hd/bad.example.com/Thing/health.lua: expect table output from Lua script, not number"
script bad.example.com/Thing <<'EOF'
return { status = "Fine", message = "all good" }
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 1; [ "$OUT" = "Unknown: Lua returned an invalid health status" ] && ok || bad "invalid status"
script bad.example.com/Thing <<'EOF'
return { status = "Healthy", message = { "not", "a", "string" } }
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 1; expect_out "health script returned a table message; expected a string"
script bad.example.com/Thing <<'EOF'
local x = obj.spec.replicas
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 1; [ "$OUT" = "" ] && ok || bad "empty status prints an empty line"

t "the sandbox holds: no io, no os.execute, no loading bytecode"
script bad.example.com/Thing <<'EOF'
return { status = "Healthy", message = io.read() }
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 5; expect_out "'io' is not available"
script bad.example.com/Thing <<'EOF'
local os = require("os")
return { status = "Healthy", message = tostring(os.execute) .. tostring(os.getenv) }
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 0; expect_out "Healthy: nilnil"
script bad.example.com/Thing <<'EOF'
return require("io")
EOF
run "$CDHOST" health -f "$w" --health-dir "$WORK/hd"
expect_rc 1; expect_out "module 'io' not found"

t "each run gets a fresh state: globals do not leak between objects"
script bad.example.com/Thing <<'EOF'
seen = (seen or 0) + 1
return { status = "Healthy", message = "run " .. seen }
EOF
two=$(obj two-things.yaml <<'EOF'
apiVersion: bad.example.com/v1
kind: Thing
metadata: {name: a}
---
apiVersion: bad.example.com/v1
kind: Thing
metadata: {name: b}
EOF
)
run "$CDHOST" health -f "$two" --health-dir "$WORK/hd"
expect_rc 0; expect_out "Thing/a: Healthy: run 1"; expect_out "Thing/b: Healthy: run 1"

t "health test reports failures per case and exits 1"
mkdir -p "$WORK/t/bad.example.com/Thing/testdata"
cp "$WORK/hd/bad.example.com/Thing/health.lua" "$WORK/t/bad.example.com/Thing/"
cp "$w" "$WORK/t/bad.example.com/Thing/testdata/one.yaml"
cat >"$WORK/t/bad.example.com/Thing/health_test.yaml" <<'EOF'
tests:
- healthStatus: {status: Healthy, message: "run 1"}
  inputPath: testdata/one.yaml
- healthStatus: {status: Degraded, message: "run 1"}
  inputPath: testdata/one.yaml
- healthStatus: {status: Healthy}
  inputPath: testdata/missing.yaml
- healthStatus: {status: Healthy}
  inputPath: ../../../../etc/passwd
EOF
run "$CDHOST" health test "$WORK/t"
expect_rc 1
expect_out "ok   bad.example.com/Thing/testdata/one.yaml: Healthy"
expect_out 'FAIL bad.example.com/Thing/testdata/one.yaml: got Healthy "run 1", want Degraded "run 1"'
expect_out "FAIL bad.example.com/Thing/testdata/missing.yaml:"
expect_out "FAIL bad.example.com/Thing/../../../../etc/passwd:"
expect_out "1 passed, 3 failed"

t "an object's group and kind cannot lead out of --health-dir"
mkdir -p "$WORK/outside/Kind" "$WORK/inside/sub"
printf 'return { status = "Degraded", message = "outside script ran" }\n' >"$WORK/outside/Kind/health.lua"
printf 'apiVersion: ../outside/v1\nkind: Kind\nmetadata: {name: x}\n' >"$WORK/escape.yaml"
run "$CDHOST" health -f "$WORK/escape.yaml" --health-dir "$WORK/inside"
expect_no_out "outside script ran"
printf 'apiVersion: v1\nkind: ../../outside/Kind\nmetadata: {name: y}\n' >"$WORK/escape2.yaml"
run "$CDHOST" health -f "$WORK/escape2.yaml" --health-dir "$WORK/inside/sub"
expect_no_out "outside script ran"
# the control: the same script inside the directory does run
mkdir -p "$WORK/inside/outside.example.com/Kind"
cp "$WORK/outside/Kind/health.lua" "$WORK/inside/outside.example.com/Kind/"
printf 'apiVersion: outside.example.com/v1\nkind: Kind\nmetadata: {name: z}\n' >"$WORK/ok.yaml"
run "$CDHOST" health -f "$WORK/ok.yaml" --health-dir "$WORK/inside"
expect_out "outside script ran"

finish
