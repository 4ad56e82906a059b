#!/usr/bin/env bash
# GitOps commits (issue 7) over every transport against real servers:
# commit + push, unchanged render = no commit, removed object = removed
# file, modes, credentials, host keys, missing branch/base, a junk cache and
# a push race between two cdhost processes. Checked with the git CLI.
. "$(dirname "$0")/lib.sh"

cat > "$WORK/commit.lua" <<'LUA'
local a = cdhost.args
local objs = cdhost.manifest.parse(cdhost.fs.read(a.objs or "objs.yaml"))
local auth
if a.auth or a.host_key then
  auth = { host_key = a.host_key }
  if a.auth then auth.username_env, auth.password_env = "GU", "GP" end
end
local r = cdhost.git.commit {
  repo = a.repo, branch = a.branch or "main", base = a.base, path = a.path or "prod/",
  files = cdhost.manifest.files(objs, { allow_secrets = a.allow_secrets == "1" }),
  message = a.message or "deploy shop", author = "CI Bot <ci@example.com>", auth = auth,
  push = a.push ~= "0",
}
print("RESULT changed=" .. tostring(r.changed) .. " pushed=" .. tostring(r.pushed)
      .. " commit=" .. tostring(r.commit))
LUA
objs() {   # objs NAME...: one ConfigMap per name in objs.yaml
	: > "$WORK/objs.yaml"
	for n in "$@"; do
		printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: shop}\ndata: {v: "%s"}\n---\n' \
			"$n" "$n" >> "$WORK/objs.yaml"
	done
}
C() { run env GU="$GIT_HTTP_USER" GP="${GP:-$GIT_HTTP_PASSWORD}" \
	CDHOST_GIT_SSH_KEY="$GIT_SSH_KEY" CDHOST_KNOWN_HOSTS="${KH:-$GIT_KNOWN_HOSTS}" \
	"$CDHOST" --allow-env GU --allow-env GP "$@"; }

# ---- the full cycle over git://, HTTP with Basic auth and SSH ----
for tr in git http ssh; do
	bare=$(new_repo "cycle-$tr"); u=$(url $tr "cycle-$tr")
	extra=(); [ $tr = http ] && extra=(--set auth=1)
	t "$tr: commit + push"
	objs web api
	C run "$WORK/commit.lua" --set repo="$u" "${extra[@]}"
	expect_rc 0; expect_err "RESULT changed=true pushed=true"
	[ "$(count "$bare")" = 2 ] && ok || bad "expected 2 commits, got $(count "$bare")"
	[ "$(g "$bare" show main:prod/shop/configmap-web.yaml | grep -c 'v: web')" = 1 ] && ok || bad "file content"
	[ "$(g "$bare" log -1 --format='%an <%ae>|%s' main)" = "CI Bot <ci@example.com>|deploy shop" ] && ok || bad "author/message: $(g "$bare" log -1 --format='%an <%ae>|%s' main)"
	g "$bare" show main:README >/dev/null 2>&1 && ok || bad "README outside path/ was lost"
	expect_err "commit=$(g "$bare" rev-parse main)"

	t "$tr: unchanged render makes no commit"
	C run "$WORK/commit.lua" --set repo="$u" "${extra[@]}"
	expect_rc 0; expect_err "RESULT changed=false pushed=false"
	[ "$(count "$bare")" = 2 ] && ok || bad "a commit was made for an unchanged render"

	t "$tr: a removed object's file disappears"
	objs web
	C run "$WORK/commit.lua" --set repo="$u" "${extra[@]}"
	expect_rc 0; expect_err "RESULT changed=true pushed=true"
	[ "$(g "$bare" ls-tree -r --name-only main | tr '\n' ' ')" = "README prod/shop/configmap-web.yaml " ] && ok || bad "tree: $(g "$bare" ls-tree -r --name-only main | tr '\n' ' ')"
done

# ---- local path and file:// ----
for tr in path file; do
	t "$tr: commit + push"
	bare=$(new_repo "local-$tr"); objs web
	C run "$WORK/commit.lua" --set repo="$(url $tr "local-$tr")"
	expect_rc 0; expect_err "RESULT changed=true pushed=true"
	g "$bare" cat-file -e main:prod/shop/configmap-web.yaml 2>/dev/null && ok || bad "file missing"
done

