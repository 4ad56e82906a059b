#!/usr/bin/env bash
# The native builder against the plain registry of tests/e2e/registry's
# fixture: push, skopeo inspect, layer contents, reproducibility, an
# unchanged re-run that uploads nothing (registry access log), build
# --file-output / deploy -a, and bad input.
. "$(dirname "$0")/lib.sh"

P1=$WORK/p1
mkproject "$P1"
N=$R/$NS/app

t "push a native image on scratch; skopeo sees the config"
img "$P1" name="$N" tag=v1
expect_rc 0
expect_eq "$(field pushed)" "True"
D=$(field digest)
expect_eq "$D" "$(sk_digest "$N:v1")"
expect_eq "$(field ref)" "$N:v1@$D"
skopeo inspect --config --tls-verify=false "docker://$N:v1" >"$WORK/cfg.json" 2>/dev/null || bad "skopeo inspect --config"
expect_eq "$(jq -c .config.Entrypoint "$WORK/cfg.json")" '["/app/run.sh"]'
expect_eq "$(jq -c .config.Env "$WORK/cfg.json")" '["GREETING=hi","PORT=8080"]'
expect_eq "$(jq -r .config.User "$WORK/cfg.json")" "65532"
expect_eq "$(jq -r .config.WorkingDir "$WORK/cfg.json")" "/app"
expect_eq "$(jq -r '.config.Labels["org.example.team"]' "$WORK/cfg.json")" "shop"
expect_eq "$(jq -c .config.ExposedPorts "$WORK/cfg.json")" '{"8080/tcp":{}}'
expect_eq "$(jq -r '.architecture + "/" + .os' "$WORK/cfg.json")" "amd64/linux"
expect_eq "$(jq -r .created "$WORK/cfg.json")" "1970-01-01T00:00:00Z"

t "layer contents: sorted, uid 0, epoch mtimes, modes, ignore file and exclude"
skopeo copy -q --src-tls-verify=false "docker://$N:v1" "oci:$WORK/oci:v1" >/dev/null 2>&1 || bad "skopeo copy"
L=$(jq -r '.layers[0].digest' "$WORK/oci/blobs/sha256/$(jq -r '.manifests[0].digest' "$WORK/oci/index.json" | cut -d: -f2)" | cut -d: -f2)
tar tvzf "$WORK/oci/blobs/sha256/$L" --numeric-owner --full-time >"$WORK/list" 2>&1 || bad "tar cannot read the layer"
expect_eq "$(awk '{print $1, $2, $4, $5, $6}' "$WORK/list")" "drwxr-xr-x 0/0 1970-01-01 00:00:00 app/
-rw-r--r-- 0/0 1970-01-01 00:00:00 app/hello.txt
-rwxr-xr-x 0/0 1970-01-01 00:00:00 app/run.sh
drwxr-xr-x 0/0 1970-01-01 00:00:00 app/sub/
-rw-r--r-- 0/0 1970-01-01 00:00:00 app/sub/note"
command -v umoci >/dev/null && { umoci unpack --rootless --image "$WORK/oci:v1" "$WORK/bundle" >/dev/null 2>&1 \
	&& [ -x "$WORK/bundle/rootfs/app/run.sh" ] && ok || bad "umoci cannot unpack"; }

t "unchanged re-run: Found. Tagging, nothing written at the registry"
before=$(writes)
img "$P1" name="$N" tag=v1
expect_rc 0
expect_err "Found. Tagging"
expect_eq "$(field digest)" "$D"
expect_eq "$(field pushed)" "False"
expect_eq "$(writes)" "$before"

t "reproducible: second checkout, other mtimes and umask, layer cache deleted"
P2=$WORK/p2
(umask 077; mkproject "$P2")
chmod 755 "$P2/app/run.sh"
touch -d '2001-02-03 04:05:06' "$P2/app/hello.txt" "$P2/app/run.sh"
rm -rf "$XDG_CACHE_HOME"
img "$P2" name="$R/$NS/other" tag=v1
expect_rc 0
expect_eq "$(field digest)" "$D"

t "reproducible with 1, 2 and 3 compression threads (a layer of many gzip blocks)"
P4=$WORK/p4
mkproject "$P4"
head -c 5000000 /dev/urandom >"$P4/app/big.bin"          # 5 blocks of 1 MiB
yes "cdhost compresses this line" | head -c 3000000 >"$P4/app/text.txt"
digests=""
for n in 1 2 3; do
	rm -rf "$XDG_CACHE_HOME"
	CDHOST_GZIP_THREADS=$n img "$P4" name="$R/$NS/threads" tag=t$n
	expect_rc 0
	digests="$digests $(field digest)"
