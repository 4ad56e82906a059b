#!/usr/bin/env bash
# Credentials stay with their registry. Registry A (a fault proxy in front
# of the plain registry that asks every request for Basic credentials)
# hands cdhost an upload session at another origin B (Location) and the
# next page of a tag list at B (Link). cdhost follows both, and B (another
# proxy in front of the same registry, logging which requests carry an
# Authorization header) must never see A's credentials; A must.
. "$(dirname "$0")/lib.sh"
PW=canary-foreign-$RANDOM$RANDOM

PROXY_FLAGS=--log-auth proxy pb
B=$PX BLOG=$PXLOG
PROXY_FLAGS="--require-auth --log-auth" proxy pa "POST:/blobs/uploads/:relocate=http://$B:0" \
	"GET:/tags/list:link=http://$B/v2/seed/one/tags/list:1"
A=$PX ALOG=$PXLOG
mkdir -p "$WORK/cfg"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$A" "$(printf 'alice:%s' "$PW" | base64 -w0)" >"$WORK/cfg/config.json"
export DOCKER_CONFIG=$WORK/cfg
CDH_FLAGS="--insecure-registry $A --insecure-registry $B"

t "a copy into A: the upload goes on at B, without A's credentials"
cdh copy src="$REG_PLAIN/seed/one:v1" dst="$A/$NS/app:v1"
expect_rc 0
grep -q "^POST /v2/$NS/app/blobs/uploads/ 202 auth$" "$ALOG" && ok || bad "A did not get the POST with credentials: $(cat "$ALOG")"
grep -q "^PUT /v2/$NS/app/blobs/uploads/.* 201$" "$BLOG" && ok || bad "the upload did not go on at B: $(cat "$BLOG")"
grep -q " auth$" "$BLOG" && bad "B got credentials: $(grep ' auth$' "$BLOG" | head -3)" || ok
grep -q "^PUT /v2/$NS/app/manifests/v1 201 auth$" "$ALOG" && ok || bad "the manifest PUT did not go to A with credentials"
expect_eq "$(sk_digest "$REG_PLAIN/$NS/app:v1")" "$(sk_digest "$REG_PLAIN/seed/one:v1")"

t "a tag list whose next page is at B: fetched without A's credentials"
: >"$BLOG"
cdh tags ref="$A/seed/one"
expect_rc 0
grep -q "^GET /v2/seed/one/tags/list 200 auth$" "$ALOG" && ok || bad "A did not get the first page with credentials"
grep -q "^GET /v2/seed/one/tags/list 200$" "$BLOG" && ok || bad "the next page was not fetched at B: $(cat "$BLOG")"
grep -q " auth$" "$BLOG" && bad "B got credentials" || ok
expect_no_err "$PW"
finish
