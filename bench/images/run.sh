#!/usr/bin/env bash
# bench/images/run.sh CDHOST [RUNS] — issue #3's image benchmarks, in one run,
# against one loopback docker-registry (plain HTTP, access log on) started here:
#
#   1. cold build+push of a ~100 MB context (many small files, a few large):
#      cdhost (builder="native", scratch base, the context as one layer)
#      vs `buildah bud` + `buildah push` of FROM scratch / COPY (vfs storage,
#      chroot isolation, storage in a temp dir). Before every run the layer
#      cache and blob store (cdhost) or the whole storage (buildah) are
#      deleted, and each run pushes to a new repository, so everything is
#      built, compressed and uploaded every time.
#   2. an unchanged re-push: cdhost run again ("Found. Tagging")
#      vs `skopeo copy` of the same image to a new tag of its repository;
#      the registry's access log must show no write request of cdhost's.
#   3. a copy to another repository of the same registry:
#      `cdhost.registry.copy` vs `skopeo copy`.
#
# Runs alternate (A B A B ...); RUNS pairs each (default 3). Wall time and peak
# RSS from /usr/bin/time (buildah: bud + push summed, the larger peak); medians
# and the median of the pairwise ratios are printed. CDHOST_GZIP_THREADS
# defaults to the online CPUs (the value used is printed).
set -euo pipefail
CDHOST=$(realpath "${1:?usage: run.sh CDHOST [RUNS]}")
RUNS=${2:-3}
for c in docker-registry buildah skopeo python3 /usr/bin/time curl; do
	command -v "$c" >/dev/null || { echo "bench/images: $c is missing (tests/e2e/registry/deps.sh installs it)" >&2; exit 1; }
