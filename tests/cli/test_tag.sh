#!/usr/bin/env bash
# cdhost.tag.git and the other tag policies (docs/images.md) on temporary
# repositories made with the git CLI, whose own answers (rev-parse,
# describe, status) are the reference. Tags are computed in render mode
# with --offline: no registry, no network.
CDHOST=$1
. "$CDHOST_SRC/tests/cli/lib.sh"
export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=tester@example.com
export GIT_CONFIG_NOSYSTEM=1 HOME=$WORK/home
mkdir -p "$HOME"

R=$WORK/repo
git init -q -b main "$R"
mkdir -p "$R/sub/deep" "$R/other"
echo one > "$R/sub/deep/a.txt"; echo two > "$R/other/b.txt"; echo 'build/' > "$R/.gitignore"
# the recipes are ignored files: they must not make the tree dirty
echo 't*.lua' >> "$R/.git/info/exclude"
g() { git -C "$R" "$@"; }

# tag LUA-POLICY [DIR]: the tag image.build computes (render, --offline);
# $OUT/$ERR/$RC as run() leaves them.
tag() {
	local dir=${2:-$R}
	cat > "$dir/t.lua" <<EOF
local a = cdhost.image.build { name = "localhost:1/x", base = "scratch", tag = $1 }
cdhost.log.info("TAG=" .. a.tag)
EOF
	run "$CDHOST" --offline --dry-run "$dir/t.lua"
	TAG=$(sed -n 's/^.*TAG=//p' "$WORK/.err")
}
is() { [ "$TAG" = "$1" ] && ok || bad "tag '$TAG', expected '$1'"; }

t "not a git work tree: not_found"
mkdir -p "$WORK/plain"; touch "$WORK/plain/cdhost.libs"
tag 'cdhost.tag.git {}' "$WORK/plain"
expect_rc 1; expect_err "is not in a git work tree"; expect_err "[not_found]"

t "a repository without commits: not_found"
tag 'cdhost.tag.git {}'
expect_rc 1; expect_err "has no commits yet"; expect_err "[not_found]"

g add -A && g commit -qm one
t "no tags: variant tags falls back to the abbreviated commit (describe --tags --always)"
tag 'cdhost.tag.git {}'; expect_rc 0; is "$(g describe --tags --always)"
is "$(g rev-parse --short HEAD)"
t "commit, abbrev, tree, tree of a path, branch"
tag 'cdhost.tag.git { variant = "commit" }'; is "$(g rev-parse HEAD)"
tag 'cdhost.tag.git { variant = "abbrev" }'; is "$(g rev-parse --short HEAD)"
tag 'cdhost.tag.git { variant = "tree" }'; is "$(g rev-parse 'HEAD^{tree}')"
tag 'cdhost.tag.git { variant = "tree", path = "sub" }'; is "$(g rev-parse HEAD:sub)"
tag 'cdhost.tag.git { variant = "tree", path = "sub/deep/" }'; is "$(g rev-parse HEAD:sub/deep)"
tag 'cdhost.tag.git { variant = "branch" }'; is main
tag 'cdhost.tag.git { variant = "branch", prefix = "br-" }'; is br-main

t "tags: a lightweight tag on HEAD, then commits after an annotated tag"
g tag v1.0
tag 'cdhost.tag.git {}'; expect_rc 0; is v1.0
echo three >> "$R/other/b.txt"; g commit -qam two
g tag -a v1.1 -m "release 1.1"
echo four >> "$R/other/b.txt"; g commit -qam three
echo five >> "$R/other/b.txt"; g commit -qam four
tag 'cdhost.tag.git { variant = "tags" }'; expect_rc 0; is "$(g describe --tags --always)"
case $TAG in v1.1-2-g*) ok ;; *) bad "describe form" ;; esac

t "tags are sanitized to the OCI grammar"
g tag 'release/2.0+build'
tag 'cdhost.tag.git {}'; is release-2.0-build
g checkout -q -b feature/login
tag 'cdhost.tag.git { variant = "branch" }'; is feature-login
tag 'cdhost.tag.git { variant = "abbrev", prefix = ".pre/" }'; is "_pre-$(g rev-parse --short HEAD)"
g checkout -q main; g tag -d 'release/2.0+build' >/dev/null

t "dirty: a modified tracked file (as git describe --dirty)"
echo changed >> "$R/sub/deep/a.txt"
tag 'cdhost.tag.git {}'; is "$(g describe --tags --always --dirty)"
is "$(g describe --tags --always)-dirty"
tag 'cdhost.tag.git { dirty = false }'; is "$(g describe --tags --always)"
tag 'cdhost.tag.git { variant = "commit" }'; is "$(g rev-parse HEAD)-dirty"
t "dirty narrowed by path: a change elsewhere does not count"
tag 'cdhost.tag.git { variant = "tree", path = "other" }'; is "$(g rev-parse HEAD:other)"
tag 'cdhost.tag.git { variant = "tree", path = "sub" }'; is "$(g rev-parse HEAD:sub)-dirty"
g checkout -q -- sub
t "dirty: staged only, a deleted file"
echo staged >> "$R/other/b.txt"; g add other/b.txt
tag 'cdhost.tag.git { variant = "abbrev" }'; is "$(g rev-parse --short HEAD)-dirty"
g reset -q --hard
rm "$R/sub/deep/a.txt"
tag 'cdhost.tag.git { variant = "abbrev" }'; is "$(g rev-parse --short HEAD)-dirty"
g checkout -q -- sub
tag 'cdhost.tag.git { variant = "abbrev" }'; is "$(g rev-parse --short HEAD)"
[ -z "$(g status --porcelain)" ] && ok || bad "the reference says the tree is not clean"

