#!/usr/bin/env bash
# --default-repo and --multi-level-repo (docs/images.md): the flag's checks,
# the rewrite image.build applies (render, --offline) and the manifests
# set_images then gets, and deploy -a with artifacts files as Skaffold and
# cdhost write them (imageName = the name in the recipe, tag = where the
# image was pushed). Nothing here needs a registry or a cluster; the build
# side of --file-output is tests/e2e/image/test_native.sh.
CDHOST=$1
. "$(dirname "$0")/lib.sh"
SHA=sha256:$(printf '%064d' 7)

# The recipe: one image, one Deployment using it by the recipe's name.
r=$(recipe dr.lua <<'EOF'
local name = cdhost.args.name or "r.example.com/a/b"
local a = cdhost.image.build { name = name, base = "scratch", tag = "v1" }
cdhost.log.info("NAME=" .. a.name)
cdhost.log.info("IMAGE=" .. tostring(a.image))
cdhost.log.info("REF=" .. a.ref)
local objs = cdhost.manifest.parse(([[
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "%s"}]
]]):format(name))
local _, n = cdhost.manifest.set_images(objs, a)
cdhost.log.info("SET=" .. n .. " " .. objs[1].spec.template.spec.containers[1].image)
EOF
)
field() { sed -n "s/^.*$1=//p" "$WORK/.err" | tail -n1; }
is() { [ "$(field "$1")" = "$2" ] && ok || bad "$1 is '$(field "$1")', expected '$2'"; }

t "bad --default-repo values are usage errors naming the flag"
for v in "" "/" "Reg.example.com/team" "reg.example.com/Team" "reg.example.com/team:v1" "myrepo:v1" \
	"reg.example.com/team@$SHA" "reg..example.com/team" "reg.example.com/../team" "reg.example.com//team" ".."; do
	run "$CDHOST" --default-repo "$v" --offline --dry-run "$r"
	expect_rc 2; expect_err "cdhost: --default-repo \"$v\" "; expect_err "[usage]"; expect_empty_out
done
run "$CDHOST" --default-repo= --offline --dry-run "$r"
expect_rc 2; expect_err '--default-repo "" is empty'
run "$CDHOST" --default-repo Reg.example.com --offline --dry-run "$r"
expect_err "upper-case"
run "$CDHOST" --default-repo reg.example.com/team:v1 --offline --dry-run "$r"
expect_err "has a tag"
run "$CDHOST" --default-repo "reg.example.com/team@$SHA" --offline --dry-run "$r"
expect_err "has a digest"
run "$CDHOST" --default-repo reg..example.com --offline --dry-run "$r"
expect_err "is not a registry or repository name"
run "$CDHOST" --multi-level-repo=yes --offline --dry-run "$r"
expect_rc 2; expect_err "takes no value"
t "good values: a host, a host:port, a Docker Hub namespace, a trailing /"
for v in localhost:5000 127.0.0.1:5000/me myrepo reg.example.com/team/ gcr.io/my-project; do
	run "$CDHOST" --default-repo "$v" --offline --dry-run "$r"
	expect_rc 0
done

