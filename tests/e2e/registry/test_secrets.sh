#!/usr/bin/env bash
# Secrets hygiene against the authenticated registries (issue 9): native
# builds pushed to the HTTPS Basic and the Bearer registry, bases pulled from
# them (each from the other), registry.copy between them, with credentials
# from a docker config.json (`auth`), from the fixture's credential helper and
# from an identity token; in run mode with -v, --output json, both, under
# --dry-run and `build --file-output -`; and with a wrong password. The
# canaries: the password, base64 of "user:password", the wrong password (and
# its base64), the identity token, and every access and refresh token the
# token issuer handed out (its --token-log). Every stdout and stderr is
# searched for every canary, raw and base64 at each of the three byte
# alignments: none may appear. Positive controls print the canaries on
# purpose (raw, base64, through cdhost.env, in JSON events) and prove the
# search finds every one of them.
. "$(dirname "$0")/lib.sh"
TOKLOG=$REG_STATE/logs/issued-tokens.log
[ -f "$TOKLOG" ] || { echo "FAIL: $TOKLOG missing: the fixture's token issuer runs without --token-log (restart the fixture)" >&2; exit 1; }

P=$WORK/p
mkdir -p "$P/app" "$P/.git"
cp "$HERE/secrets.lua" "$P/secrets.lua"
printf 'hello\n' >"$P/app/hello.txt"
b64() { printf '%s' "$1" | base64 -w0; }
WRONG=wrong-Pa55-$RANDOM$RANDOM REGTOK=regtok-$RANDOM$RANDOM-canary HELPERPW=helper-Pa55-$RANDOM$RANDOM
STATIC=("$REG_PASS" "$(b64 "$REG_USER:$REG_PASS")" "$REG_IDTOKEN" "$WRONG" "$(b64 "$REG_USER:$WRONG")"
	"$REGTOK" "$HELPERPW")
tokens() { wc -l <"$TOKLOG"; }
TOK0=$(tokens)

# config.json files: `auth` (base64 of user:password) for both registries;
# username/password fields with a wrong password; an identity token.
mkdir -p "$WORK/auth" "$WORK/wrong" "$WORK/idtok"
printf '{"auths":{"%s":{"auth":"%s"},"https://%s/v1/":{"auth":"%s"}}}\n' \
	"$REG_BASIC" "$(b64 "$REG_USER:$REG_PASS")" "$REG_BEARER" "$(b64 "$REG_USER:$REG_PASS")" \
	>"$WORK/auth/config.json"
printf '{"auths":{"%s":{"username":"%s","password":"%s"},"%s":{"auth":"%s"}}}\n' \
	"$REG_BASIC" "$REG_USER" "$WRONG" "$REG_BEARER" "$(b64 "$REG_USER:$WRONG")" \
	>"$WORK/wrong/config.json"
printf '{"auths":{"%s":{"identitytoken":"%s"}}}\n' "$REG_BEARER" "$REG_IDTOKEN" >"$WORK/idtok/config.json"
# a registrytoken the registry rejects; a helper whose answer is broken JSON
# holding a password
mkdir -p "$WORK/regtok" "$WORK/broken" "$WORK/bin"
printf '{"auths":{"%s":{"registrytoken":"%s"}}}\n' "$REG_BEARER" "$REGTOK" >"$WORK/regtok/config.json"
printf '{"credHelpers":{"%s":"cdhostbroken"}}\n' "$REG_BASIC" >"$WORK/broken/config.json"
printf '#!/bin/sh\ncat >/dev/null\nprintf %s\n' "'{\"Username\":\"alice\",\"Secret\":\"$HELPERPW\"'" \
	>"$WORK/bin/docker-credential-cdhostbroken"
chmod +x "$WORK/bin/docker-credential-cdhostbroken"

