#!/usr/bin/env bash
# External builders against the plain registry of tests/e2e/registry's
# fixture: buildah and podman build a Dockerfile with a RUN step on a busybox
# base (vfs storage, chroot isolation, storage kept in the test's directory),
# the reported digest equals the registry's, umoci unpacks what RUN wrote, an
# unchanged re-run is "Found" and uploads nothing, a failing RUN names the
# step, --dry-run builds nothing, bad input is a clear error; two builds in
# cdhost.parallel run together.
. "$(dirname "$0")/../registry/lib.sh"
R=$REG_PLAIN
RECIPE=$(cd "$(dirname "$0")" && pwd)/external.lua
LOG=$REG_STATE/logs/plain.log
for c in buildah podman umoci skopeo busybox; do
	command -v "$c" >/dev/null || { echo "FAIL: $c is not installed (tests/e2e/registry/deps.sh)" >&2; exit 1; }
done
# containers/storage for both builders, inside the test's directory
cat >"$WORK/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$WORK/storage"
runroot = "$WORK/run"
CONF
export CONTAINERS_STORAGE_CONF=$WORK/storage.conf BUILDAH_ISOLATION=chroot
export REGISTRY_AUTH_FILE=$WORK/auth.json
echo '{"auths":{}}' >"$REGISTRY_AUTH_FILE"
run() { "$@" >"$WORK/.out" 2>"$WORK/.err"; RC=$?; }
# this test's repositories only: other tests write to the same registry
writes() { grep -cE '"(PUT|PATCH|POST) /v2/'"$NS"'/' "$LOG"; }

# A busybox base image in the registry, made with buildah from Debian's busybox-static.
BASE=$R/$NS/busybox:1
ctr=$(buildah from scratch 2>"$WORK/base.err") || { cat "$WORK/base.err" >&2; echo "FAIL: buildah from scratch" >&2; exit 1; }
mnt=$(buildah mount "$ctr")
mkdir -p "$mnt/bin" "$mnt/tmp"
cp "$(command -v busybox)" "$mnt/bin/busybox"
for x in sh echo mkdir cat false true id pwd; do ln -s busybox "$mnt/bin/$x"; done
buildah umount "$ctr" >/dev/null
buildah config --env PATH=/bin "$ctr"
buildah commit -q "$ctr" "$BASE" >/dev/null && buildah push -q --tls-verify=false "$BASE" "docker://$BASE" ||
	{ echo "FAIL: cannot push the busybox base to $R" >&2; exit 1; }

P=$WORK/project
mkdir -p "$P/app"
(cd "$P" && git init -q . 2>/dev/null || mkdir -p .git)   # the project root
cp "$RECIPE" "$P/build.lua"
printf '#!/bin/sh\ncat /greeting\n' >"$P/app/run.sh"
cat >"$P/Dockerfile" <<'DF'
ARG BASE
FROM ${BASE}
ARG GREETING=hello
RUN echo "$GREETING from RUN" > /greeting && mkdir -p /app
COPY app/ /app/
CMD ["/bin/sh", "/app/run.sh"]
DF
printf 'ARG BASE\nFROM ${BASE}\nRUN echo before\nRUN false\nRUN echo never\n' >"$P/Failing.Dockerfile"
ext() {   # ARGS... : cdhost run build.lua --set ARGS
	local sets=()
	for kv in "$@"; do sets+=(--set "$kv"); done
	(cd "$P" && "$CDHOST" --insecure-registry "$R" ${CMD:-run} build.lua --set base="$BASE" "${sets[@]}") \
		>"$WORK/.out" 2>"$WORK/.err"
	RC=$?
	RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err" | tail -n1)
}
unpacked() {   # REF FILE: the file's content in the image, via skopeo + umoci
	rm -rf "$WORK/oci" "$WORK/bundle"
	skopeo copy -q --src-tls-verify=false "docker://$1" "oci:$WORK/oci:x" >/dev/null 2>&1 &&
		umoci raw unpack --rootless --image "$WORK/oci:x" "$WORK/bundle" >/dev/null 2>&1 &&
		cat "$WORK/bundle/$2"
}

