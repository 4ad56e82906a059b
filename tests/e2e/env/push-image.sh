#!/usr/bin/env bash
# push-image.sh REGISTRY REPO:TAG [CONTENT]
#
# Builds a tiny one-layer OCI image with plain tools (tar, gzip, sha256sum) and pushes it with curl
# (blob upload as POST then PUT, which docker-registry 2.8.2 needs; then the manifest). The layer
# holds /etc/cdhost-test-image containing CONTENT (default: REPO:TAG), so different CONTENT gives a
# different digest. Prints the manifest digest on stdout.
#
# REGISTRY is HOST:PORT (plain HTTP) or http(s)://HOST:PORT. Extra curl options (auth, CA) can be
# given in PUSH_CURL_OPTS, e.g. PUSH_CURL_OPTS="-u user:pass --cacert ca.crt".
# Independent of cdhost on purpose: tests use it to seed the registry.
set -euo pipefail

die() { echo "push-image: error: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: $0 REGISTRY REPO:TAG [CONTENT]"
reg=$1 ref=$2 content=${3:-$2}
case "$reg" in http://*|https://*) base=${reg%/} ;; *) base=http://$reg ;; esac
repo=${ref%:*} tag=${ref##*:}
[ "$repo" != "$ref" ] || tag=latest
# shellcheck disable=SC2206
extra=(${PUSH_CURL_OPTS:-})

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/etc"
printf '%s\n' "$content" > "$tmp/root/etc/cdhost-test-image"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tmp/root" -cf "$tmp/layer.tar" etc \
    || die "tar failed"
diff_id=sha256:$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
gzip -n -c "$tmp/layer.tar" > "$tmp/layer.tar.gz"

sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { stat -c %s "$1"; }

printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/true"],"Labels":{"org.opencontainers.image.title":"%s"}},"rootfs":{"type":"layers","diff_ids":["%s"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"cdhost push-image.sh"}]}' \
    "$ref" "$diff_id" > "$tmp/config.json"

upload_blob() {   # file digest
    local f=$1 d=$2 loc sep code
    code=$(curl -sS "${extra[@]}" -o /dev/null -w '%{http_code}' -I "$base/v2/$repo/blobs/$d") \
        || die "cannot reach $base"
    [ "$code" = 200 ] && return 0
    loc=$(curl -sS -f "${extra[@]}" -X POST -D - -o /dev/null "$base/v2/$repo/blobs/uploads/" \
          | awk 'tolower($1)=="location:" {print $2}' | tr -d '\r') || die "POST upload for $d failed"
    [ -n "$loc" ] || die "no Location header from POST $base/v2/$repo/blobs/uploads/"
    case "$loc" in http://*|https://*) ;; /*) loc=$base$loc ;; *) die "odd Location: $loc" ;; esac
    sep='?'; case "$loc" in *\?*) sep='&' ;; esac
    curl -sS -f "${extra[@]}" -X PUT -H 'Content-Type: application/octet-stream' \
        --data-binary "@$f" -o /dev/null "$loc${sep}digest=$d" || die "PUT of blob $d failed"
}

layer_d=$(sha "$tmp/layer.tar.gz")
config_d=$(sha "$tmp/config.json")
upload_blob "$tmp/layer.tar.gz" "$layer_d"
upload_blob "$tmp/config.json" "$config_d"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%d}]}' \
    "$config_d" "$(size "$tmp/config.json")" "$layer_d" "$(size "$tmp/layer.tar.gz")" > "$tmp/manifest.json"
curl -sS -f "${extra[@]}" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$tmp/manifest.json" -o /dev/null "$base/v2/$repo/manifests/$tag" \
    || die "PUT of manifest $repo:$tag failed"
sha "$tmp/manifest.json"
