#!/usr/bin/env bash
# Shared recipe libraries (SPEC section 8, issue 7) against a real git
# daemon: lib sync/update/verify/list, cdhost.lock and its tree hash
# (recomputed here in Python from the spec), require by longest prefix with
# no fallback, tampering, a missing lock entry, bad cdhost.libs, libraries
# that try to leave the sandbox, offline render under unshare -n.
. "$(dirname "$0")/lib.sh"

# ---- the library repository (git CLI) ----
src=$WORK/libsrc
git init -q -b main "$src"
mkdir -p "$src/lib/k8s" "$src/other"
cat > "$src/lib/init.lua" <<'LUA'
return { name = "acme.deploy", version = "1" }
LUA
cat > "$src/lib/k8s/init.lua" <<'LUA'
local M = {}
function M.configmap(name, data)
  return { apiVersion = "v1", kind = "ConfigMap",
           metadata = { name = name, namespace = "acme" }, data = data }
end
return M
LUA
cat > "$src/lib/util.lua" <<'LUA'
return { greet = function(n) return "hello " .. n end, from = "library" }
LUA
printf '#!/bin/sh\necho tool\n' > "$src/lib/tool.sh"; chmod +x "$src/lib/tool.sh"
echo "not vendored" > "$src/other/README"
git -C "$src" add -A && git -C "$src" commit -qm v1 && git -C "$src" tag v1
bare=$GIT_REPOS/$TESTID-acme.git
git clone -q --bare "$src" "$bare"
LIBURL="git://127.0.0.1:$GIT_DAEMON_PORT/$TESTID-acme.git"

# ---- the project ----
P=$WORK/project
mkdir -p "$P/acme/deploy"
cat > "$P/cdhost.libs" <<LUA
return {
  ["acme.deploy"] = { git = "$LIBURL", ref = "v1", path = "lib" },
  ["acme"] = { git = "$LIBURL", ref = "main" },
}
LUA
# project files that shadow library modules: must never be loaded
echo 'error("SHADOWED: project file loaded instead of the library")' > "$P/acme/deploy/util.lua"
echo 'error("SHADOWED: project file loaded instead of the library")' > "$P/acme/deploy/nope.lua"
cat > "$P/app.lua" <<'LUA'
local k8s = require "acme.deploy.k8s"
local util = require "acme.deploy.util"
local top = require "acme.deploy"
local whole = require "acme.other"       -- no such module in library "acme"
LUA
cat > "$P/render.lua" <<'LUA'
local k8s = require "acme.deploy.k8s"
local util = require "acme.deploy.util"
local top = require "acme.deploy"
cdhost.log.info(util.greet("world") .. " v" .. top.version)
cdhost.kube.apply { k8s.configmap("cfg", { from = util.from }) }
LUA
cd "$P"

t "lib sync --dry-run resolves and says what it would install, writes nothing"
run "$CDHOST" --dry-run lib sync
expect_rc 0
expect_err "acme.deploy v1 -> $(git -C "$src" rev-parse v1 | cut -c1-12) (would be resolved and installed; --dry-run)"
expect_err "nothing fetched or written"
[ ! -e "$P/.cdhost" ] && [ ! -e "$P/cdhost.lock" ] && ok || bad "--dry-run wrote $(ls -a "$P")"
run "$CDHOST" -o json lib sync --dry-run
expect_rc 0
grep -q '"event":"log".*would be resolved and installed' "$WORK/.err" && ok || bad "no JSON log event for the plan"

t "a failed first sync leaves no .cdhost behind"
cp cdhost.libs "$WORK/libs.first"
printf 'return { far = { git = "git://127.0.0.1:1/x.git", ref = "v1" } }\n' > cdhost.libs
run "$CDHOST" lib sync; expect_rc 1; expect_err "[unreachable]"
[ ! -e "$P/.cdhost" ] && ok || bad ".cdhost left by a failed sync: $(find "$P/.cdhost")"
cp "$WORK/libs.first" cdhost.libs