for B in buildah podman; do
	N=$R/$NS/app-$B
	t "$B builds a Dockerfile with RUN; the digest is the registry's"
	ext builder=$B name="$N" greeting="hi $B"
	expect_rc 0
	expect_eq "$(field pushed)" "True"
	expect_eq "$(field builder)" "$B"
	D=$(field digest)
	T=$(field tag)
	expect_eq "$D" "$(sk_digest "$N:$T")"
	expect_eq "$(field ref)" "$N:$T@$D"
	expect_err "built with $B and pushed"
	expect_eq "$(unpacked "$N:$T" greeting)" "hi $B from RUN"
	expect_eq "$(unpacked "$N:$T" app/run.sh | tail -1)" "cat /greeting"

	t "$B: an unchanged re-run is Found and uploads nothing"
	w0=$(writes)
	ext builder=$B name="$N" greeting="hi $B"
	expect_rc 0
	expect_eq "$(field pushed)" "False"
	expect_eq "$(field digest)" "$D"
	expect_err "Found. Tagging"
	expect_eq "$(writes)" "$w0"

	t "$B: a changed build arg is a new tag"
	ext builder=$B name="$N" greeting="bye"
	expect_rc 0
	[ "$(field tag)" != "$T" ] && ok || bad "same tag for different build args"
done

t "a native image on the busybox base is pulled and run by buildah"
cat >"$P/native.lua" <<'LUA'
local a = cdhost.args
local art = cdhost.image.build { name = a.name, builder = "native", base = a.base,
  layers = { { from = "app", to = "/app", mode = "0755" } },
  entrypoint = { "/bin/sh", "/app/hello.sh" }, env = { GREETING = "hello from a native image" },
  user = "65532", workdir = "/app", labels = { ["org.example.team"] = "shop" } }
print("RESULT " .. cdhost.json.encode(art, { sort_keys = true }))
LUA
printf '#!/bin/sh\necho "$GREETING, uid $(id -u 2>/dev/null || echo ?) in $(pwd)"\n' >"$P/app/hello.sh"

(cd "$P" && "$CDHOST" --insecure-registry "$R" run native.lua --set base="$BASE" --set name="$R/$NS/native") \
	>"$WORK/.out" 2>"$WORK/.err"
RC=$?
RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err" | tail -n1)
expect_rc 0
NREF=$(field ref)
nctr=$(buildah from --tls-verify=false "docker://$(field name)@$(field digest)" 2>"$WORK/from.err") || bad "buildah from: $(tail -2 "$WORK/from.err")"
# buildah run takes the command (the entrypoint is checked below); user,
# working directory and environment come from the image's config
out=$(buildah run "$nctr" -- /bin/sh /app/hello.sh 2>&1)
expect_eq "$out" "hello from a native image, uid 65532 in /app"
cfg=$(skopeo inspect --config --tls-verify=false "docker://$(field name)@$(field digest)")
echo "$cfg" | python3 -c 'import json,sys; c=json.load(sys.stdin)["config"]; sys.exit(0 if c["Entrypoint"]==["/bin/sh","/app/hello.sh"] and c["User"]=="65532" and c["Labels"]["org.example.team"]=="shop" and "GREETING=hello from a native image" in c["Env"] else 1)' && ok || bad "skopeo config: $cfg"
buildah rm "$nctr" >/dev/null 2>&1

t "the builder's output: live on a terminal, every line with -v"
(cd "$P" && script -q -e -c "'$CDHOST' --insecure-registry '$R' run build.lua --set base='$BASE' --set builder=buildah --set name='$R/$NS/live' --set greeting=live" \
	"$WORK/tty.out" >/dev/null 2>&1)