done
set -- $digests
expect_eq "$2" "$1"
expect_eq "$3" "$1"
# the layer is valid gzip with the right content
blob=$(skopeo inspect --raw --tls-verify=false "docker://$R/$NS/threads:t3" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
curl -sf "http://$R/v2/$NS/threads/blobs/$blob" -o "$WORK/layer.tgz" && gzip -t "$WORK/layer.tgz" && ok || bad "layer is not valid gzip"
expect_eq "$(tar -xzOf "$WORK/layer.tgz" app/big.bin | sha256sum | cut -d' ' -f1)" "$(sha256sum <"$P4/app/big.bin" | cut -d' ' -f1)"

t "the content-hash cache never hides a change: same size, new content, mtime in the past"
# files changed in the last two seconds are never cached (their times may
# not have moved yet): age them first
touch -d '2020-01-01 00:00:00' $(find "$P4/app" -type f)
sleep 2.5
img "$P4" name="$R/$NS/hc" tag=hc1
expect_rc 0
T1=$(field digest)
grep -c . "$XDG_CACHE_HOME/cdhost/filehash/index.json" >/dev/null 2>&1 && ok || bad "no content-hash cache written"
printf 'HELLO\n' >"$P4/app/hello.txt"                 # same size as "hello\n"
touch -d '2001-02-03 04:05:06' "$P4/app/hello.txt"   # an old mtime, but a new ctime
img "$P4" name="$R/$NS/hc" tag=hc2
expect_rc 0
[ "$(field digest)" != "$T1" ] && ok || bad "a same-size change was hidden by the cache"

t "on a terminal: a live line with the bytes pushed and the rate, then the summary line"
head -c 3000000 /dev/urandom >"$P4/app/fresh.bin"
(cd "$P4" && script -q -e -c "'$CDHOST' --insecure-registry '$R' run build.lua --set name='$R/$NS/live' --set tag=tty" \
	"$WORK/tty.out" >/dev/null 2>&1)
RC=$?
cp "$WORK/tty.out" "$WORK/.err"
expect_rc 0
expect_err "building $R/$NS/live ..."
grep -qE "pushing $R/$NS/live: [0-9.]+ MB, [0-9.]+ MB/s" "$WORK/.err" && ok || bad "no live push line"
grep -qE "built and pushed \(2 blobs uploaded, [0-9.]+ MB in [0-9.]+s, [0-9.]+ MB/s\)" "$WORK/.err" && ok || bad "no summary with bytes and rate"

t "default tag is the input digest; a content change changes it"
img "$P1" name="$N"
expect_rc 0
T1=$(field tag)
expect_eq "${#T1}" "64"
printf 'changed\n' >"$P1/app/hello.txt"
img "$P1" name="$N"
expect_rc 0
[ "$(field tag)" != "$T1" ] && ok || bad "tag unchanged after a content change"
img "$P1" name="$N" tag=template
expect_eq "$(field tag)" "v1-$(field tag | sed 's/^v1-//')"
case $(field tag) in v1-????????????????????????????????????????????????????????????????) ok ;; *) bad "template tag $(field tag)" ;; esac

t "multi-platform: an index over the base's platforms, base layers mounted"
img "$P1" name="$N" base="$R/seed/multi:v1" tag=multi
expect_rc 0
skopeo inspect --raw --tls-verify=false "docker://$N:multi" >"$WORK/ix.json" 2>/dev/null
expect_eq "$(jq -r '[.manifests[].platform | .os + "/" + .architecture] | join(",")' "$WORK/ix.json")" "linux/amd64,linux/arm64"
expect_eq "$(field digest)" "$(sk_digest "$N:multi")"
img "$P1" name="$N" base="$R/seed/multi:v1" tag=arm platform=linux/arm64
expect_rc 0
skopeo inspect --config --tls-verify=false "docker://$N:arm" 2>/dev/null | jq -r .architecture >"$WORK/arch"
expect_eq "$(cat "$WORK/arch")" "arm64"

t "render mode: tag computed, digest looked up, nothing written"
before=$(writes)
CDH_FLAGS=--dry-run img "$P1" name="$N" tag=v1
expect_rc 0
expect_eq "$(field digest)" "$D"
CDH_FLAGS=--dry-run img "$P1" name="$N" tag=never
expect_rc 0
expect_eq "$(field ref)" "$N:never"
expect_eq "$(writes)" "$before"