t "dirty: untracked files count (git status, as Skaffold), ignored files do not"
mkdir -p "$R/build"; echo junk > "$R/build/out.o"
tag 'cdhost.tag.git { variant = "abbrev" }'; is "$(g rev-parse --short HEAD)"
mkdir -p "$R/sub/new"; echo new > "$R/sub/new/c.txt"
[ -n "$(g status --porcelain)" ] && ok || bad "the reference sees no untracked file"
tag 'cdhost.tag.git { variant = "abbrev" }'; is "$(g rev-parse --short HEAD)-dirty"
tag 'cdhost.tag.git { variant = "abbrev", path = "sub" }'; is "$(g rev-parse --short HEAD)-dirty"
tag 'cdhost.tag.git { variant = "abbrev", path = "other" }'; is "$(g rev-parse --short HEAD)"
t "a path that is not in HEAD: not_found for the tree"
tag 'cdhost.tag.git { variant = "tree", path = "sub/new" }'
expect_rc 1; expect_err "path 'sub/new' is not in HEAD"; expect_err "[not_found]"
rm -rf "$R/sub/new" "$R/build"

t "a project in a subdirectory of the repository: the whole work tree by default"
mkdir -p "$R/app"; echo 'return {}' > "$R/app/cdhost.libs"; g add app; g commit -qm app
tag 'cdhost.tag.git { variant = "tree" }' "$R/app"; expect_rc 0; is "$(g rev-parse 'HEAD^{tree}')"
tag 'cdhost.tag.git { variant = "tree", path = "." }' "$R/app"; is "$(g rev-parse HEAD:app)"
tag 'cdhost.tag.git { variant = "commit", path = "." }' "$R/app"; is "$(g rev-parse HEAD)"
echo edit >> "$R/other/b.txt"
tag 'cdhost.tag.git { variant = "commit", path = "." }' "$R/app"; is "$(g rev-parse HEAD)"
tag 'cdhost.tag.git { variant = "commit" }' "$R/app"; is "$(g rev-parse HEAD)-dirty"
g checkout -q -- other
t "path may not leave the project root (sandbox)"
tag 'cdhost.tag.git { path = "../other" }' "$R/app"; expect_rc 5
tag 'cdhost.tag.git { path = "/etc" }' "$R/app"; expect_rc 5

t "detached HEAD: variant branch is an error naming the fix; others work"
g checkout -q --detach HEAD~1
tag 'cdhost.tag.git { variant = "branch" }'
expect_rc 1; expect_err "HEAD is detached (at $(g rev-parse --short=12 HEAD))"; expect_err "[invalid]"
tag 'cdhost.tag.git { variant = "abbrev" }'; expect_rc 0; is "$(g rev-parse --short HEAD)"
tag 'cdhost.tag.git {}'; is "$(g describe --tags --always)"
g checkout -q main

t "template: {{git}} with its options, {{input}}, {{datetime}}; sha256 is the input digest"
tag 'cdhost.tag.sha256()'; digest=$TAG
[ ${#digest} = 64 ] && ok || bad "not a sha256"
tag 'cdhost.tag.input_digest()'; is "$digest"
tag 'cdhost.tag.template("{{git}}-{{input}}")'; is "$(g describe --tags --always)-$digest"
tag 'cdhost.tag.template("{{git}}_x", { git = { variant = "commit", dirty = false } })'; is "$(g rev-parse HEAD)_x"
tag 'cdhost.tag.template("d{{datetime}}")'
case $TAG in d20[0-9][0-9][01][0-9][0-3][0-9]-[0-2][0-9][0-5][0-9][0-5][0-9]) ok ;; *) bad "datetime form" ;; esac
tag 'cdhost.tag.datetime("%Y")'; is "$(date -u +%Y)"
tag 'cdhost.tag.template("{{nope}}")'
expect_rc 1; expect_err "unknown field {{nope}} (known: input, datetime, git)"

t "bad options: clear invalid errors"
tag 'cdhost.tag.git { variant = "sha" }'
expect_rc 1; expect_err 'unknown variant "sha" (known: tags, commit, abbrev, tree, branch)'; expect_err "[invalid]"
tag 'cdhost.tag.git { varaint = "tags" }'
expect_rc 1; expect_err "unknown option 'varaint'"
tag 'cdhost.tag.git { dirty = "yes" }'
expect_rc 1; expect_err "\`dirty\` must be a boolean"
tag 'cdhost.tag.git "abbrev"'
expect_rc 1; expect_err "options must be a table"
tag 'cdhost.tag.template("{{git}}", { git = { variant = 1 } })'
expect_rc 1; expect_err "\`variant\` must be a string"

t "local only: works with no network at all, in render and check"
if unshare -n true 2>/dev/null; then
	tag 'cdhost.tag.git { variant = "commit" }'
	run unshare -n "$CDHOST" --offline --dry-run "$R/t.lua"
	expect_rc 0; expect_err "TAG=$(g rev-parse HEAD)"
	run unshare -n "$CDHOST" check "$R/t.lua"; expect_rc 0
else
	bad "unshare -n is not available (run the tests as root)"
fi
finish
