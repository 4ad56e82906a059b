#!/usr/bin/env bash
# --default-repo and --multi-level-repo (docs/images.md): the flag's checks.
CDHOST=$1
. "$(dirname "$0")/lib.sh"
SHA=sha256:$(printf '%064d' 7)

r=$(recipe dr.lua <<'EOF'
local a = cdhost.image.build { name = "r.example.com/a/b", base = "scratch", tag = "v1" }
cdhost.log.info("NAME=" .. a.name)
EOF
)

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

finish