t "build --file-output then deploy -a"
CMD=build img "$P1" name="$N" tag=v2
expect_rc 0
(cd "$P1" && "$CDHOST" --insecure-registry "$R" build build.lua --set name="$N" --set tag=v2 --file-output "$WORK/arts.json") 2>/dev/null
expect_eq "$(cat "$WORK/arts.json")" "{\"builds\":[{\"imageName\":\"$N\",\"tag\":\"$N:v2@$(sk_digest "$N:v2")\"}]}"
before=$(writes)
(cd "$P1" && "$CDHOST" deploy build.lua --set name="$N" --set tag=v2 -a "$WORK/arts.json") >/dev/null 2>"$WORK/.err"
expect_eq "$?" "0"
RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err")
expect_eq "$(field ref)" "$N:v2@$(sk_digest "$N:v2")"
expect_eq "$(writes)" "$before"
t "deploy -a -: a Skaffold-written file on stdin (extra fields ignored)"
printf '{"builds":[{"imageName":"%s","tag":"%s:abc@sha256:%064d"},{"imageName":"other","tag":"other:1"}]}' "$N" "$N" 0 |
	(cd "$P1" && "$CDHOST" deploy build.lua --set name="$N" -a -) >/dev/null 2>"$WORK/.err"
RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err")
expect_eq "$(field tag)" "abc"
expect_eq "$(field digest)" "sha256:$(printf '%064d' 0)"
t "deploy: an image absent from the file is not_found"
echo '{"builds":[]}' | (cd "$P1" && "$CDHOST" deploy build.lua --set name="$N" -a -) >/dev/null 2>"$WORK/.err"
RC=$?
expect_rc 1
expect_err "no artifact for $N in -"

t "build --default-repo --file-output: imageName as the recipe wrote it, tag as pushed (Skaffold's file)"
ORIG=r.example.com/shop/web
DR=$R/$NS/dr
PUSHED=$DR/r_example_com_shop_web   # not GCR / Artifact Registry: escaped
(cd "$P1" && "$CDHOST" --insecure-registry "$R" --default-repo "$DR" build build.lua --set name="$ORIG" --set tag=v3 \
	--file-output "$WORK/dr.json") >/dev/null 2>"$WORK/.err"
expect_eq "$?" "0"
sk_exists "$PUSHED:v3" && ok || bad "nothing was pushed as $PUSHED:v3"
PD=$(sk_digest "$PUSHED:v3")
expect_eq "$(cat "$WORK/dr.json")" "{\"builds\":[{\"imageName\":\"$ORIG\",\"tag\":\"$PUSHED:v3@$PD\"}]}"
t "deploy -a --default-repo with that file: the pushed image, found by the recipe's name"
(cd "$P1" && "$CDHOST" --default-repo "$DR" deploy build.lua --set name="$ORIG" --set tag=v3 -a "$WORK/dr.json") \
	>/dev/null 2>"$WORK/.err"
expect_eq "$?" "0"
RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err")
expect_eq "$(field ref)" "$PUSHED:v3@$PD"
expect_eq "$(field name)" "$PUSHED"
expect_eq "$(field image)" "$ORIG"
t "deploy -a without --default-repo: the same file, the tag as written"
(cd "$P1" && "$CDHOST" deploy build.lua --set name="$ORIG" -a "$WORK/dr.json") >/dev/null 2>"$WORK/.err"
RESULT=$(sed -n 's/^.*RESULT //p' "$WORK/.err")
expect_eq "$(field ref)" "$PUSHED:v3@$PD"

t "bad input: missing base, base without the platform, bad layer spec"
img "$P1" name="$N" base="$R/$NS/nothere:v1"
expect_rc 1
expect_err "[not_found]"
expect_err "base image"
img "$P1" name="$N" base="$R/seed/multi:v1" platform=linux/s390x
expect_rc 1
expect_err "has no image for the platforms asked (it has linux/amd64, linux/arm64)"
img "$P1" name="$N" from=../outside
expect_rc 5
img "$P1" name="$N" from=nothere
expect_rc 1
expect_err "[not_found]"
img "$P1" name="$N" mode=9z
expect_rc 1
expect_err "bad layer spec: layers[1].mode"

t "unreadable context file (as an unprivileged user, offline render)"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	P3=/tmp/cdhost-img-$$-$RANDOM; mkproject "$P3"; chmod -R a+rX "$P3"; chmod 000 "$P3/app/hello.txt"
	(cd "$P3" && XDG_CACHE_HOME=$P3/.cache setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$CDHOST" --offline --dry-run build.lua --set name="$N") >/dev/null 2>"$WORK/.err"
	RC=$?
	expect_rc 1
	expect_err "hello.txt"
	rm -rf "$P3"
else
	chmod 000 "$P1/app/hello.txt"
	img "$P1" name="$N"
	expect_rc 1
	chmod 644 "$P1/app/hello.txt"
fi
finish
