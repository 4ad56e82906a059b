#!/usr/bin/env bash
# The example recipes that use the team library (recipes/lib, vendored in
# recipes/.cdhost/libs/team and pinned in recipes/cdhost.lock): they render
# with no network, the vendored tree is the locked commit's recipes/lib
# (checked with the git CLI), and tampering is caught.
CDHOST=$1
. "$CDHOST_SRC/tests/cli/lib.sh"
expect_eq() { [ "$1" = "$2" ] && ok || bad "got '$1', expected '$2'"; }
R=$CDHOST_SRC/recipes
# prod.lua renders a Helm chart and a kustomize overlay: helm and kubectl
# from the testenv cache (tests/e2e/env/testenv tools)
if ! bash "$CDHOST_SRC/tests/e2e/env/testenv" tools >"$WORK/.tools" 2>&1; then
	echo "FAIL: testenv tools: $(tail -3 "$WORK/.tools")" >&2; exit 1
fi
paths=$(bash "$CDHOST_SRC/tests/e2e/env/testenv" paths)
export PATH="$(dirname "$(sed -n 's/^helm=\([^ ]*\).*/\1/p' <<<"$paths")"):$(dirname "$(sed -n 's/^kubectl=\([^ ]*\).*/\1/p' <<<"$paths")"):$PATH"

t "prod.lua renders through the pipeline, the team library, Helm and kustomize"
run "$CDHOST" --dry-run "$R/prod.lua"
expect_rc 0; expect_out "kind: Deployment"; expect_out "kind: Service"
expect_out "name: shop-web"; expect_out "name: cart"; expect_out "name: worker"
expect_out "replicas: 3"; expect_out "replicas: 4"    # the overlay's patch
expect_err "(team library 1.0.0)"
expect_err "would build registry.example.com/shop/api:"
expect_err "with buildah (render mode)"
# every image is a built artifact's, pinned to its input-digest tag
expect_eq "$(grep -cE "image: registry.example.com/shop/(storefront|api):[0-9a-f]{64}$" <<<"$OUT")" 3
expect_eq "$(grep -c "image:" <<<"$OUT")" 3
expect_out "app.kubernetes.io/part-of: shop"
t "prod.lua --set image= keeps the given storefront image"
run "$CDHOST" --dry-run "$R/prod.lua" --set image=registry.example.com/shop/web:1.4.2
expect_rc 0; expect_out "image: registry.example.com/shop/web:1.4.2"
t "prod.lua: same bytes without network"
run "$CDHOST" --dry-run "$R/prod.lua"
first=$OUT
run unshare -n "$CDHOST" --offline --dry-run "$R/prod.lua"
expect_rc 0; [ "$OUT" = "$first" ] && ok || bad "output differs offline"

t "helm.lua: the chart with the built image, replicas from --set"
run "$CDHOST" --dry-run "$R/helm.lua" --set replicas=3
expect_rc 0; expect_out "name: cart"; expect_out "replicas: 3"
expect_eq "$(grep -cE "image: registry.example.com/shop/api:[0-9a-f]{64}$" <<<"$OUT")" 1
expect_out "app.kubernetes.io/managed-by: cdhost"; expect_err "helm: release cart, 2 objects"

t "gitops.lua: plan of the commit on stderr, Application on stdout"
run "$CDHOST" --dry-run "$R/gitops.lua"
expect_rc 0; expect_err "plan: commit 2 file(s) to https://git.example.com/shop/deploy.git branch env/prod"
expect_err "prod/shop/deployment-shop-web.yaml"
expect_out "kind: Application"; expect_out "targetRevision: env/prod"; expect_out "path: prod"

t "recipes/: lib verify, lib list"
run sh -c "cd '$R' && '$CDHOST' lib verify"
expect_rc 0; expect_err "team ok"
run sh -c "cd '$R' && '$CDHOST' lib list"
expect_rc 0; expect_out "team	main	"

t "the vendored tree is recipes/lib at the locked commit (git CLI)"
commit=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["libs"]["team"]["commit"])' "$R/cdhost.lock")
mkdir -p "$WORK/ref"
if git -C "$CDHOST_SRC" cat-file -e "$commit" 2>/dev/null; then
	git -C "$CDHOST_SRC" archive "$commit" recipes/lib | tar -x -C "$WORK/ref"
	diff -r "$WORK/ref/recipes/lib" "$R/.cdhost/libs/team" >/dev/null && ok || bad "vendored tree differs from $commit:recipes/lib"
else
	RC=-; bad "locked commit $commit is not in $CDHOST_SRC (a shallow clone?)"
fi

t "a tampered copy fails with hash_mismatch naming the library"
cp -r "$R" "$WORK/recipes"
echo '-- edited' >> "$WORK/recipes/.cdhost/libs/team/web.lua"
run "$CDHOST" --dry-run "$WORK/recipes/prod.lua"
expect_rc 1; expect_err "library 'team'"; expect_err "[hash_mismatch]"; expect_empty_out
t "a project file shadowing the library is never loaded"
cp "$R/.cdhost/libs/team/web.lua" "$WORK/recipes/.cdhost/libs/team/web.lua"
mkdir -p "$WORK/recipes/team"
echo 'error("SHADOWED")' > "$WORK/recipes/team/web.lua"
run "$CDHOST" --dry-run "$WORK/recipes/prod.lua"
expect_rc 0; expect_no_err "SHADOWED"; [ "$OUT" = "$first" ] && ok || bad "output differs"
finish
