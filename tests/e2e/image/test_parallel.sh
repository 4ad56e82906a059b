#!/usr/bin/env bash
# cdhost.parallel with native builds against the plain registry of
# tests/e2e/registry's fixture, through the fault proxy:
#  - two builds run at once: both announced before either ends, and with
#    the first image's manifest PUT held 2 s by the proxy, the second image
#    is pushed in the meantime (sequential builds could not do that);
#  - the images are the ones sequential builds make (same digests), the
#    results come back in order, the summary counts both;
#  - a failing function fails the run (exit 1, its line): work in flight
#    completes (the push started before it is whole), functions not yet
#    started are not started;
#  - SIGTERM during parallel pushes ends the run at once (exit 143), no tag
#    for what was not finished;
#  - registry.copy of two images at once: both complete;
#  - the same recipe in --dry-run builds nothing.
. "$(dirname "$0")/lib.sh"
HERE_IMG=$(cd "$(dirname "$0")" && pwd)
P=$WORK/par
mkdir -p "$P/.git"
cp "$HERE_IMG/parallel.lua" "$P/"
for d in a b c; do
	mkdir -p "$P/$d"
	head -c 3000000 /dev/urandom >"$P/$d/big.bin"
	echo "$d" >"$P/$d/name"
done
par() { RECIPE_FILE=parallel.lua img "$P" "$@"; }   # ARGS: --set ARGS
# writes to the repositories under NS in the registry's access log
ns_writes() { grep -cE '"(PUT|PATCH|POST) /v2/'"$1"'/' "$LOG"; }
# line N of stderr matching a pattern (0: none)
line_of() { grep -n -- "$1" "$WORK/.err" | head -1 | cut -d: -f1; }

t "two builds at once: both start before either ends; one is pushed while the other's manifest PUT is held"
proxy pdelay "PUT:/$NS-x/a/manifests/:delay=2:1"
par reg="$PX" ns="$NS-x" dirs=a,b
expect_rc 0
expect_eq "$(echo "$RESULT" | jq -r 'length')" 2
A_START=$(line_of "/$NS-x/a:v1: building") B_START=$(line_of "/$NS-x/b:v1: building")
A_END=$(line_of "/$NS-x/a:v1@.*built and pushed") B_END=$(line_of "/$NS-x/b:v1@.*built and pushed")
[ "$A_START" -gt 0 ] && [ "$B_START" -gt 0 ] && [ "$A_END" -gt 0 ] && [ "$B_END" -gt 0 ] &&
	[ "$A_START" -lt "$A_END" ] && [ "$B_START" -lt "$A_END" ] && [ "$A_START" -lt "$B_END" ] && [ "$B_START" -lt "$B_END" ] &&
	ok || bad "the builds did not both start before either ended: $(grep -E 'building|pushed' "$WORK/.err")"
# in the proxy's log: each image's first request comes before the other's
# manifest is in (one after the other, a's 2 s wait would come first)
grep -q "^PUT /v2/$NS-x/a/manifests/v1 held$" "$PXLOG" && ok || bad "a's manifest PUT was not held"
A1=$(grep -n " /v2/$NS-x/a/" "$PXLOG" | head -1 | cut -d: -f1)
B1=$(grep -n " /v2/$NS-x/b/" "$PXLOG" | head -1 | cut -d: -f1)
A201=$(grep -n "^PUT /v2/$NS-x/a/manifests/v1 201$" "$PXLOG" | cut -d: -f1)
B201=$(grep -n "^PUT /v2/$NS-x/b/manifests/v1 201$" "$PXLOG" | cut -d: -f1)
[ -n "$A1" ] && [ -n "$B1" ] && [ -n "$A201" ] && [ -n "$B201" ] &&
	[ "$A1" -lt "$B201" ] && [ "$B1" -lt "$A201" ] && [ "$B201" -lt "$A201" ] &&
	ok || bad "the pushes did not overlap (a ${A1:-?}..${A201:-?}, b ${B1:-?}..${B201:-?})"
expect_err "2 image(s) built, 0 unchanged"
DA=$(echo "$RESULT" | jq -r '.[0].digest') DB=$(echo "$RESULT" | jq -r '.[1].digest')
expect_eq "$(echo "$RESULT" | jq -r '.[0].name')" "$PX/$NS-x/a"
expect_eq "$(echo "$RESULT" | jq -r '.[1].name')" "$PX/$NS-x/b"
expect_eq "$(sk_digest "$R/$NS-x/a:v1")" "$DA"
expect_eq "$(sk_digest "$R/$NS-x/b:v1")" "$DB"
unset CDH_FLAGS

