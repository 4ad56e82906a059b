#!/usr/bin/env bash
# HTTPS with a test CA (CDHOST_REGISTRY_CA) and htpasswd Basic auth; the
# credentials come from a credential helper named in config.json.
. "$(dirname "$0")/lib.sh"
R=$REG_BASIC

t "resolve through the credential helper"
: > "$REG_STATE/logs/helper.log"
cdh resolve ref="$R/seed/one:v1"
expect_rc 0
expect_eq "$(field digest)" "$(sk_digest "$R/seed/one:v1")"
grep -qx "$R" "$REG_STATE/logs/helper.log" && ok || bad "the helper was not asked for $R"

t "copy from the plain registry (blobs streamed, verified, uploaded)"
cdh copy src="$REG_PLAIN/seed/multi:v1" dst="$R/$NS/multi:v1"
expect_rc 0
expect_eq "$(sk_digest "$R/$NS/multi:v1")" "$(sk_digest "$REG_PLAIN/seed/multi:v1")"
skopeo copy -q --all --src-cert-dir "$REG_CERTS_D" --src-creds "$REG_USER:$REG_PASS" \
	"docker://$R/$NS/multi:v1" "oci:$WORK/pulled:x" >/dev/null 2>&1 \
	&& ok || bad "skopeo cannot pull what cdhost pushed"

t "copy within the registry and list tags"
cdh copy src="$R/seed/one:v1" dst="$R/$NS/multi:v0"
expect_rc 0
cdh tags ref="$R/$NS/multi"
expect_eq "$RESULT" '["v0","v1"]'

t "wrong password: unauthorized, and the secret is never printed"
mkdir -p "$WORK/badcfg"
B64=$(printf 'alice:wrong-S3cret-pw' | base64 -w0)
printf '{"auths":{"%s":{"auth":"%s"}}}' "$R" "$B64" > "$WORK/badcfg/config.json"
DOCKER_CONFIG=$WORK/badcfg CDH_FLAGS=-v cdh resolve ref="$R/seed/one:v1"
expect_rc 1
expect_err "[unauthorized]"
expect_err "rejected user \"alice\" from $WORK/badcfg/config.json"
expect_no_err "wrong-S3cret-pw"
expect_no_err "$B64"

t "no credentials at all: unauthorized, says where it looked"
mkdir -p "$WORK/nocfg"
DOCKER_CONFIG=$WORK/nocfg cdh resolve ref="$R/seed/one:v1"
expect_rc 1
expect_err "[unauthorized]"
expect_err "requires credentials and none were found"

t "the right password with -v: no secret in any line"
CDH_FLAGS=-v cdh copy src="$R/seed/one:v1" dst="$R/$NS/v:1"
expect_rc 0
expect_no_err "$REG_PASS"
expect_no_err "$(printf '%s:%s' "$REG_USER" "$REG_PASS" | base64 -w0)"

t "HTTPS_PROXY is honoured, and NO_PROXY bypasses it"
HTTPS_PROXY=http://127.0.0.1:9 cdh exists ref="$R/seed/one:v1"
expect_rc 1
expect_err "Failed to connect to 127.0.0.1 port 9"
NO_PROXY=127.0.0.1 HTTPS_PROXY=http://127.0.0.1:9 cdh exists ref="$R/seed/one:v1"
expect_rc 0
expect_eq "$RESULT" '{"exists":true}'

t "without the test CA: TLS verification fails, with a hint"
CDHOST_REGISTRY_CA= cdh resolve ref="$R/seed/one:v1"
expect_rc 1
expect_err "[unreachable]"
expect_err "CDHOST_REGISTRY_CA"

finish