# ---- modes ----
bare=$(new_repo modes); u=$(url git modes); objs web api
t "render shows files and message, writes nothing"
C --dry-run "$WORK/commit.lua" --set repo="$u" --set message="release 7"
expect_rc 0; expect_err 'plan: commit 2 file(s)'; expect_err 'release 7'
expect_err "prod/shop/configmap-api.yaml"; expect_empty_out
[ "$(count "$bare")" = 1 ] && ok || bad "render committed"
t "render needs no network"
run unshare -n env XDG_CACHE_HOME="$WORK/cache-render" "$CDHOST" --dry-run "$WORK/commit.lua" --set repo="$u"
expect_rc 0; expect_err 'plan: commit 2 file(s)'
[ ! -e "$WORK/cache-render" ] && ok || bad "render created a cache"
t "render with --output json: a git plan event"
C --dry-run -o json "$WORK/commit.lua" --set repo="$u"
expect_rc 0; expect_err '"phase":"git"'; expect_err '"event":"plan"'
t "push=false commits only in the cache"
C run "$WORK/commit.lua" --set repo="$u" --set push=0
expect_rc 0; expect_err "RESULT changed=true pushed=false"
[ "$(count "$bare")" = 1 ] && ok || bad "push=false pushed"

# ---- credentials and host keys ----
bare=$(new_repo auth)
t "http: wrong password -> unauthorized, never printed"
GP=not-the-password C run "$WORK/commit.lua" --set repo="$(url http auth)" --set auth=1
expect_rc 1; expect_err "[unauthorized]"; expect_err "refused the credentials"
expect_no_err "not-the-password"
t "http: no credentials -> unauthorized"
C run "$WORK/commit.lua" --set repo="$(url http auth)"
expect_rc 1; expect_err "[unauthorized]"; expect_no_err "$GIT_HTTP_PASSWORD"
t "http: a password variable not allowed by --allow-env -> sandbox violation"
run env GP=x "$CDHOST" run "$WORK/commit.lua" --set repo="$(url http auth)" --set auth=1
expect_rc 5; expect_err "--allow-env GU"
t "ssh: unknown host key is an error"
KH=$GIT_STATE/ssh/known_hosts_empty C run "$WORK/commit.lua" --set repo="$(url ssh auth)"
expect_rc 1; expect_err "unknown host key for [127.0.0.1]:$GIT_SSH_PORT"; expect_err "[unauthorized]"
t "ssh: a changed host key is an error"
KH=$GIT_STATE/ssh/known_hosts_wrong C run "$WORK/commit.lua" --set repo="$(url ssh auth)"
expect_rc 1; expect_err "does NOT match"
t "ssh: a wrong pinned host_key is an error, the right one works"
C run "$WORK/commit.lua" --set repo="$(url ssh auth)" --set host_key="$(cut -d' ' -f1-2 "$GIT_STATE/ssh/other_host.pub")"
expect_rc 1; expect_err "does not match the pinned host_key"
objs pinned
KH=$GIT_STATE/ssh/known_hosts_empty C run "$WORK/commit.lua" --set repo="$(url ssh auth)" --set host_key="$(cut -d' ' -f1-2 "$GIT_STATE/ssh/host_ed25519.pub")"
expect_rc 0; expect_err "RESULT changed=true pushed=true"
[ "$(count "$bare")" = 2 ] && ok || bad "nothing pushed with the pinned key"
t "ssh: a wildcard known_hosts pattern names the host, @revoked refuses its key"
hostkey=$(cut -d' ' -f1-2 "$GIT_STATE/ssh/host_ed25519.pub")
printf '[127.0.0.?]:*,!nothing %s\n' "$hostkey" > "$WORK/known_hosts_wild"
objs pinned wild
KH=$WORK/known_hosts_wild C run "$WORK/commit.lua" --set repo="$(url ssh auth)"
expect_rc 0; expect_err "RESULT changed=true pushed=true"
[ "$(count "$bare")" = 3 ] && ok || bad "nothing pushed through the wildcard entry"
printf '@revoked * %s\n' "$hostkey" | cat - "$GIT_KNOWN_HOSTS" > "$WORK/known_hosts_revoked"
objs pinned
KH=$WORK/known_hosts_revoked C run "$WORK/commit.lua" --set repo="$(url ssh auth)"
expect_rc 1; expect_err "[unauthorized]"
expect_err "the host key of [127.0.0.1]:$GIT_SSH_PORT is marked @revoked in $WORK/known_hosts_revoked"
[ "$(count "$bare")" = 3 ] && ok || bad "pushed with a revoked host key"
t "ssh: a key the server does not know -> unauthorized"
ssh-keygen -q -t ed25519 -N '' -f "$WORK/stranger"
run env CDHOST_GIT_SSH_KEY="$WORK/stranger" CDHOST_KNOWN_HOSTS="$GIT_KNOWN_HOSTS" "$CDHOST" run "$WORK/commit.lua" --set repo="$(url ssh auth)"
expect_rc 1; expect_err "[unauthorized]"