for d in a b; do
	L=$(skopeo inspect --config --raw --tls-verify=false "docker://$R/$NS-x/$d:v1" | jq -r '.config.Labels["dev.cdhost.input-digest"]')
	[[ $L =~ ^sha256:[0-9a-f]{64}$ ]] && ok || bad "$d's input-digest label is '$L'"
done

t "the same images as builds one after the other"
for d in a b; do
	img_one() { (cd "$P" && "$CDHOST" --insecure-registry "$R" run parallel.lua --set reg="$R" --set ns="$NS-seq" --set dirs="$1") >"$WORK/.out" 2>"$WORK/.err"; }
	img_one "$d" || bad "a single build of $d failed: $(tail -3 "$WORK/.err")"
done
# the registry's address and the repository are not inputs: same content,
# same digests (and the input-digest label is the same)
expect_eq "$(sk_digest "$R/$NS-seq/a:v1")" "$DA"
expect_eq "$(sk_digest "$R/$NS-seq/b:v1")" "$DB"

t "unchanged: both Found at once, nothing written"
w0=$(ns_writes "$NS-seq")
[ "$w0" -gt 0 ] && ok || bad "no writes of $NS-seq in the registry's log"
par reg="$R" ns="$NS-seq" dirs=a,b
expect_rc 0
expect_err "0 image(s) built, 2 unchanged"
expect_eq "$(ns_writes "$NS-seq")" "$w0"

t "one function fails: exit 1 naming its line; a's push completes, c never starts"
par reg="$R" ns="$NS-f" dirs=a,b,c fail=b
expect_rc 1
expect_err "parallel.lua:9: failing on purpose in b"
expect_eq "$(sk_digest "$R/$NS-f/a:v1")" "$DA"
for d in b c; do
	sk_exists "$R/$NS-f/$d:v1" && bad "$d has a tag" || ok
done
expect_no_err "$NS-f/c:v1: building"

t "SIGTERM while the pushes are held: exit 143 at once, no tag for either"
proxy pstall "PUT:/$NS-s/a/manifests/:stall:1" "PUT:/$NS-s/b/manifests/:stall:1"
(cd "$P" && exec "$CDHOST" --insecure-registry "$PX" run parallel.lua --set reg="$PX" --set ns="$NS-s" --set dirs=a,b) \
	>"$WORK/.out" 2>"$WORK/.err" &
BG=$!
for _ in $(seq 200); do [ "$(grep -c ' stalled$' "$PXLOG" 2>/dev/null)" = 2 ] && break; sleep 0.05; done
[ "$(grep -c ' stalled$' "$PXLOG")" = 2 ] && ok || bad "the two manifest PUTs were not both held at once"
t0=$SECONDS
kill -TERM "$BG"
wait "$BG"
RC=$?
expect_rc 143
[ $((SECONDS - t0)) -le 3 ] && ok || bad "took $((SECONDS - t0)) s to end after SIGTERM"
expect_err "interrupted by SIGTERM"
for d in a b; do
	sk_exists "$R/$NS-s/$d:v1" && bad "$d has a tag after the interrupted push" || ok
done

t "registry.copy at once: both copies complete, same digests"
cat >"$P/copies.lua" <<'LUA'
local a = cdhost.args
local function copy(d)
  return function() return cdhost.registry.copy(a.src .. "/" .. d .. ":v1", a.dst .. "/" .. d .. ":v1") end
end
local r = cdhost.parallel { copy("a"), copy("b") }
print("RESULT " .. cdhost.json.encode(cdhost.list(r), { sort_keys = true }))
LUA
RECIPE_FILE=copies.lua img "$P" src="$R/$NS-seq" dst="$R/$NS-copy"
expect_rc 0
expect_eq "$(echo "$RESULT" | jq -r '[.[].copied] | all')" true
expect_eq "$(sk_digest "$R/$NS-copy/a:v1")" "$DA"
expect_eq "$(sk_digest "$R/$NS-copy/b:v1")" "$DB"

t "--dry-run: nothing built, both tags computed"
CMD=--dry-run par reg="$R" ns="$NS-d" dirs=a,b
expect_rc 0
expect_eq "$(echo "$RESULT" | jq -r 'length')" 2
expect_eq "$(ns_writes "$NS-d")" 0
finish
