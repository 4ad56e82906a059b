#!/usr/bin/env bash
# cdhost init: the scaffold, what it refuses, and that the recipe it writes
# passes `check` and `--dry-run` offline (issue #8).
CDHOST=$1
. "$(dirname "$0")/lib.sh"
FILES="cdhost.libs deploy.lua k8s/deployment.yaml k8s/service.yaml site/index.html"

t "init in the current directory"
mkdir "$WORK/Shop_Web.2" && cd "$WORK/Shop_Web.2" || exit 1
run "$CDHOST" init
expect_rc 0
for f in $FILES; do
	expect_out "created $f"
	[ -s "$f" ] && ok || bad "$f was not written"
done
expect_out "cdhost --dry-run deploy.lua"; expect_out "cdhost check deploy.lua"
expect_no_out "cd "  # already there
grep -q 'require "cdhost.pipeline"' deploy.lua && ok || bad "deploy.lua does not use the pipeline"
grep -q 'builder = "native"' deploy.lua && ok || bad "deploy.lua has no native artifact"
grep -q '^--' deploy.lua && ok || bad "deploy.lua has no comments"
grep -q '@APP@' $FILES && bad "a placeholder is left" || ok
grep -q 'name: ${APP}' k8s/deployment.yaml && ok || bad "manifests do not use \${APP}"

t "the scaffolded recipe passes check and --dry-run offline"
run "$CDHOST" check deploy.lua
expect_rc 0; expect_err "check: deploy.lua is fine"; expect_empty_out
run "$CDHOST" --dry-run --offline deploy.lua
expect_rc 0
expect_out "kind: Deployment"; expect_out "kind: Service"
expect_out "name: shop-web-2"                        # made from the directory's name
expect_out "image: 127.0.0.1:5000/shop-web-2:"       # pinned to the computed tag
expect_out "app.kubernetes.io/part-of: shop-web-2"
expect_err "2 object(s) rendered"
expect_err "would build 127.0.0.1:5000/shop-web-2:"
run "$CDHOST" --dry-run --offline deploy.lua --set registry=ghcr.io/acme --set namespace=team-a
expect_rc 0; expect_out "image: ghcr.io/acme/shop-web-2:"; expect_out "namespace: team-a"
run "$CDHOST" lib list
expect_rc 0

t "never overwrites: an existing file stops it before anything is written"
mkdir "$WORK/p2" && cd "$WORK/p2" || exit 1
mkdir k8s && echo "keep me" >k8s/service.yaml
run "$CDHOST" init
expect_rc 1; expect_err "k8s/service.yaml already exists"; expect_err "nothing was written"
[ "$(cat k8s/service.yaml)" = "keep me" ] && ok || bad "k8s/service.yaml was changed"
[ "$(find . -type f | wc -l)" = 1 ] && ok || bad "files were written: $(find . -type f)"
ln -s /nonexistent deploy.lua    # a dangling symlink counts as existing
run "$CDHOST" init
expect_rc 1; expect_err "deploy.lua already exists"
[ ! -e /nonexistent ] && ok || bad "wrote through the symlink"

t "init DIR creates DIR, and says cd DIR"
cd "$WORK" || exit 1
run "$CDHOST" init new/app
expect_rc 0; expect_out "created new/app/deploy.lua"; expect_out "cd new/app"
run "$CDHOST" check new/app/deploy.lua
expect_rc 0
run "$CDHOST" init new/app
expect_rc 1; expect_err "new/app/cdhost.libs already exists"
run "$CDHOST" init 42
expect_rc 0
grep -q 'applyset = "app-42"' 42/deploy.lua && ok || bad "a digit-first name is not a DNS-1035 label"

t "init --dry-run lists the files, checks the same, writes nothing"
cd "$WORK" || exit 1
run "$CDHOST" --dry-run init dry/app
expect_rc 0; expect_out "would create dry/app/deploy.lua"; expect_out "would create dry/app/cdhost.libs"
expect_out "nothing was written; application name 'app'"
[ ! -e dry ] && ok || bad "--dry-run created $(find dry)"
run "$CDHOST" init new/app --dry-run
expect_rc 1; expect_err "new/app/cdhost.libs already exists"

t "usage"
echo x >"$WORK/afile"
run "$CDHOST" init "$WORK/afile"
expect_rc 1; expect_err "is not a directory"
run "$CDHOST" init a b
expect_rc 2; expect_err "unexpected argument 'b'"
run "$CDHOST" help init
expect_rc 0; expect_out "usage: cdhost init [DIR]"
run "$CDHOST" help
expect_out "init     scaffold a project"

finish
