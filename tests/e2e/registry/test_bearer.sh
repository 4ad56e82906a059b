#!/usr/bin/env bash
# HTTPS + token auth (RS256 JWTs with x5c from tests/helpers/token_issuer.py):
# anonymous pulls, Basic credentials from a helper, identity tokens, scopes.
. "$(dirname "$0")/lib.sh"
R=$REG_BEARER
mkdir -p "$WORK/anon"

t "anonymous pull where the token server allows it"
DOCKER_CONFIG=$WORK/anon cdh resolve ref="$R/seed/multi:v1"
expect_rc 0
expect_eq "$(field digest)" "$(sk_digest "$R/seed/multi:v1")"

t "anonymous push is refused: unauthorized"
DOCKER_CONFIG=$WORK/anon cdh copy src="$R/seed/one:v1" dst="$R/$NS/anon:v1"
expect_rc 1
expect_err "[unauthorized]"
sk_exists "$R/$NS/anon:v1" && bad "a tag exists after a refused push" || ok

t "copy with a token for pull,push plus the mount source's pull"
cdh copy src="$R/seed/multi:v1" dst="$R/$NS/multi:v1"
expect_rc 0
expect_eq "$(sk_digest "$R/$NS/multi:v1")" "$(sk_digest "$R/seed/multi:v1")"
grep -q "\"name\": \"seed/multi\", \"actions\": \[\"pull\"\]" "$REG_STATE/logs/tokens.log" \
	&& ok || bad "no token carried repository:seed/multi:pull for the mount"

t "copy from the HTTPS Basic registry"
cdh copy src="$REG_BASIC/seed/one:v1" dst="$R/$NS/one:v2"
expect_rc 0
expect_eq "$(sk_digest "$R/$NS/one:v2")" "$(sk_digest "$REG_BASIC/seed/one:v1")"

t "tags"
cdh tags ref="$R/$NS/multi"
expect_rc 0
expect_eq "$RESULT" '["v1"]'

t "identity token (OAuth2 refresh_token grant by POST)"
mkdir -p "$WORK/idcfg"
printf '{"auths":{"%s":{"identitytoken":"%s"}}}' "$R" "$REG_IDTOKEN" > "$WORK/idcfg/config.json"
DOCKER_CONFIG=$WORK/idcfg CDH_FLAGS=-v cdh copy src="$R/seed/one:v1" dst="$R/$NS/id:v1"
expect_rc 0
expect_eq "$(sk_digest "$R/$NS/id:v1")" "$(sk_digest "$R/seed/one:v1")"
expect_no_err "$REG_IDTOKEN"

t "wrong credentials: the token server refuses, nothing is printed"
mkdir -p "$WORK/badcfg"
printf '{"auths":{"%s":{"username":"alice","password":"not-the-Pa55"}}}' "$R" > "$WORK/badcfg/config.json"
DOCKER_CONFIG=$WORK/badcfg CDH_FLAGS=-v cdh copy src="$R/seed/one:v1" dst="$R/$NS/bad:v1"
expect_rc 1
expect_err "[unauthorized]"
expect_err "refused user \"alice\""
expect_no_err "not-the-Pa55"
sk_exists "$R/$NS/bad:v1" && bad "a tag exists after a refused push" || ok

finish