t "render: other registries get the name escaped into one component"
run "$CDHOST" --default-repo myreg.io/team --offline --dry-run "$r"
expect_rc 0
is NAME myreg.io/team/r_example_com_a_b; is IMAGE r.example.com/a/b
is REF myreg.io/team/r_example_com_a_b:v1; is SET "1 myreg.io/team/r_example_com_a_b:v1"
t "render: GCR and Artifact Registry take the name as it is"
run "$CDHOST" --default-repo gcr.io/myproject --offline --dry-run "$r" --set name=gcr.io/k8s-skaffold/example
expect_rc 0
is NAME gcr.io/myproject/gcr.io/k8s-skaffold/example; is IMAGE gcr.io/k8s-skaffold/example
is SET "1 gcr.io/myproject/gcr.io/k8s-skaffold/example:v1"
run "$CDHOST" --default-repo us-docker.pkg.dev/my-project/images --offline --dry-run "$r"
is NAME us-docker.pkg.dev/my-project/images/r.example.com/a/b
run "$CDHOST" --default-repo gcr.io/k8s-skaffold/myimage --offline --dry-run "$r" --set name=gcr.io/k8s-skaffold/skaffold-example1
is NAME gcr.io/k8s-skaffold/myimage/skaffold-example1
t "render: a name already under the repo is kept"
run "$CDHOST" --default-repo gcr.io/k8s-skaffold --offline --dry-run "$r" --set name=gcr.io/k8s-skaffold/example
is NAME gcr.io/k8s-skaffold/example; is IMAGE nil; is SET "1 gcr.io/k8s-skaffold/example:v1"
t "render: --multi-level-repo keeps the path for any registry"
run "$CDHOST" --default-repo myreg.io/team --multi-level-repo --offline --dry-run "$r"
expect_rc 0; is NAME myreg.io/team/r.example.com/a/b; is SET "1 myreg.io/team/r.example.com/a/b:v1"
t "render: without --default-repo nothing changes"
run "$CDHOST" --multi-level-repo --offline --dry-run "$r"
is NAME r.example.com/a/b; is IMAGE nil; is SET "1 r.example.com/a/b:v1"

# deploy -a: the artifact from the file; no registry, no cluster.
arts() { printf '{"builds":[{"imageName":"%s","tag":"%s"}]}' "$1" "$2" >"$WORK/arts.json"; }
deploy() { run "$CDHOST" "$@" deploy "$r" -a "$WORK/arts.json"; }

t "deploy -a --default-repo: a file as Skaffold and cdhost write it (imageName as in the recipe)"
arts r.example.com/a/b "myreg.io/team/r_example_com_a_b:v1@$SHA"
deploy --default-repo myreg.io/team
expect_rc 0
is NAME myreg.io/team/r_example_com_a_b; is IMAGE r.example.com/a/b
is REF "myreg.io/team/r_example_com_a_b:v1@$SHA"; is SET "1 myreg.io/team/r_example_com_a_b:v1@$SHA"
t "deploy -a without --default-repo: the same file, the tag as written"
deploy
expect_rc 0; is REF "myreg.io/team/r_example_com_a_b:v1@$SHA"; is SET "1 myreg.io/team/r_example_com_a_b:v1@$SHA"
t "deploy -a --default-repo: a GCR file from Skaffold"
arts gcr.io/k8s-skaffold/example "gcr.io/myproject/gcr.io/k8s-skaffold/example:v2@$SHA"
deploy --default-repo gcr.io/myproject --set name=gcr.io/k8s-skaffold/example
expect_rc 0; is REF "gcr.io/myproject/gcr.io/k8s-skaffold/example:v2@$SHA"
is SET "1 gcr.io/myproject/gcr.io/k8s-skaffold/example:v2@$SHA"
t "deploy -a --default-repo: a file built without it gets its tag rewritten (as skaffold deploy does)"
arts r.example.com/a/b "r.example.com/a/b:v1@$SHA"
deploy --default-repo myreg.io/team
expect_rc 0; is REF "myreg.io/team/r_example_com_a_b:v1@$SHA"; is NAME myreg.io/team/r_example_com_a_b
t "deploy -a --default-repo: a file of an earlier cdhost (imageName after --default-repo) still resolves"
arts myreg.io/team/r_example_com_a_b "myreg.io/team/r_example_com_a_b:v1@$SHA"
deploy --default-repo myreg.io/team
expect_rc 0; is REF "myreg.io/team/r_example_com_a_b:v1@$SHA"; is SET "1 myreg.io/team/r_example_com_a_b:v1@$SHA"
t "deploy -a: an image missing from the file is named as the recipe wrote it"
arts other "other:1"
deploy --default-repo myreg.io/team
expect_rc 1; expect_err "no artifact for r.example.com/a/b in $WORK/arts.json"; expect_err "[not_found]"
finish
