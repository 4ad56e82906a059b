#!/usr/bin/env bash
# HTTPS git remotes signed by a private CA (issue 7): a test CA and server
# certificate made here with openssl, git http-backend behind
# tests/helpers/git_http.py speaking TLS with Basic auth. GitOps commit +
# push and `cdhost lib sync` work when the CA is configured (CDHOST_GIT_CA,
# or git's GIT_SSL_CAINFO) and fail with an error naming the host when it is
# not. Results checked with the git CLI.
. "$(dirname "$0")/lib.sh"
unset CDHOST_GIT_CA GIT_SSL_CAINFO SSL_CERT_FILE SSL_CERT_DIR

# ---- a CA, a server certificate for localhost, and an unrelated CA ----
K=$WORK/tls; mkdir -p "$K"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/ca.key" -out "$K/ca.crt" \
	-days 2 -subj "/CN=cdhost test CA" 2>/dev/null || { echo "FAIL: openssl" >&2; exit 1; }
openssl req -newkey rsa:2048 -nodes -keyout "$K/srv.key" -out "$K/srv.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$K/ext.cnf"
openssl x509 -req -in "$K/srv.csr" -CA "$K/ca.crt" -CAkey "$K/ca.key" -CAcreateserial \
	-out "$K/srv.crt" -days 2 -extfile "$K/ext.cnf" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$K/other.key" -out "$K/other.crt" \
	-days 2 -subj "/CN=another CA" 2>/dev/null

# ---- the HTTPS server (stopped on exit) ----
python3 "$CDHOST_SRC/tests/helpers/git_http.py" --root "$GIT_REPOS" --user "$GIT_HTTP_USER" \
	--password "$GIT_HTTP_PASSWORD" --port-file "$K/port" --tls-cert "$K/srv.crt" \
	--tls-key "$K/srv.key" >"$K/http.log" 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do [ -s "$K/port" ] && break; sleep 0.05; done
[ -s "$K/port" ] || { cat "$K/http.log" >&2; echo "FAIL: git_http.py --tls did not start" >&2; exit 1; }
PORT=$(cat "$K/port")
# the credentials file as git itself writes it (host:port percent-encoded)
for h in localhost 127.0.0.1; do
	printf 'protocol=https\nhost=%s:%s\nusername=%s\npassword=%s\n\n' "$h" "$PORT" \
		"$GIT_HTTP_USER" "$GIT_HTTP_PASSWORD" | git credential-store --file="$K/creds" store
done
grep -q "@localhost%3a$PORT" "$K/creds" || { echo "FAIL: unexpected credential-store format: $(cat "$K/creds")" >&2; exit 1; }
export CDHOST_GIT_CREDENTIALS=$K/creds

bare=$(new_repo tls)
U="https://localhost:$PORT/$TESTID-tls.git"
t "the reference client trusts the server with the test CA"
git -c http.sslCAInfo="$K/ca.crt" -c credential.helper="store --file=$K/creds" ls-remote "$U" main >/dev/null 2>"$WORK/.err" &&
	ok || bad "git ls-remote over TLS: $(cat "$WORK/.err")"

cat > "$WORK/commit.lua" <<'LUA'
local r = cdhost.git.commit { repo = cdhost.args.repo, branch = "main", path = "prod",
  files = { ["web.yaml"] = "kind: ConfigMap\nmetadata: {name: " .. (cdhost.args.name or "web") .. "}\n" },
  message = "deploy over https" }
print("RESULT changed=" .. tostring(r.changed) .. " pushed=" .. tostring(r.pushed))
LUA

t "without the CA: unauthorized, naming the host and the fix; nothing pushed"
run "$CDHOST" run "$WORK/commit.lua" --set repo="$U"
expect_rc 1; expect_err "[unauthorized]"; expect_err "https://localhost:$PORT/"
expect_err "the server's TLS certificate is not trusted"; expect_err "set CDHOST_GIT_CA"
[ "$(count "$bare")" = 1 ] && ok || bad "a commit reached the remote"

t "CDHOST_GIT_CA: commit + push, then an unchanged render makes no commit"
run env CDHOST_GIT_CA="$K/ca.crt" "$CDHOST" run "$WORK/commit.lua" --set repo="$U"
expect_rc 0; expect_err "RESULT changed=true pushed=true"
[ "$(count "$bare")" = 2 ] && ok || bad "expected 2 commits, got $(count "$bare")"
[ "$(g "$bare" show main:prod/web.yaml | tail -1)" = "metadata: {name: web}" ] && ok || bad "pushed content"
[ "$(g "$bare" log -1 --format=%s main)" = "deploy over https" ] && ok || bad "message"
run env CDHOST_GIT_CA="$K/ca.crt" "$CDHOST" run "$WORK/commit.lua" --set repo="$U"
expect_rc 0; expect_err "RESULT changed=false pushed=false"
[ "$(count "$bare")" = 2 ] && ok || bad "an unchanged render made a commit"