RC=$?
cp "$WORK/tty.out" "$WORK/.err"
expect_rc 0
grep -qE "buildah build $R/$NS/live:[0-9a-f]{64}: STEP [0-9]/[0-9]: " "$WORK/.err" && ok || bad "no live builder line"
ext builder=podman name="$R/$NS/verbose" greeting=verbose
(cd "$P" && "$CDHOST" -v --insecure-registry "$R" run build.lua --set base="$BASE" --set builder=podman \
	--set name="$R/$NS/verbose2" --set greeting=verbose2) >"$WORK/.out" 2>"$WORK/.err"
RC=$?
expect_rc 0
grep -qE "debug: podman build $R/$NS/verbose2:[0-9a-f]{64}: STEP 3/[0-9]: RUN echo" "$WORK/.err" && ok || bad "-v does not show the builder's lines"

t "a failing RUN names the step and the builder's message (exit 1, build_failed)"
ext builder=buildah name="$R/$NS/broken" dockerfile=Failing.Dockerfile
expect_rc 1
expect_err "[build_failed]"
expect_err "buildah build of $R/$NS/broken:"
expect_err "RUN false"
run skopeo inspect --tls-verify=false "docker://$R/$NS/broken:latest"
[ "$RC" != 0 ] && ok || bad "a tag was pushed for a failed build"

t "--dry-run computes the tag and builds nothing"
w0=$(writes)
CMD="--dry-run" ext builder=podman name="$R/$NS/dry"
expect_rc 0
expect_err "would build $R/$NS/dry:"
expect_err "with podman (render mode)"
expect_eq "$(writes)" "$w0"

t "bad input (invalid, exit 1): unknown builder, missing Dockerfile, two platforms for buildah"
ext builder=bazel name="$R/$NS/x"
expect_rc 1
expect_err "unknown builder \"bazel\""
ext builder=buildah name="$R/$NS/x" dockerfile=Nope.Dockerfile
expect_rc 1
expect_err "Dockerfile ./Nope.Dockerfile does not exist"
ext builder=buildah name="$R/$NS/x" platforms=linux/amd64,linux/arm64
expect_rc 1
expect_err "one platform at a time"

t "two Dockerfile images at once (cdhost.parallel): both run together, digests are the registry's"
cat >"$P/par.lua" <<'LUA'
local a = cdhost.args
local function one(g)
  return function()
    return cdhost.image.build {
      name = a.prefix .. g, builder = "buildah", context = ".",
      build_args = { BASE = a.base, GREETING = g }, tag = "v1",
    }
  end
end
local r = cdhost.parallel { one("pa"), one("pb") }
print("RESULT " .. cdhost.json.encode(cdhost.list(r), { sort_keys = true }))
LUA
(cd "$P" && "$CDHOST" --insecure-registry "$R" run par.lua --set base="$BASE" --set prefix="$R/$NS/") \
	>"$WORK/.out" 2>"$WORK/.err"
RC=$?
RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err" | tail -n1)
expect_rc 0
LAST_START=$(grep -n "building with buildah" "$WORK/.err" | tail -1 | cut -d: -f1)
FIRST_END=$(grep -n "built with buildah and pushed" "$WORK/.err" | head -1 | cut -d: -f1)
[ "$(grep -c "building with buildah" "$WORK/.err")" = 2 ] && [ -n "$FIRST_END" ] && [ "$LAST_START" -lt "$FIRST_END" ] &&
	ok || bad "the two builds did not run together: $(grep buildah "$WORK/.err")"
for i in 0 1; do
	g=$([ $i = 0 ] && echo pa || echo pb)
	expect_eq "$(echo "$RESULT" | jq -r ".[$i].digest")" "$(sk_digest "$R/$NS/$g:v1")"
	expect_eq "$(unpacked "$R/$NS/$g:v1" greeting)" "$g from RUN"
done
finish
