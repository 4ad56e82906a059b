#!/usr/bin/env bash
# recipes/demo.lua for real, as `make demo` runs it (tests/e2e/kube/demo.sh):
# a native build pushed to the test registry, apply, wait, summary; the
# second run reuses the image and changes nothing. The JSON events of the
# run validate against docs/events.schema.json (and the validator itself
# rejects a broken event).
CDHOST=$1 STATE=$2
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$KUBE_E2E/../../.." && pwd)
REG=$CDHOST_TEST_REGISTRY
demo() { "$CDHOST" run "$ROOT/recipes/demo.lua" --set registry="$REG" --set namespace="$NS" \
	--insecure-registry "$REG" "$@"; }

t "the demo builds, pushes, applies and waits (JSON events)"
run demo --output json
expect_rc 0
expect_empty_out() { [ ! -s "$WORK/.out" ] && ok || bad "stdout is not empty"; }
expect_empty_out
cp "$WORK/.err" "$WORK/events.json"
expect_err '"event":"summary"'
expect_err "\"message\":\"demo: Deployment $NS/demo-web Current in"
# (jq -s: jq 1.6's -e judges only the last input)
jq -se 'map(select(.event == "summary")) | length == 1 and (.[0] | .applied == 4 and .ready == 3 and (.built + .found) == 1 and .exit == 0)' \
	"$WORK/events.json" >/dev/null && ok || bad "summary counts: $(grep summary "$WORK/events.json")"
jq -se 'any(.[]; .event == "status" and .object.kind == "Deployment" and .status == "Current")' \
	"$WORK/events.json" >/dev/null && ok || bad "no Current status event for the Deployment"
expect_eq "$(kc get deploy demo-web -n "$NS" -o jsonpath='{.status.readyReplicas}')" 2
img=$(kc get deploy demo-web -n "$NS" -o jsonpath='{.spec.template.spec.containers[0].image}')
[[ $img == "$REG/cdhost/demo-web:"*"@sha256:"* ]] && ok || bad "image not pinned by digest: $img"
# the digest is what the registry serves for that tag
tag=${img#*/cdhost/demo-web:}; tag=${tag%@*}
served=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$REG/v2/cdhost/demo-web/manifests/$tag" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}')
expect_eq "$served" "${img#*@}"

t "the events validate against docs/events.schema.json"
run python3 "$ROOT/tests/helpers/validate_events.py" "$ROOT/docs/events.schema.json" "$WORK/events.json"
expect_rc 0
expect_out "0 problem(s)"
sed '1s/"level":"info"/"level":"loud"/' "$WORK/events.json" >"$WORK/broken.json"
echo '{"ts":1,"phase":"wait","event":"status","object":{"kind":"X"}}' >>"$WORK/broken.json"
run python3 "$ROOT/tests/helpers/validate_events.py" "$ROOT/docs/events.schema.json" "$WORK/broken.json"
expect_rc 1
expect_out "not one of"
expect_out "missing apiVersion"

t "again: the image is found, nothing changes, the summary says so"
run demo
expect_rc 0
expect_err "Found. Tagging"
expect_err "unchanged: already in the registry"
expect_err "0 image(s) built, 1 unchanged; 4 object(s) applied (0 changed); 3 ready"

t "the demo previews without a cluster"
run env -u KUBECONFIG "$CDHOST" --offline --dry-run "$ROOT/recipes/demo.lua" --set namespace="$NS"
expect_rc 0
expect_out "image: 127.0.0.1:5000/cdhost/demo-web:"
expect_err "rollout.wait: not waiting in render mode"
finish