t "git's own GIT_SSL_CAINFO is honoured too; CDHOST_GIT_CA wins over it"
run env GIT_SSL_CAINFO="$K/ca.crt" "$CDHOST" run "$WORK/commit.lua" --set repo="$U" --set name=api
expect_rc 0; expect_err "RESULT changed=true pushed=true"
[ "$(count "$bare")" = 3 ] && ok || bad "expected 3 commits"
run env GIT_SSL_CAINFO="$K/ca.crt" CDHOST_GIT_CA="$K/other.crt" "$CDHOST" run "$WORK/commit.lua" --set repo="$U" --set name=db
expect_rc 1; expect_err "(checked against CDHOST_GIT_CA=$K/other.crt only)"

t "a CA that did not sign the server: unauthorized; a missing bundle: invalid"
run env CDHOST_GIT_CA="$K/other.crt" "$CDHOST" run "$WORK/commit.lua" --set repo="$U" --set name=db
expect_rc 1; expect_err "[unauthorized]"; expect_err "https://localhost:$PORT/"
expect_err "not correctly signed by the trusted CA"
run env CDHOST_GIT_CA="$K/nope.pem" "$CDHOST" run "$WORK/commit.lua" --set repo="$U" --set name=db
expect_rc 1; expect_err "CDHOST_GIT_CA=$K/nope.pem: cannot load the CA bundle"; expect_err "[invalid]"
[ "$(count "$bare")" = 3 ] && ok || bad "a failed run pushed"

t "libgit2's TLS (mbedTLS 2) matches DNS names only: an IP address URL is refused clearly"
run env CDHOST_GIT_CA="$K/ca.crt" "$CDHOST" run "$WORK/commit.lua" --set repo="https://127.0.0.1:$PORT/$TESTID-tls.git"
expect_rc 1; expect_err "https://127.0.0.1:$PORT/"; expect_err "does not match with the expected CN"

# ---- cdhost lib sync over HTTPS ----
src=$WORK/libsrc
git init -q -b main "$src"
echo 'return { over = "https" }' > "$src/init.lua"
git -C "$src" add -A && git -C "$src" commit -qm v1 && git -C "$src" tag v1
lbare=$GIT_REPOS/$TESTID-lib.git
git clone -q --bare "$src" "$lbare"
P=$WORK/project; mkdir -p "$P"
printf 'return { tls = { git = "https://localhost:%s/%s-lib.git", ref = "v1" } }\n' "$PORT" "$TESTID" > "$P/cdhost.libs"
echo 'cdhost.log.info("lib " .. require("tls").over)' > "$P/use.lua"
cd "$P"
t "lib sync without the CA: unauthorized naming the host; nothing written"
run "$CDHOST" lib sync
expect_rc 1; expect_err "library 'tls'"; expect_err "https://localhost:$PORT/"; expect_err "[unauthorized]"
[ ! -e "$P/cdhost.lock" ] && [ ! -e "$P/.cdhost/libs/tls" ] && ok || bad "a failed sync wrote something"
t "lib sync with CDHOST_GIT_CA vendors the tagged commit"
run env CDHOST_GIT_CA="$K/ca.crt" "$CDHOST" lib sync
expect_rc 0; expect_err "tls v1 -> $(git -C "$src" rev-parse --short=12 v1)"
cmp -s "$src/init.lua" "$P/.cdhost/libs/tls/init.lua" && ok || bad "vendored file differs"
python3 -c 'import json,sys; assert json.load(open("cdhost.lock"))["libs"]["tls"]["commit"] == sys.argv[1]' \
	"$(git -C "$src" rev-parse v1)" && ok || bad "lock commit"
run unshare -n "$CDHOST" --offline --dry-run use.lua
expect_rc 0; expect_err "lib https"
t "lib update without the CA fails and leaves the lock alone"
cp cdhost.lock "$WORK/lock.bak"
echo 'return { over = "https", v = 2 }' > "$src/init.lua"
git -C "$src" commit -qam v2 && git -C "$src" tag -f v1 >/dev/null && git -C "$src" push -q -f "$lbare" v1
run env XDG_CACHE_HOME="$WORK/cache2" "$CDHOST" lib update
expect_rc 1; expect_err "https://localhost:$PORT/"; expect_err "not trusted"
cmp -s cdhost.lock "$WORK/lock.bak" && ok || bad "lock changed"
run env CDHOST_GIT_CA="$K/ca.crt" "$CDHOST" lib update
expect_rc 0; cmp -s "$src/init.lua" "$P/.cdhost/libs/tls/init.lua" && ok || bad "update did not vendor v2"
finish
