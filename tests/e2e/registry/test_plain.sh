#!/usr/bin/env bash
# Plain HTTP, anonymous (--insecure-registry): resolve, exists, copy (mount
# within the registry), tags, modes. Checked with skopeo.
. "$(dirname "$0")/lib.sh"
R=$REG_PLAIN

t "resolve an image: digest as skopeo computes it"
cdh resolve ref="$R/seed/one:v1"
expect_rc 0
expect_eq "$(field digest)" "$(sk_digest "$R/seed/one:v1")"
expect_eq "$(field media_type)" "application/vnd.oci.image.manifest.v1+json"
expect_eq "$(field ref)" "$R/seed/one:v1@$(sk_digest "$R/seed/one:v1")"

t "resolve an index: the index's own digest"
cdh resolve ref="$R/seed/multi:v1"
expect_rc 0
expect_eq "$(field digest)" "$(sk_digest "$R/seed/multi:v1")"
expect_eq "$(field media_type)" "application/vnd.oci.image.index.v1+json"

t "resolve by digest"
D=$(sk_digest "$R/seed/one:v1")
cdh resolve ref="$R/seed/one@$D"
expect_rc 0
expect_eq "$(field digest)" "$D"

t "exists"
cdh exists ref="$R/seed/one:v1"
expect_eq "$RESULT" '{"exists":true}'
cdh exists ref="$R/seed/one:nope"
expect_eq "$RESULT" '{"exists":false}'

t "unknown image is not_found"
cdh resolve ref="$R/$NS/absent:v1"
expect_rc 1
expect_err "[not_found]"
expect_err "manifest unknown: $R/$NS/absent:v1"

t "copy an index within the registry (children first, blobs mounted)"
cdh copy src="$R/seed/multi:v1" dst="$R/$NS/multi:v9"
expect_rc 0
expect_err "(blobs: 0 uploaded, 6 mounted, 0 already there)"
expect_eq "$(field digest)" "$(sk_digest "$R/$NS/multi:v9")"
expect_eq "$(sk_digest "$R/$NS/multi:v9")" "$(sk_digest "$R/seed/multi:v1")"
skopeo copy -q --all --src-tls-verify=false "docker://$R/$NS/multi:v9" "oci:$WORK/pulled:x" \
	>/dev/null 2>&1 && ok || bad "skopeo cannot pull what cdhost copied"

t "copy without a destination tag keeps the source tag; again is a no-op"
cdh copy src="$R/seed/one:v1" dst="$R/$NS/one"
expect_rc 0
expect_eq "$(field tag)" "v1"
expect_err "(blobs: 0 uploaded, 3 mounted, 0 already there)"
expect_eq "$(sk_digest "$R/$NS/one:v1")" "$(sk_digest "$R/seed/one:v1")"
cdh copy src="$R/seed/one:v1" dst="$R/$NS/one"
expect_rc 0
expect_err "(blobs: 0 uploaded, 0 mounted, 0 already there)"

t "the same image under a new tag: every blob already there"
cdh copy src="$R/seed/one:v1" dst="$R/$NS/one:v2"
expect_rc 0
expect_err "(blobs: 0 uploaded, 0 mounted, 3 already there)"

t "tags: sorted, whatever the registry's order"
for tag in zeta alpha m1 beta; do
	skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
		"docker://$R/seed/one:v1" "docker://$R/$NS/tags:$tag" >/dev/null 2>&1 || bad "seeding tag $tag"
done
cdh tags ref="$R/$NS/tags"
expect_rc 0
expect_eq "$RESULT" '["alpha","beta","m1","zeta"]'

t "tags of a repository given with a tag is invalid"
cdh tags ref="$R/$NS/tags:v1"
expect_rc 1
expect_err "[invalid]"

t "render mode: copy is planned, nothing is written"
CDH_FLAGS=--dry-run cdh copy src="$R/seed/one:v1" dst="$R/$NS/planned:v1"
expect_rc 0
expect_err "would copy $R/seed/one:v1 to $R/$NS/planned:v1"
sk_exists "$R/$NS/planned:v1" && bad "render mode wrote to the registry" || ok

t "render mode: reads work"
CDH_FLAGS=--dry-run cdh resolve ref="$R/seed/one:v1"
expect_rc 0
expect_eq "$(field digest)" "$(sk_digest "$R/seed/one:v1")"

t "--offline in render mode: nil and a warning"
CDH_FLAGS="--dry-run --offline" cdh resolve ref="$R/seed/one:v1"
expect_rc 0
expect_err "digest unknown: registry unreachable"
expect_err "RESULT null"

t "--offline in run mode: unreachable"
CDH_FLAGS=--offline cdh resolve ref="$R/seed/one:v1"
expect_rc 1
expect_err "[unreachable]"

t "a plain-HTTP registry without --insecure-registry fails with a hint"
"$CDHOST" run "$DRIVE" --set op=resolve --set ref="$R/seed/one:v1" >"$WORK/.out" 2>"$WORK/.err"
RC=$?
expect_rc 1
expect_err "--insecure-registry $R"

finish