t "lib sync vendors the locked trees and writes cdhost.lock"
run "$CDHOST" lib sync
expect_rc 0; expect_err "acme.deploy v1 ->"
[ -f "$P/.cdhost/libs/acme.deploy/k8s/init.lua" ] && ok || bad "k8s/init.lua not vendored"
[ ! -e "$P/.cdhost/libs/acme.deploy/other" ] && ok || bad "path= did not limit the subtree"
[ -x "$P/.cdhost/libs/acme.deploy/tool.sh" ] && ok || bad "executable bit lost"
[ -f "$P/.cdhost/libs/acme/other/README" ] && ok || bad "whole-repo library not vendored"
ls -a "$P/.cdhost/libs" | grep -q '^\.tmp' && bad "temporary directory left" || ok
python3 - "$P" "$(git -C "$src" rev-parse v1)" "$(git -C "$src" rev-parse main)" "$LIBURL" <<'PY' >"$WORK/.out" 2>&1 && ok || bad "lock check: $(cat "$WORK/.out")"
import hashlib, json, os, sys
root, v1, main, url = sys.argv[1:]
lock = json.load(open(os.path.join(root, "cdhost.lock")))
assert lock["version"] == 1, lock
def tree_hash(d):
    lines = []
    for dp, dns, fns in os.walk(d):
        for f in fns:
            p = os.path.join(dp, f)
            mode = "100755" if os.stat(p).st_mode & 0o111 else "100644"
            rel = os.path.relpath(p, d)
            lines.append(f"{mode} {rel}".encode() + b"\0" + hashlib.sha256(open(p, "rb").read()).hexdigest().encode() + b"\n")
    return hashlib.sha256(b"".join(sorted(lines))).hexdigest()
e = lock["libs"]["acme.deploy"]
assert e == {"git": url, "ref": "v1", "commit": v1, "path": "lib",
             "sha256": tree_hash(os.path.join(root, ".cdhost/libs/acme.deploy"))}, e
a = lock["libs"]["acme"]
assert a["commit"] == main and "path" not in a and a["ref"] == "main", a
assert a["sha256"] == tree_hash(os.path.join(root, ".cdhost/libs/acme")), a
PY
t "the vendored tree equals git archive of the commit (git CLI)"
mkdir -p "$WORK/ref" && git -C "$src" archive v1 lib | tar -x -C "$WORK/ref"
diff -r "$WORK/ref/lib" "$P/.cdhost/libs/acme.deploy" >/dev/null && ok || bad "vendored files differ from the commit"

t "require: longest prefix, library modules, never the shadowing project file"
run "$CDHOST" --dry-run render.lua
expect_rc 0; expect_err "hello world v1"; expect_out "from: library"; expect_no_err "SHADOWED"
run "$CDHOST" --dry-run app.lua
expect_rc 1; expect_err "module 'acme.other' not found in library 'acme'"; expect_err "[not_found]"
cat > "$P/nope.lua" <<'LUA'
require "acme.deploy.nope"
LUA
run "$CDHOST" --dry-run nope.lua
expect_rc 1; expect_err "not found in library 'acme.deploy'"; expect_no_err "SHADOWED"
first=$(cd "$P" && "$CDHOST" --dry-run render.lua 2>/dev/null)

t "after sync, --offline render works with no network at all"
run unshare -n "$CDHOST" --offline --dry-run render.lua
expect_rc 0; [ "$OUT" = "$first" ] && ok || bad "offline output differs"

t "lib sync --offline: nothing to fetch, works without network"
run unshare -n "$CDHOST" --offline lib sync
expect_rc 0; expect_err "up to date"
t "lib sync --offline restores a damaged tree from the cache; update needs the network"
echo '-- damaged' >> "$P/.cdhost/libs/acme.deploy/init.lua"
run unshare -n "$CDHOST" --offline lib sync
expect_rc 0; expect_err "installed from the lock"
run "$CDHOST" lib verify; expect_rc 0
run "$CDHOST" --offline lib update
expect_rc 1; expect_err "--offline: cannot fetch"; expect_err "[unreachable]"
run "$CDHOST" lib verify; expect_rc 0