done
export CDHOST_GZIP_THREADS=${CDHOST_GZIP_THREADS:-$(nproc)}
W=$(mktemp -d /tmp/cdhost-bench-img.XXXXXX)
REGPID=
cleanup() { [ -n "$REGPID" ] && kill "$REGPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

# ---- the registry ----
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
R=127.0.0.1:$PORT
cat >"$W/registry.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: false}}
storage: {filesystem: {rootdirectory: $W/registry}}
http: {addr: $R, secret: cdhost-bench}
EOF
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
REGPID=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://$R/v2/" && break; sleep 0.1; done
curl -sf -o /dev/null "http://$R/v2/" || { tail "$W/registry.log" >&2; exit 1; }

# ---- the context: ~100 MB, 4,000 small files + 4 large ones ----
P=$W/project
mkdir -p "$P/ctx"
(cd "$P" && git init -q .)
python3 - "$P/ctx" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(3)
words = [("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))) for _ in range(2000)]
for i in range(4000):  # sources: text, 1-12 KB
    d = os.path.join(root, "src", "m%02d" % (i % 40), "p%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    n = rnd.randint(1024, 12 * 1024)
    text = " ".join(rnd.choice(words) for _ in range(n // 5))[:n]
    with open(os.path.join(d, "f%04d.txt" % i), "w") as f:
        f.write(text)
os.makedirs(os.path.join(root, "assets"), exist_ok=True)
with open(os.path.join(root, "assets", "random.bin"), "wb") as f:      # incompressible
    f.write(os.urandom(30 << 20))
with open(os.path.join(root, "assets", "app.log"), "w") as f:           # compressible
    for i in range(330000):
        f.write("2026-11-22T10:%02d:%02d level=info msg=\"%s %s\" n=%d\n" % (
            i // 60 % 60, i % 60, rnd.choice(words), rnd.choice(words), i))
with open(os.path.join(root, "assets", "model.bin"), "wb") as f:        # half zeros
    for _ in range(20):
        f.write(os.urandom(512 << 10) + bytes(512 << 10))
with open(os.path.join(root, "assets", "data.json"), "w") as f:
    f.write("[" + ",".join('{"id":%d,"name":"%s","v":%d}' % (i, rnd.choice(words), rnd.randint(0, 1 << 30)) for i in range(260000)) + "]")
PY
CTX_BYTES=$(du -sb "$P/ctx" | cut -f1)
CTX_FILES=$(find "$P/ctx" -type f | wc -l)

cat >"$P/build.lua" <<'LUA'
local a = cdhost.args
local art = cdhost.image.build { name = a.name, builder = "native", base = "scratch",
  layers = { { from = "ctx", to = "/ctx" } }, tag = a.tag }
print("RESULT " .. art.ref)
LUA
cat >"$P/copy.lua" <<'LUA'
cdhost.registry.copy(cdhost.args.src, cdhost.args.dst)
LUA
printf 'FROM scratch\nCOPY ctx /ctx\n' >"$P/Dockerfile"
cat >"$W/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$W/storage"
runroot = "$W/run"
EOF
export CONTAINERS_STORAGE_CONF=$W/storage.conf BUILDAH_ISOLATION=chroot
export XDG_CACHE_HOME=$W/cache REGISTRY_AUTH_FILE=$W/auth.json
echo '{"auths":{}}' >"$REGISTRY_AUTH_FILE"

# timed LABEL CMD...: appends "LABEL wall_s peak_kib" to $W/times
timed() {
	local label=$1; shift
	if ! /usr/bin/time -f "%e %M" -o "$W/t" "$@" >"$W/out" 2>"$W/err"; then
		echo "bench/images: $label failed:" >&2; tail -5 "$W/err" >&2; exit 1
	fi
	echo "$label $(tail -1 "$W/t")" >>"$W/times"
}
printf '#!/bin/sh\ncd "%s" && exec "%s" --insecure-registry "%s" "$@"\n' "$P" "$CDHOST" "$R" >"$W/cdh"
chmod +x "$W/cdh"

# ---- 1. cold build + push ----
for i in $(seq 1 "$RUNS"); do
	rm -rf "$XDG_CACHE_HOME"
	timed native "$W/cdh" run build.lua --set name="$R/bench/native-$i" --set tag=v1
	rm -rf "$W/storage" "$W/run"
	/usr/bin/time -f "%e %M" -o "$W/t1" buildah bud --isolation chroot -q -f "$P/Dockerfile" \
		-t "localhost/bench:$i" "$P" >"$W/out" 2>"$W/err" || { tail "$W/err" >&2; exit 1; }
	/usr/bin/time -f "%e %M" -o "$W/t2" buildah push -q --tls-verify=false "localhost/bench:$i" \
		"docker://$R/bench/buildah-$i:v1" >"$W/out" 2>"$W/err" || { tail "$W/err" >&2; exit 1; }
	read -r b1 m1 < <(tail -1 "$W/t1")
	read -r b2 m2 < <(tail -1 "$W/t2")
	echo "buildah $(python3 -c "print(round($b1 + $b2, 2), max($m1, $m2))") bud=$b1 push=$b2" >>"$W/times"
done
rm -rf "$W/storage" "$W/run"
LAYER=$(skopeo inspect --raw --tls-verify=false "docker://$R/bench/native-1:v1" | python3 -c 'import json,sys; l=json.load(sys.stdin)["layers"][0]; print(l["size"])')
BLAYER=$(skopeo inspect --raw --tls-verify=false "docker://$R/bench/buildah-1:v1" | python3 -c 'import json,sys; l=json.load(sys.stdin)["layers"]; print(sum(x["size"] for x in l))')

# ---- 2. unchanged re-push (the image of native-1, layer cache kept) ----
L0=$(wc -l <"$W/registry.log")
for i in $(seq 1 "$RUNS"); do
	timed rerun "$W/cdh" run build.lua --set name="$R/bench/native-1" --set tag=v1
	grep -q "Found. Tagging" "$W/err" || { echo "bench/images: the re-run was not Found" >&2; cat "$W/err" >&2; exit 1; }
	timed skopeo-retag skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
		"docker://$R/bench/native-1:v1" "docker://$R/bench/native-1:retag-$i"
done
# since then, the only writes to bench/native-1 may be skopeo's retag manifests
RERUN_WRITES=$(tail -n +$((L0 + 1)) "$W/registry.log" | grep -E "\"(PUT|PATCH|POST) /v2/bench/native-1/" |
	grep -vcE "\"PUT /v2/bench/native-1/manifests/retag-" || true)
RETAG_WRITES=$(grep -cE "\"PUT /v2/bench/native-1/manifests/retag-" "$W/registry.log" || true)

# ---- 3. copy to another repository ----
for i in $(seq 1 "$RUNS"); do
	timed copy "$W/cdh" run copy.lua --set src="$R/bench/native-1:v1" --set dst="$R/bench/copy-cdhost-$i:v1"
	timed skopeo-copy skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
		"docker://$R/bench/native-1:v1" "docker://$R/bench/copy-skopeo-$i:v1"
done
[ "$(skopeo inspect --raw --tls-verify=false "docker://$R/bench/copy-cdhost-1:v1" | sha256sum)" = \
  "$(skopeo inspect --raw --tls-verify=false "docker://$R/bench/native-1:v1" | sha256sum)" ] ||
	{ echo "bench/images: the cdhost copy differs from its source" >&2; exit 1; }

echo "context: $CTX_FILES files, $CTX_BYTES bytes; layer (gzip): native $LAYER bytes, buildah $BLAYER bytes"
echo "CDHOST_GZIP_THREADS=$CDHOST_GZIP_THREADS, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
echo "write requests (PUT/PATCH/POST) of the $RUNS unchanged cdhost re-runs at the registry: $RERUN_WRITES (skopeo's $RUNS retags: $RETAG_WRITES manifest PUTs)"
python3 - "$W/times" <<'PY'
import statistics as st, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append((float(f[1]), int(f[2]), " ".join(f[3:])))
def med(k, i): return st.median(r[i] for r in rows[k])
for a, b in (("native", "buildah"), ("rerun", "skopeo-retag"), ("copy", "skopeo-copy")):
    ratios = [x[0] / y[0] for x, y in zip(rows[a], rows[b])]
    print("%-8s wall %s  median %.2f s  peak %d MiB" % (a, " ".join("%.2f" % r[0] for r in rows[a]), med(a, 0), med(a, 1) // 1024))
    print("%-8s wall %s  median %.2f s  peak %d MiB %s" % (b, " ".join("%.2f" % r[0] for r in rows[b]), med(b, 0), med(b, 1) // 1024,
          ("(" + "; ".join(r[2] for r in rows[b]) + ")") if rows[b][0][2] else ""))
    print("  ratio %s/%s: median %.3f (pairs %s)" % (a, b, st.median(ratios), " ".join("%.3f" % r for r in ratios)))
PY
[ "$RERUN_WRITES" = 0 ] || { echo "bench/images: the unchanged re-run wrote to the registry" >&2; exit 1; }
