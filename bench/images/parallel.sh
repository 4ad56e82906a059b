#!/usr/bin/env bash
# bench/images/parallel.sh CDHOST [RUNS] — three images built and pushed at
# once (cdhost.parallel) against one loopback docker-registry started here:
#
#   A. cdhost, one recipe, the three native builds in cdhost.parallel
#   B. cdhost, one recipe, the same three builds one after the other
#   C. buildah: three `buildah bud` + `buildah push` run at the same time
#      from the shell (the peer given the same concurrency; vfs storage,
#      chroot isolation, one storage per build)
#
# Each context: ~25 MB (8 MB random, an 8 MB log, 1,500 text files). Before
# every run cdhost's caches or buildah's storage are deleted and every run
# pushes to new repositories, so each run builds, compresses and uploads
# everything. Runs alternate A B C; RUNS rounds (default 3). Wall time and
# peak RSS from /usr/bin/time; medians and the median of the per-round
# ratios A/B and A/C are printed.
set -euo pipefail
CDHOST=$(realpath "${1:?usage: parallel.sh CDHOST [RUNS]}")
RUNS=${2:-3}
for c in docker-registry buildah python3 /usr/bin/time curl; do
	command -v "$c" >/dev/null || { echo "bench/images: $c is missing (tests/e2e/registry/deps.sh installs it)" >&2; exit 1; }
done
export CDHOST_GZIP_THREADS=${CDHOST_GZIP_THREADS:-$(nproc)}
W=$(mktemp -d /tmp/cdhost-bench-par.XXXXXX)
REGPID=
cleanup() { [ -n "$REGPID" ] && kill "$REGPID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
R=127.0.0.1:$PORT
printf 'version: 0.1\nlog: {level: warn, accesslog: {disabled: true}}\nstorage: {filesystem: {rootdirectory: %s/registry}}\nhttp: {addr: %s, secret: cdhost-bench}\n' \
	"$W" "$R" >"$W/registry.yml"
docker-registry serve "$W/registry.yml" >"$W/registry.log" 2>&1 &
REGPID=$!
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://$R/v2/" && break; sleep 0.1; done
curl -sf -o /dev/null "http://$R/v2/" || { tail "$W/registry.log" >&2; exit 1; }

P=$W/project
mkdir -p "$P"
(cd "$P" && git init -q .)
python3 - "$P" <<'PY'
import os, random, sys
root = sys.argv[1]
for name in ("web", "api", "worker"):
    rnd = random.Random(name)
    words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(800)]
    d = os.path.join(root, name)
    for i in range(1500):
        sub = os.path.join(d, "src", "m%02d" % (i % 30))
        os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, "f%04d.txt" % i), "w") as f:
            f.write(" ".join(rnd.choice(words) for _ in range(rnd.randint(200, 1200))))
    with open(os.path.join(d, "random.bin"), "wb") as f:
        f.write(os.urandom(8 << 20))
    with open(os.path.join(d, "app.log"), "w") as f:
        for i in range(100000):
            f.write("2026-11-22T10:%02d:%02d level=info msg=\"%s\" n=%d\n" % (i // 60 % 60, i % 60, rnd.choice(words), i))
    with open(os.path.join(d, "Dockerfile"), "w") as f:
        f.write("FROM scratch\nCOPY . /app\n")
PY
CTX_BYTES=$(du -sb "$P/web" | cut -f1)
cat >"$P/build.lua" <<'LUA'
local a = cdhost.args
local function one(dir)
  return function()
    return cdhost.image.build { name = a.reg .. "/bench-" .. a.run .. "/" .. dir,
      builder = "native", base = "scratch", layers = { { from = dir, to = "/app" } }, tag = "v1" }
  end
end
local fns = { one("web"), one("api"), one("worker") }
if a.mode == "par" then
  cdhost.parallel(fns)
else
  for _, f in ipairs(fns) do f() end
end
LUA
export XDG_CACHE_HOME=$W/cache BUILDAH_ISOLATION=chroot REGISTRY_AUTH_FILE=$W/auth.json
echo '{"auths":{}}' >"$REGISTRY_AUTH_FILE"
for d in web api worker; do
	printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/storage-%s"\nrunroot = "%s/run-%s"\n' \
		"$W" "$d" "$W" "$d" >"$W/storage-$d.conf"
done
# buildah3 RUN: three bud+push at once, each with its own storage
buildah3() {
	local run=$1 d pids=() fail=0
	for d in web api worker; do
		(export CONTAINERS_STORAGE_CONF=$W/storage-$d.conf
		 buildah bud --isolation chroot -q -f "$P/$d/Dockerfile" -t "localhost/$d:$run" "$P/$d" >/dev/null &&
			buildah push -q --tls-verify=false "localhost/$d:$run" "docker://$R/bench-b$run/$d:v1") &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fail=1; done
	return $fail
}
export -f buildah3
export W P R

# timed LABEL CMD...: appends "LABEL wall_s peak_kib" to $W/times
timed() {
	local label=$1; shift
	if ! /usr/bin/time -f "%e %M" -o "$W/t" "$@" >"$W/out" 2>"$W/err"; then
		echo "bench/images: $label failed:" >&2; tail -5 "$W/err" >&2; exit 1
	fi
	echo "$label $(tail -1 "$W/t")" >>"$W/times"
}
for i in $(seq 1 "$RUNS"); do
	rm -rf "$XDG_CACHE_HOME"
	timed parallel sh -c 'cd "$1" && exec "$2" --insecure-registry "$3" run build.lua --set reg="$3" --set run="p$4" --set mode=par' \
		_ "$P" "$CDHOST" "$R" "$i"
	rm -rf "$XDG_CACHE_HOME"
	timed sequential sh -c 'cd "$1" && exec "$2" --insecure-registry "$3" run build.lua --set reg="$3" --set run="s$4" --set mode=seq' \
		_ "$P" "$CDHOST" "$R" "$i"
	rm -rf "$W"/storage-web "$W"/storage-api "$W"/storage-worker "$W"/run-*
	timed buildah-x3 bash -c 'buildah3 "$1"' _ "$i"
done
python3 - "$W/times" "$CTX_BYTES" "$CDHOST_GZIP_THREADS" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for label, wall, kib in rows:
    by.setdefault(label, []).append((float(wall), int(kib)))
def med(label): return statistics.median(w for w, _ in by[label])
def peak(label): return max(k for _, k in by[label]) // 1024
print("three images of %.1f MB each, CDHOST_GZIP_THREADS=%s, %d rounds" % (int(sys.argv[2]) / 1e6, sys.argv[3], len(by["parallel"])))
for label in ("parallel", "sequential", "buildah-x3"):
    print("%-11s median %6.2f s  runs %s  peak RSS %d MiB (largest process)" % (label, med(label), ", ".join("%.2f" % w for w, _ in by[label]), peak(label)))
for other in ("sequential", "buildah-x3"):
    ratios = [a[0] / b[0] for a, b in zip(by["parallel"], by[other])]
    print("parallel/%-10s median of rounds %.3f (%s)" % (other, statistics.median(ratios), ", ".join("%.3f" % r for r in ratios)))
PY