t "lib verify and lib list"
run "$CDHOST" lib verify
expect_rc 0; expect_err "acme.deploy ok"
run "$CDHOST" lib list
expect_rc 0; expect_out "acme.deploy	v1	$(git -C "$src" rev-parse --short=12 v1)	lib"; expect_out "ok"

t "a tampered vendored file: hash_mismatch naming the library"
echo '-- edited' >> "$P/.cdhost/libs/acme.deploy/util.lua"
run "$CDHOST" --dry-run render.lua
expect_rc 1; expect_err "library 'acme.deploy'"; expect_err "[hash_mismatch]"; expect_empty_out
run "$CDHOST" lib verify
expect_rc 1; expect_err "[hash_mismatch]"; expect_err "acme ok"
t "an added file and a symlink are tampering too"
run "$CDHOST" lib sync; expect_rc 0; expect_err "installed from the lock"
run "$CDHOST" lib verify; expect_rc 0
echo 'return 1' > "$P/.cdhost/libs/acme.deploy/extra.lua"
run "$CDHOST" --dry-run render.lua; expect_rc 1; expect_err "[hash_mismatch]"
rm "$P/.cdhost/libs/acme.deploy/extra.lua"
ln -s /etc/passwd "$P/.cdhost/libs/acme.deploy/passwd"
run "$CDHOST" --dry-run render.lua; expect_rc 1; expect_err "[hash_mismatch]"
rm "$P/.cdhost/libs/acme.deploy/passwd"
run "$CDHOST" --dry-run render.lua; expect_rc 0

t "a lock entry without its vendored library: hash_mismatch naming it; sync restores it"
mv "$P/.cdhost/libs/acme.deploy" "$WORK/acme.deploy.moved"
run "$CDHOST" --dry-run render.lua
expect_rc 1; expect_err "library 'acme.deploy' is not vendored under .cdhost/libs/acme.deploy"; expect_err "[hash_mismatch]"
run "$CDHOST" lib verify; expect_rc 1; expect_err "acme.deploy"
run "$CDHOST" lib sync; expect_rc 0; expect_err "acme.deploy v1 ->"
diff -r "$WORK/acme.deploy.moved" "$P/.cdhost/libs/acme.deploy" >/dev/null && ok || bad "restored tree differs"
run "$CDHOST" --dry-run render.lua; expect_rc 0

t "a missing lock entry: hash_mismatch naming the library"
cp cdhost.lock "$WORK/lock.bak"
python3 -c 'import json,sys; l=json.load(open("cdhost.lock")); del l["libs"]["acme.deploy"]; json.dump(l, open("cdhost.lock","w"))'
run "$CDHOST" --dry-run render.lua
expect_rc 1; expect_err "library 'acme.deploy' has no entry in cdhost.lock"; expect_err "[hash_mismatch]"
run "$CDHOST" lib verify; expect_rc 1
t "lib sync adds the missing entry at the ref's commit"
run "$CDHOST" lib sync; expect_rc 0
cmp -s cdhost.lock "$WORK/lock.bak" && ok || bad "lock differs after re-adding the entry"

t "lib sync keeps locked commits; lib update NAME re-resolves"
echo 'return { changed = true }' > "$src/lib/new.lua"
git -C "$src" add -A && git -C "$src" commit -qm v2 && git -C "$src" push -q "$bare" main
run "$CDHOST" lib sync; expect_rc 0; expect_err "acme main at"
cmp -s cdhost.lock "$WORK/lock.bak" && ok || bad "sync moved a locked commit"
run "$CDHOST" --dry-run lib update acme; expect_rc 0
expect_err "acme main -> $(git -C "$src" rev-parse main | cut -c1-12) (would be resolved and installed; --dry-run)"
cmp -s cdhost.lock "$WORK/lock.bak" && ok || bad "update --dry-run changed the lock"
[ ! -e "$P/.cdhost/libs/acme/lib/new.lua" ] && ok || bad "update --dry-run vendored the new tree"
run "$CDHOST" lib update acme; expect_rc 0
python3 -c 'import json,sys; l=json.load(open("cdhost.lock")); assert l["libs"]["acme"]["commit"]==sys.argv[1]; assert l["libs"]["acme.deploy"]["commit"]==sys.argv[2]' \
	"$(git -C "$src" rev-parse main)" "$(git -C "$src" rev-parse v1)" && ok || bad "update did not re-resolve only 'acme'"