# ---- branches ----
bare=$(new_repo branches); u=$(url git branches); objs web
t "missing branch without base -> not_found, nothing pushed"
C run "$WORK/commit.lua" --set repo="$u" --set branch=env/prod
expect_rc 1; expect_err "branch 'env/prod' does not exist"; expect_err "[not_found]"
g "$bare" rev-parse -q --verify refs/heads/env/prod >/dev/null && bad "branch created" || ok
t "missing branch with base: created from base"
C run "$WORK/commit.lua" --set repo="$u" --set branch=env/prod --set base=main
expect_rc 0; expect_err "RESULT changed=true pushed=true"
[ "$(g "$bare" rev-parse env/prod~1)" = "$(g "$bare" rev-parse main)" ] && ok || bad "env/prod is not based on main"
t "missing base -> not_found"
C run "$WORK/commit.lua" --set repo="$u" --set branch=env/qa --set base=nope
expect_rc 1; expect_err "base branch 'nope' does not exist"
t "unreachable remote -> unreachable"
C run "$WORK/commit.lua" --set repo="git://127.0.0.1:1/nothing.git"
expect_rc 1; expect_err "[unreachable]"
t "a Secret is refused unless allow_secrets"
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\nstringData: {token: hunter2}\n' > "$WORK/secret.yaml"
C run "$WORK/commit.lua" --set repo="$u" --set objs=secret.yaml
expect_rc 1; expect_err "[forbidden]"; expect_no_err "hunter2"
t "bad file paths are refused"
cat > "$WORK/badpath.lua" <<'LUA'
cdhost.git.commit { repo = cdhost.args.repo, branch = "main", path = "prod",
  files = { ["../escape.yaml"] = "x" }, message = "m" }
LUA
C run "$WORK/badpath.lua" --set repo="$u"
expect_rc 1; expect_err "[invalid]"; expect_err "'..'"

# ---- a cache with junk: a stale local branch from an interrupted run ----
t "junk in the cache does not leak into the commit"
bare=$(new_repo junk); u=$(url git junk); objs one
C run "$WORK/commit.lua" --set repo="$u"
expect_rc 0
cache=$XDG_CACHE_HOME/cdhost/git/$(printf %s "$u" | sha256sum | cut -c1-16).git
[ -d "$cache" ] && ok || bad "cache repository not found"
junk=$(echo junk | git --git-dir="$cache" hash-object -w --stdin)
jt=$(printf '100644 blob %s\tjunk.txt\n' "$junk" | git --git-dir="$cache" mktree)
jc=$(git --git-dir="$cache" commit-tree -m junk "$jt")
git --git-dir="$cache" update-ref refs/heads/main "$jc"
echo garbage > "$cache/stray-file"
objs one two
C run "$WORK/commit.lua" --set repo="$u"
expect_rc 0; expect_err "RESULT changed=true pushed=true"
g "$bare" cat-file -e main:junk.txt 2>/dev/null && bad "junk reached the remote" || ok
[ "$(count "$bare")" = 3 ] && ok || bad "history: $(count "$bare") commits"

# ---- push race: two cdhost processes, the server holds each push 1s ----
t "push race: both changes land, linear history, no force"
bare=$(new_repo race); u=$(url git race)
cat > "$bare/hooks/pre-receive" <<'SH'
#!/bin/sh
cat >/dev/null
sleep 1
SH
chmod +x "$bare/hooks/pre-receive"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n' > "$WORK/a.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: shop}\n' > "$WORK/b.yaml"
XDG_CACHE_HOME=$WORK/cache-a "$CDHOST" run "$WORK/commit.lua" --set repo="$u" --set path=a --set objs=a.yaml >"$WORK/ra.out" 2>"$WORK/ra.err" &
pa=$!
sleep 0.3
XDG_CACHE_HOME=$WORK/cache-b "$CDHOST" run "$WORK/commit.lua" --set repo="$u" --set path=b --set objs=b.yaml >"$WORK/rb.out" 2>"$WORK/rb.err" &
pb=$!
wait $pa; RC=$?; expect_rc 0
wait $pb; RC=$?; expect_rc 0
[ "$(g "$bare" ls-tree -r --name-only main | tr '\n' ' ')" = "README a/shop/configmap-a.yaml b/shop/configmap-b.yaml " ] && ok || bad "tree after race: $(g "$bare" ls-tree -r --name-only main | tr '\n' ' ')"
[ "$(count "$bare")" = 3 ] && ok || bad "expected 3 commits, got $(count "$bare")"
[ "$(g "$bare" rev-list --merges --count main)" = 0 ] && ok || bad "merge commits"
cat "$WORK/ra.err" "$WORK/rb.err" > "$WORK/.err"
expect_err "after 2 attempts"
finish
