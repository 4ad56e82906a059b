#!/usr/bin/env bash
# Faults between cdhost and the registry (tests/helpers/fault_proxy.py in
# front of the plain registry): 500 then 201, a reset in the middle of an
# upload, corrupted manifests, a lying Docker-Content-Digest, a registry that
# keeps failing. Each ends in success after retry or a clear error, and never
# in a tag that points at an incomplete image.
. "$(dirname "$0")/lib.sh"
SRC=$REG_BASIC/seed/one:v1   # another registry, so blobs are uploaded, not mounted

t "500 on the first blob PUT and the first manifest PUT: retried, then 201"
proxy p500 "PUT:/blobs/uploads/:500:1" "PUT:/manifests/:500:1"
cdh copy src="$SRC" dst="$PX/$NS/a:v1"
expect_rc 0
expect_eq "$(sk_digest "$REG_PLAIN/$NS/a:v1")" "$(sk_digest "$SRC")"
grep -q "^PUT /v2/$NS/a/blobs/uploads/.* 500$" "$PXLOG" && ok || bad "no injected 500 on a blob PUT"
grep -q "^PUT /v2/$NS/a/manifests/v1 201$" "$PXLOG" && ok || bad "the manifest PUT did not end in 201"

t "connection reset in the middle of a blob upload: a new session, then success"
proxy preset "PUT:/blobs/uploads/:reset:1"
cdh copy src="$SRC" dst="$PX/$NS/b:v1"
expect_rc 0
grep -q " reset$" "$PXLOG" && ok || bad "no reset was injected"
expect_eq "$(sk_digest "$REG_PLAIN/$NS/b:v1")" "$(sk_digest "$SRC")"
skopeo copy -q --src-tls-verify=false "docker://$REG_PLAIN/$NS/b:v1" "oci:$WORK/b:x" >/dev/null 2>&1 \
	&& ok || bad "skopeo cannot pull the image pushed after a reset"

t "a corrupted manifest (digest mismatch) is refused: hash_mismatch, no tag"
proxy pcorrupt "GET:/manifests/:corrupt:0"
skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
	"docker://$REG_PLAIN/seed/one:v1" "docker://$REG_PLAIN/$NS/c:v1" >/dev/null 2>&1
cdh copy src="$PX/$NS/c:v1" dst="$REG_PLAIN/$NS/c2:v1"
expect_rc 1
expect_err "[hash_mismatch]"
sk_exists "$REG_PLAIN/$NS/c2:v1" && bad "a tag exists after a failed copy" || ok
D=$(sk_digest "$REG_PLAIN/seed/one:v1")
cdh copy src="$PX/seed/one@$D" dst="$REG_PLAIN/$NS/c3:v1"
expect_rc 1
expect_err "the content has digest"

t "a registry whose Docker-Content-Digest does not match: hash_mismatch"
proxy pdigest "PUT:/manifests/:baddigest:0"
cdh copy src="$REG_PLAIN/seed/one:v1" dst="$PX/$NS/d:v1"
expect_rc 1
expect_err "[hash_mismatch]"
expect_err "the registry stored digest sha256:0000"

t "blob uploads that keep failing: a clear error and no tag"
proxy pfail "PUT:/blobs/uploads/:500:0"
cdh copy src="$SRC" dst="$PX/$NS/e:v1"
expect_rc 1
expect_err "[server]"
expect_err "injected failure"
sk_exists "$REG_PLAIN/$NS/e:v1" && bad "a tag points at an incomplete image" || ok
grep -q "^PUT .*/manifests/" "$PXLOG" && bad "a manifest was pushed after failed blobs" || ok

t "an unchanged copy, run again, writes nothing (as the registry sees it)"
proxy pnone
cdh copy src="$REG_BASIC/seed/multi:v1" dst="$PX/$NS/g:v1"
expect_rc 0
grep -q "^PUT /v2/$NS/g/manifests/v1 201$" "$PXLOG" && ok || bad "the first copy pushed no manifest"
: > "$PXLOG"
cdh copy src="$REG_BASIC/seed/multi:v1" dst="$PX/$NS/g:v1"
expect_rc 0
grep -Eq "^(PUT|POST|PATCH|DELETE) " "$PXLOG" && bad "the re-run wrote: $(grep -E '^(PUT|POST|PATCH)' "$PXLOG" | head -3)" || ok
grep -q "^HEAD /v2/$NS/g/manifests/v1 200$" "$PXLOG" && ok || bad "the re-run did not HEAD the tag"

t "unknown source image: not_found"
cdh copy src="$REG_PLAIN/$NS/none:v1" dst="$REG_PLAIN/$NS/f:v1"
expect_rc 1
expect_err "[not_found]"

finish