[ -f "$P/.cdhost/libs/acme/lib/new.lua" ] && ok || bad "updated tree not vendored"
run "$CDHOST" lib update nosuch; expect_rc 1; expect_err "no library 'nosuch'"

t "an unknown ref fails cleanly: nothing half-written"
cp cdhost.lock "$WORK/lock2.bak"
cp cdhost.libs "$WORK/libs.bak"
printf 'return { ["acme.deploy"] = { git = "%s", ref = "v1", path = "lib" }, acme = { git = "%s", ref = "main" }, bad = { git = "%s", ref = "no-such-tag" } }\n' "$LIBURL" "$LIBURL" "$LIBURL" > cdhost.libs
run "$CDHOST" lib sync
expect_rc 1; expect_err "ref 'no-such-tag' not found"; expect_err "[not_found]"
cmp -s cdhost.lock "$WORK/lock2.bak" && ok || bad "lock changed by a failed sync"
[ ! -e "$P/.cdhost/libs/bad" ] && ok || bad "partial library left"
ls -a "$P/.cdhost/libs" | grep -q '^\.tmp' && bad "temporary directory left" || ok
t "an unreachable library server fails with unreachable"
printf 'return { far = { git = "git://127.0.0.1:1/x.git", ref = "v1" } }\n' > cdhost.libs
run "$CDHOST" lib sync; expect_rc 1; expect_err "[unreachable]"
cp "$WORK/libs.bak" cdhost.libs

# snap: one hash over the whole .cdhost tree (types, modes, sizes, names,
# contents) and cdhost.lock, as the CLI tools see them.
snap() {
	(cd "$P" && find .cdhost cdhost.lock -printf '%y %m %s %p\n' | LC_ALL=C sort &&
		find .cdhost cdhost.lock -type f -exec sha256sum {} + | LC_ALL=C sort) | sha256sum
}
t "several libraries move and a later one fails: tree and lock byte-identical"
echo 'return { v = 3 }' > "$src/lib/v3.lua"
git -C "$src" add -A && git -C "$src" commit -qm v3 && git -C "$src" push -q "$bare" main
before=$(snap); cp cdhost.lock "$WORK/lock3.bak"
printf 'return { ["acme.deploy"] = { git = "%s", ref = "main", path = "lib" }, acme = { git = "%s", ref = "main" }, zz = { git = "git://127.0.0.1:1/x.git", ref = "v1" } }\n' "$LIBURL" "$LIBURL" > cdhost.libs
run "$CDHOST" lib update
expect_rc 1; expect_err "acme main -> $(git -C "$src" rev-parse --short=12 main) (resolved)"
expect_err "library 'zz'"; expect_err "[unreachable]"
[ "$(snap)" = "$before" ] && ok || bad "the tree or the lock changed after a failed update"
cmp -s cdhost.lock "$WORK/lock3.bak" && ok || bad "lock changed"
ls -a "$P/.cdhost/libs" | grep -q '^\.\(tmp\|old\)' && bad "temporary directory left" || ok
run "$CDHOST" lib sync
expect_rc 1; expect_err "library 'zz'"
[ "$(snap)" = "$before" ] && ok || bad "the tree or the lock changed after a failed sync"