# sc [FLAGS...] -- [--set ARGS...]: cdhost FLAGS (default command run) secrets.lua;
# $RC, $WORK/.out, $WORK/.err, $RESULT. Each call changes app/salt, so every
# run builds new images and really pushes.
N=0
sc() {
	local flags=() cmd=run
	while [ $# -gt 0 ] && [ "$1" != -- ]; do flags+=("$1"); shift; done
	shift
	case "${flags[0]:-}" in run | build) cmd=${flags[0]}; flags=("${flags[@]:1}") ;; esac
	N=$((N + 1))
	printf 'salt %s %s\n' "$N" "$RANDOM" >"$P/app/salt"
	(cd "$P" && "$CDHOST" "${flags[@]}" "$cmd" secrets.lua --set basic="$REG_BASIC" \
		--set bearer="$REG_BEARER" --set ns="$NS" "$@") >"$WORK/.out" 2>"$WORK/.err"
	RC=$?
	# the RESULT line, also from inside a JSON event (--output json)
	RESULT=$(python3 -c 'import json, sys
for line in open(sys.argv[1], errors="replace"):
    if line.startswith("{"):
        try: line = json.loads(line).get("message", "")
        except ValueError: pass
    if "RESULT " in line: r = line.split("RESULT ", 1)[1].strip()
print(r if "r" in dir() else "")' "$WORK/.err")
	cp "$WORK/.out" "$WORK/out.$N"
	cp "$WORK/.err" "$WORK/err.$N"
}

# jf KEY...: a field of $RESULT, by keys
jf() { python3 -c 'import json,sys
v = json.loads(sys.argv[1] or "{}")
for k in sys.argv[2:]: v = v.get(k, {}) if isinstance(v, dict) else {}
print(v if isinstance(v, str) else "")' "$RESULT" "$@"; }

# canaries: the static ones and every token issued so far, one per line
canaries() { printf '%s\n' "${STATIC[@]}"; cat "$TOKLOG"; }
# leaks FILE...: "INDEX FORM" for every canary (line INDEX of canaries) found
# in the files: raw, or base64 at byte offset 0, 1 or 2 (the characters that
# depend on the canary's bytes only, so a canary inside a longer encoded
# string is found too).
leaks() {
	canaries >"$WORK/canaries"
	python3 - "$WORK/canaries" "$@" <<'EOF'
import base64, sys
cans = [l.rstrip("\n").encode() for l in open(sys.argv[1], encoding="utf-8")]
text = b"".join(open(f, "rb").read() for f in sys.argv[2:])
for i, c in enumerate(cans):
    if not c:
        continue
    forms = [("raw", c)]
    for k in range(3):
        enc = base64.b64encode(b"\0" * k + c)
        g0, g1 = (k + 2) // 3, (k + len(c)) // 3   # groups made of canary bytes only
        if g1 - g0 >= 2:
            forms.append(("base64+%d" % k, enc[4 * g0:4 * g1]))
    for name, f in forms:
        if f in text:
            print(i, name)
            break
EOF
}
# no_leak WHAT: no canary in the last run's stdout and stderr
no_leak() {
	local found
	found=$(leaks "$WORK/.out" "$WORK/.err")
	[ -z "$found" ] && ok || bad "$1: canaries in the output (line of $WORK/canaries, form): $(echo "$found" | head -5 | tr '\n' ';')"
}

t "run -v with config.json auth: builds on both registries, bases from each other, copies"
DOCKER_CONFIG=$WORK/auth sc -v --
expect_rc 0
expect_err "built and pushed"
expect_err "GET https://$REG_ISSUER/token"        # bearer tokens were fetched
expect_err "/v2/seed/multi/manifests/v1 -> 200"    # a base pulled with credentials
[ "$(grep -c "^debug: PUT https://$REG_BASIC/v2/$NS/" "$WORK/.err")" -ge 3 ] && ok || bad "few pushes to the Basic registry"
[ "$(grep -c "^debug: PUT https://$REG_BEARER/v2/$NS/" "$WORK/.err")" -ge 3 ] && ok || bad "few pushes to the Bearer registry"
expect_eq "$(sk_digest "$REG_BEARER/$NS/copied:v1")" "$(jf basic digest)"
expect_eq "$(sk_digest "$REG_BASIC/$NS/copied:v1")" "$(sk_digest "$REG_BEARER/seed/multi:v1")"
no_leak "run -v"
[ "$(tokens)" -gt "$TOK0" ] && ok || bad "the token issuer logged no token during the run"

t "run --output json"
DOCKER_CONFIG=$WORK/auth sc --output json --
expect_rc 0
expect_err '"event":"summary"'
no_leak "run --output json"

t "run -v --output json"
DOCKER_CONFIG=$WORK/auth sc -v --output json --
expect_rc 0
expect_err "/token?service="
no_leak "run -v --output json"

t "--dry-run -v: tags computed, digests looked up with credentials, nothing written"
DOCKER_CONFIG=$WORK/auth sc --dry-run -v --
expect_rc 0
expect_err "would copy"
grep -qE "^debug: (PUT|POST|PATCH) " "$WORK/.err" && bad "--dry-run wrote to a registry" || ok
no_leak "--dry-run -v"

t "build --file-output - -v: the artifacts file on stdout"
DOCKER_CONFIG=$WORK/auth sc build -v --file-output - --
expect_rc 0
grep -qF "\"imageName\":\"$REG_BEARER/$NS/based\"" "$WORK/.out" && ok || bad "no artifact for $REG_BEARER/$NS/based on stdout"
no_leak "build --file-output -"

t "credentials from the credential helper: run -v --output json"
h0=$(grep -c "^$REG_BASIC$" "$REG_STATE/logs/helper.log")
sc -v --output json --
expect_rc 0
[ "$(grep -c "^$REG_BASIC$" "$REG_STATE/logs/helper.log")" -gt "$h0" ] && ok || bad "the helper was not asked"
no_leak "credential helper"

t "an identity token (refresh_token grant; the issuer also hands out a new refresh token)"
r0=$(grep -c '^rt-' "$TOKLOG")
DOCKER_CONFIG=$WORK/idtok sc -v --output json -- --set only=bearer
expect_rc 0
[ "$(grep -c '^rt-' "$TOKLOG")" -gt "$r0" ] && ok || bad "no refresh token was issued (the identity token was not used)"
expect_eq "$(sk_digest "$REG_BEARER/$NS/only:$(jf only tag)")" "$(jf only digest)"
no_leak "identity token"

t "a wrong password (Basic and Bearer): unauthorized, names the user and file, no canary"
for reg in basic bearer; do
	DOCKER_CONFIG=$WORK/wrong sc -v --output json -- --set only=$reg
	expect_rc 1
	expect_err '"code":"unauthorized"'
	expect_err '\"alice\" from '"$WORK/wrong/config.json"
	no_leak "wrong password, $reg"
done
DOCKER_CONFIG=$WORK/wrong sc -v --
expect_rc 1
expect_err "[unauthorized]"
expect_err "rejected user \"alice\" from $WORK/wrong/config.json"
no_leak "wrong password, text"

t "a registrytoken the registry rejects; a helper answering broken JSON with a password"
DOCKER_CONFIG=$WORK/regtok sc -v -- --set only=bearer
expect_rc 1
expect_err "[unauthorized]"
no_leak "rejected registrytoken"
PATH=$WORK/bin:$PATH DOCKER_CONFIG=$WORK/broken sc -v --output json -- --set only=basic
expect_rc 1
expect_err "docker-credential-cdhostbroken"
no_leak "broken helper output"

t "no canary in the blob store and cache cdhost writes"
found=$(find "$WORK/cache" -type f -print0 2>/dev/null | xargs -0 -r sh -c 'cat "$@" >"$0"' "$WORK/cache.all"; leaks "$WORK/cache.all")
[ -s "$WORK/cache.all" ] && ok || bad "cdhost wrote nothing under XDG_CACHE_HOME ($WORK/cache)"
[ -z "$found" ] && ok || bad "canaries in the cache: $found"

t "every output of this test, once more at the end (tokens issued later included)"
found=$(leaks "$WORK"/out.* "$WORK"/err.*)
[ -z "$found" ] && ok || bad "canaries: $found"
NCAN=$(canaries | wc -l)
[ "$NCAN" -ge $((${#STATIC[@]} + 10)) ] && ok || bad "only $NCAN canaries"

t "positive control: the canaries printed raw, in JSON events — every one is found"
canaries >"$P/control.txt"
NC=$(wc -l <"$P/control.txt")
(cd "$P" && CONTROL_PW=$REG_PASS "$CDHOST" --output json --allow-env CONTROL_PW run secrets.lua \
	--set print=control.txt --set env=CONTROL_PW) >"$WORK/.out" 2>"$WORK/.err"
RC=$?
expect_rc 0
expect_err '"control env: '"$REG_PASS"
expect_eq "$(leaks "$WORK/.out" "$WORK/.err" | wc -l)" "$NC"

t "positive control: the canaries printed base64-encoded at offsets 0, 1, 2 — every one is found"
canaries | python3 -c '
import base64, sys
for i, l in enumerate(sys.stdin):
    print(base64.b64encode(b"xy"[:i % 3] + l.rstrip("\n").encode()).decode())' >"$P/control.txt"
NC=$(wc -l <"$P/control.txt")
(cd "$P" && "$CDHOST" run secrets.lua --set print=control.txt) >"$WORK/.out" 2>"$WORK/.err"
RC=$?
expect_rc 0
expect_eq "$(leaks "$WORK/.out" "$WORK/.err" | grep -c ' base64+')" "$NC"
grep -qF "$REG_PASS" "$WORK/.err" && bad "the base64 control printed a raw canary" || ok
finish