t "a swap that fails half-way is rolled back (a busy mount point under .cdhost/libs)"
# acme is swapped first, then acme.deploy cannot be renamed (EBUSY): acme
# must be moved back and the lock left alone.
printf 'return { ["acme.deploy"] = { git = "%s", ref = "main", path = "lib" }, acme = { git = "%s", ref = "main" } }\n' "$LIBURL" "$LIBURL" > cdhost.libs
D=$P/.cdhost/libs/acme.deploy
run unshare -m sh -c "mount --bind '$D' '$D' && exec '$CDHOST' lib update"
expect_rc 1; expect_err "cannot move"; expect_err "[io]"
[ "$(snap)" = "$before" ] && ok || bad "the tree or the lock changed after a failed swap"
ls -a "$P/.cdhost/libs" | grep -q '^\.\(tmp\|old\)' && bad "temporary directory left" || ok
run "$CDHOST" lib verify; expect_rc 1; expect_err "cdhost.libs changed since cdhost.lock"
t "then the same update without the fault moves both, and removes what is gone"
run "$CDHOST" lib update; expect_rc 0
python3 -c 'import json,sys; l=json.load(open("cdhost.lock")); assert l["libs"]["acme"]["commit"]==sys.argv[1]==l["libs"]["acme.deploy"]["commit"]' \
	"$(git -C "$src" rev-parse main)" && ok || bad "update did not move both libraries"
[ -f "$P/.cdhost/libs/acme.deploy/v3.lua" ] && [ -f "$P/.cdhost/libs/acme/lib/v3.lua" ] && ok || bad "v3 not vendored"
printf 'return { acme = { git = "%s", ref = "main" } }\n' "$LIBURL" > cdhost.libs
run "$CDHOST" lib sync; expect_rc 0; expect_err "acme.deploy removed"
[ ! -e "$D" ] && ok || bad "removed library still vendored"
ls -a "$P/.cdhost/libs" | grep -q '^\.\(tmp\|old\)' && bad "temporary directory left" || ok
# back to the state the later tests expect
cp "$WORK/libs.bak" cdhost.libs; cp "$WORK/lock3.bak" cdhost.lock
run "$CDHOST" lib sync; expect_rc 0
[ "$(snap)" = "$before" ] && ok || bad "sync did not restore the locked trees"

t "bad cdhost.libs: syntax, types, unknown fields"
for bad in 'return {' 'return { x = { git = "u", ref = 1 } }' 'return { x = { git = "u", ref = "v", tag = "v" } }' \
	'return "acme"' 'return { ["../x"] = { git = "u", ref = "v" } }' 'return { x = { git = "u", ref = "v", path = "/etc" } }'; do
	echo "$bad" > cdhost.libs
	run "$CDHOST" lib sync; expect_rc 1; expect_err "cdhost.libs"; expect_err "[invalid]"
	run "$CDHOST" --dry-run render.lua; expect_rc 1; expect_err "cdhost.libs"
done
echo 'return { x = { git = "u", ref = "v" } } .. io.open("/etc/passwd")' > cdhost.libs
run "$CDHOST" lib sync; expect_rc 5; expect_err "'io' is not available"
cp "$WORK/libs.bak" cdhost.libs

t "libraries run in the same sandbox and cannot widen it"
esc=$WORK/escsrc; git init -q -b main "$esc"
echo 'return io.open("/etc/passwd")' > "$esc/io.lua"
echo 'return cdhost.fs.read("../../../etc/passwd")' > "$esc/fs.lua"
echo 'cdhost.fs.read = function() return "pwned" end' > "$esc/patch.lua"
echo 'return require "../../etc/passwd"' > "$esc/req.lua"
git -C "$esc" add -A && git -C "$esc" commit -qm esc
printf 'return { esc = { git = "%s", ref = "main" } }\n' "$esc" > cdhost.libs
run "$CDHOST" lib sync; expect_rc 0
for m in io fs req; do
	echo "require 'esc.$m'" > "$P/use.lua"
	run "$CDHOST" --dry-run use.lua; expect_rc 5
done
echo "require 'esc.patch'" > "$P/use.lua"
run "$CDHOST" --dry-run use.lua; expect_rc 1; expect_err "read-only"
cp "$WORK/libs.bak" cdhost.libs

t "lib: usage errors"
run "$CDHOST" lib; expect_rc 2
run "$CDHOST" lib frobnicate; expect_rc 2
mkdir -p "$WORK/nolibs/.git" "$WORK/nolibs/sub"
(cd "$WORK/nolibs/sub" && "$CDHOST" lib list >/dev/null 2>"$WORK/.err"); RC=$?
expect_rc 2; expect_err "no cdhost.libs"
finish
