#!/usr/bin/env bash
# Faults and bad input for native builds (cdhost.image.build): the fault
# proxy (tests/helpers/fault_proxy.py) between cdhost and the plain registry
# returns 500 then 201, resets a layer upload half-way, corrupts a base
# manifest, lies about a pushed manifest's digest, keeps failing, answers
# 429/503 with and without Retry-After (the wait measured from the proxy's
# time log, the attempts counted, a Retry-After beyond --timeout ends at the
# deadline), truncates responses; then wrong
# credentials; cdhost killed (SIGKILL, SIGTERM) while the proxy stalls a layer
# upload, a child manifest or the index of a multi-platform push, then run
# again; and an unreadable context file in run mode. Every case ends in
# success after retry or a clear error, and in every case the tag is absent
# or names a complete image (skopeo copies it with every blob, digests
# checked).
. "$(dirname "$0")/lib.sh"

P=$WORK/p
mkproject "$P"
head -c 6000000 /dev/urandom >"$P/app/big.bin"   # a layer of ~6 MB: the reset lands inside it

# complete REF (at the plain registry): 0 when the tag is absent or every blob
# of what it names (children of an index too) can be fetched and verified
complete() {
	sk_exists "$1" || return 0
	rm -rf "$WORK/chk"
	skopeo copy -q --all --src-tls-verify=false "docker://$1" "oci:$WORK/chk:x" >"$WORK/chk.err" 2>&1
}
present_and_complete() {   # REF
	sk_exists "$1" || { bad "$1 is absent"; return; }
	complete "$1" && ok || bad "$1 is incomplete: $(tail -2 "$WORK/chk.err")"
}
absent() {   # REF
	sk_exists "$1" && bad "a tag exists after a failed build: $1" || ok
}

t "500 on the first blob PUT and the first manifest PUT: retried, then 201"
proxy p500 "PUT:/blobs/uploads/:500:1" "PUT:/manifests/:500:1"
img "$P" name="$PX/$NS/a" tag=v1
expect_rc 0
expect_eq "$(field pushed)" "True"
expect_eq "$(field digest)" "$(sk_digest "$R/$NS/a:v1")"
grep -q "^PUT /v2/$NS/a/blobs/uploads/.* 500$" "$PXLOG" && ok || bad "no injected 500 on a blob PUT"
grep -q "^PUT /v2/$NS/a/manifests/v1 500$" "$PXLOG" && ok || bad "no injected 500 on the manifest PUT"
grep -q "^PUT /v2/$NS/a/manifests/v1 201$" "$PXLOG" && ok || bad "the manifest PUT did not end in 201"
present_and_complete "$R/$NS/a:v1"
D=$(field digest)
LAYER=$(skopeo inspect --raw --tls-verify=false "docker://$R/$NS/a:v1" | jq -r '.layers[0].digest')
LSIZE=$(skopeo inspect --raw --tls-verify=false "docker://$R/$NS/a:v1" | jq -r '.layers[0].size')
[ "${LSIZE:-0}" -gt 5000000 ] && ok || bad "the layer is only ${LSIZE:-?} bytes"

t "connection reset half-way through the layer upload: a new session, then success"
proxy preset "PUT:${LAYER#sha256:}:reset:1"
img "$P" name="$PX/$NS/b" tag=v1
expect_rc 0
grep -q "^PUT /v2/$NS/b/blobs/uploads/.*${LAYER#sha256:} reset$" "$PXLOG" && ok || bad "no reset in the layer upload"
grep -q "^PUT /v2/$NS/b/blobs/uploads/.*${LAYER#sha256:} 201$" "$PXLOG" && ok || bad "the layer was not uploaded again"
expect_eq "$(field digest)" "$D"
expect_eq "$(sk_digest "$R/$NS/b:v1")" "$D"
present_and_complete "$R/$NS/b:v1"

t "a reset on every attempt: a clear error, no tag; a re-run completes"
proxy presets "PUT:${LAYER#sha256:}:reset:0"
img "$P" name="$PX/$NS/c" tag=v1
expect_rc 1
expect_err "[unreachable]"
expect_err "$LAYER"
absent "$R/$NS/c:v1"
grep -q "^PUT /v2/$NS/c/manifests/" "$PXLOG" && bad "a manifest was pushed after a failed layer" || ok
img "$P" name="$R/$NS/c" tag=v1
expect_rc 0
expect_eq "$(field digest)" "$D"
present_and_complete "$R/$NS/c:v1"

t "blob uploads that keep failing: [server], no manifest, no tag"
proxy pfail "PUT:/blobs/uploads/:500:0"
img "$P" name="$PX/$NS/e" tag=v1
expect_rc 1
expect_err "[server]"
expect_err "injected failure"
absent "$R/$NS/e:v1"
grep -q "^PUT .*/manifests/" "$PXLOG" && bad "a manifest was pushed after failed blobs" || ok

t "a base manifest whose digest does not match: hash_mismatch, no tag"
proxy pcorrupt "GET:/manifests/:corrupt:0"
img "$P" name="$R/$NS/f" base="$PX/seed/one:v1" tag=v1
expect_rc 1
expect_err "[hash_mismatch]"
expect_err "base image"
expect_err "the content has digest"
absent "$R/$NS/f:v1"
img "$P" name="$R/$NS/f" base="$PX/seed/multi:v1" tag=v1
expect_rc 1
expect_err "[hash_mismatch]"
absent "$R/$NS/f:v1"

t "a pushed manifest whose digest the registry reports otherwise: hash_mismatch"
proxy pdigest "PUT:/manifests/:baddigest:0"
img "$P" name="$PX/$NS/g" tag=v1
expect_rc 1
expect_err "[hash_mismatch]"
expect_err "the registry stored digest sha256:0000"
complete "$R/$NS/g:v1" && ok || bad "the tag names an incomplete image"
# an index: the first child manifest (by digest) already fails, the tag is never written
img "$P" name="$PX/$NS/g" base="$PX/seed/multi:v1" tag=multi
expect_rc 1
expect_err "[hash_mismatch]"
absent "$R/$NS/g:multi"

t "multi-platform: the index PUT keeps failing, the children are in, no tag"
proxy pindex "PUT:/manifests/m1:500:0"
img "$P" name="$PX/$NS/h" base="$PX/seed/multi:v1" tag=m1
expect_rc 1
expect_err "[server]"
[ "$(grep -c "^PUT /v2/$NS/h/manifests/sha256:.* 201$" "$PXLOG")" = 2 ] && ok || bad "the two child manifests were not pushed by digest"
absent "$R/$NS/h:m1"
proxy pindex2
img "$P" name="$PX/$NS/h" base="$PX/seed/multi:v1" tag=m1
expect_rc 0
present_and_complete "$R/$NS/h:m1"
unset CDH_FLAGS

# gap SECONDS between the first "METHOD PATH-REGEX STATUS1" line and the next
# "METHOD PATH-REGEX STATUS2" line of the proxy's time log
gap() {
	awk -v a="^$1 $2 $3\$" -v b="^$1 $2 $4\$" '
		{ t = $1; $1 = ""; sub(/^ /, "") }
		t0 == "" && $0 ~ a { t0 = t; next }
		t0 != "" && $0 ~ b { printf "%.3f\n", t - t0; exit }' "$PXLOG.t"
}
# at_least A B: A >= B (decimals)
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'; }

t "429 with Retry-After: 2 on the manifest PUT: the retry comes 2 s later, then 201"
proxy p429 "PUT:/manifests/:429=2:1"
img "$P" name="$PX/$NS/k" tag=v1
expect_rc 0
expect_eq "$(field digest)" "$D"
G=$(gap PUT "/v2/$NS/k/manifests/v1" 429 201)
at_least "$G" 1.95 && ok || bad "the retry came ${G:-never} s after the 429, not after Retry-After: 2"
present_and_complete "$R/$NS/k:v1"

t "429 without Retry-After on the upload POST: a refusal, so the POST is sent again"
proxy p429post "POST:/blobs/uploads/:429:1"
img "$P" name="$PX/$NS/l" tag=v1
expect_rc 0
grep -q "^POST /v2/$NS/l/blobs/uploads/ 429$" "$PXLOG" && ok || bad "no injected 429 on the POST"
[ "$(grep -c "^POST /v2/$NS/l/blobs/uploads/ 202$" "$PXLOG")" -ge 1 ] && ok || bad "the POST was not sent again"
present_and_complete "$R/$NS/l:v1"

t "503 with Retry-After: 1 on every manifest PUT: bounded attempts, a clear error, no tag"
proxy p503 "PUT:/manifests/:503=1:0"
SECONDS=0
img "$P" name="$PX/$NS/m" tag=v1
took=$SECONDS
expect_rc 1
expect_err "[server]"
expect_err "503"
expect_err "$NS/m"
N503=$(grep -c "^PUT /v2/$NS/m/manifests/v1 503$" "$PXLOG")
# CD_HTTP_MAX_RETRIES (core/http.h) is 4: five attempts in all, a second apart
expect_eq "$N503" 5
[ "$took" -lt 30 ] && ok || bad "giving up took $took s"
G=$(gap PUT "/v2/$NS/m/manifests/v1" 503 503)
at_least "$G" 0.95 && ok || bad "attempts ${G:-?} s apart despite Retry-After: 1"
absent "$R/$NS/m:v1"

t "429 with Retry-After beyond --timeout: ends at the deadline (exit 4), no tag"
proxy p429long "PUT:/manifests/:429=30:0"
SECONDS=0
CDH_FLAGS="$CDH_FLAGS --timeout 4s" img "$P" name="$PX/$NS/n" tag=v1
took=$SECONDS
expect_rc 4
expect_err "[timeout]"
[ "$took" -lt 10 ] && ok || bad "a 30 s Retry-After outlived --timeout 4s ($took s)"
absent "$R/$NS/n:v1"

t "a truncated base manifest and a truncated config blob: retried, then the build completes"
proxy ptrunc "GET:/manifests/:truncate:1" "GET:/blobs/sha256:truncate:1"
img "$P" name="$R/$NS/o" base="$PX/seed/one:v1" tag=v1
expect_rc 0
grep -q "^GET /v2/seed/one/manifests/v1 truncated$" "$PXLOG" && ok || bad "no truncated manifest GET"
grep -q "^GET /v2/seed/one/manifests/v1 200$" "$PXLOG" && ok || bad "the manifest GET was not retried"
present_and_complete "$R/$NS/o:v1"
unset CDH_FLAGS

t "wrong credentials: unauthorized, naming the user and file, never the password"
mkdir -p "$WORK/badcfg"
printf '{"auths":{"%s":{"auth":"%s"},"%s":{"auth":"%s"}}}\n' \
	"$REG_BASIC" "$(printf 'alice:wrong-Pa55-word' | base64)" \
	"$REG_BEARER" "$(printf 'alice:wrong-Pa55-word' | base64)" >"$WORK/badcfg/config.json"
for reg in "$REG_BASIC" "$REG_BEARER"; do
	DOCKER_CONFIG=$WORK/badcfg img "$P" name="$reg/$NS/i" tag=v1
	expect_rc 1
	expect_err "[unauthorized]"
	expect_err "$WORK/badcfg/config.json"
	expect_no_err "wrong-Pa55-word"
	sk_exists "$reg/$NS/i:v1" && bad "a tag exists at $reg" || ok
done
DOCKER_CONFIG=$WORK/badcfg img "$P" name="$R/$NS/i" base="$REG_BASIC/seed/one:v1" tag=v1
expect_rc 1
expect_err "[unauthorized]"
expect_err "base image"
absent "$R/$NS/i:v1"
# the right credentials (the fixture's helper) push the same image
img "$P" name="$REG_BASIC/$NS/i" tag=v1
expect_rc 0
expect_eq "$(field digest)" "$D"

# img_bg DIR ARGS...: img in the background; $BG is cdhost's pid
img_bg() {
	local dir=$1; shift
	local sets=()
	for kv in "$@"; do sets+=(--set "$kv"); done
	(cd "$dir" && exec "$CDHOST" ${CDH_FLAGS:-} --insecure-registry "$R" run build.lua "${sets[@]}") \
		>"$WORK/.out" 2>"$WORK/.err" &
	BG=$!
}
alive() { [ -e "/proc/$1" ] && ! grep -qE '^[0-9]+ \(.*\) Z' "/proc/$1/stat" 2>/dev/null; }
# stalled REGEX: waits (60 s at most) while cdhost runs for a line of the
# proxy log matching REGEX (its "... stalled" line)
stalled() {
	for _ in $(seq 1 600); do
		grep -qE "$1" "$PXLOG" 2>/dev/null && return 0
		alive "$BG" || return 1
		sleep 0.1
	done
	return 1
}
# killed SIG: sends SIG to cdhost, which must end within 10 s; RC = its status;
# then the proxy must log that the stalled request's client went away
killed() {
	kill -"$1" "$BG"
	for _ in $(seq 1 100); do alive "$BG" || break; sleep 0.1; done
	if alive "$BG"; then bad "cdhost still runs 10 s after SIG$1"; kill -KILL "$BG"; fi
	{ wait "$BG"; } 2>/dev/null
	RC=$?
	for _ in $(seq 1 50); do grep -q ' gone$' "$PXLOG" && break; sleep 0.1; done
	grep -q ' gone$' "$PXLOG" && ok || bad "the proxy never saw the stalled request's client go away"
}
children() { skopeo inspect --raw --tls-verify=false "docker://$1" | jq -r '.manifests | length'; }
# multi_ref REPO: the multi-platform build through the proxy, uninterrupted;
# DM = its digest (the base's reference, with the proxy's port, is an input)
multi_ref() {
	img "$P" name="$PX/$NS/$1" base="$PX/seed/multi:v1" tag=m1
	expect_rc 0
	DM=$(field digest)
	expect_eq "$(children "$R/$NS/$1:m1")" 2
}
# multi_again REPO: the interrupted build run again completes with digest DM,
# the index names both children and every blob of them is there
multi_again() {
	img "$P" name="$PX/$NS/$1" base="$PX/seed/multi:v1" tag=m1
	expect_rc 0
	expect_eq "$(field digest)" "$DM"
	expect_eq "$(sk_digest "$R/$NS/$1:m1")" "$DM"
	expect_eq "$(children "$R/$NS/$1:m1")" 2
	present_and_complete "$R/$NS/$1:m1"
}

t "SIGKILL while the ~6 MB layer upload is stalled: no tag; a re-run gives the uninterrupted digest"
proxy pstall "PUT:${LAYER#sha256:}:stall:1"
img_bg "$P" name="$PX/$NS/s" tag=v1
stalled "^PUT /v2/$NS/s/blobs/uploads/.*${LAYER#sha256:} stalled$" && ok ||
	bad "the layer upload never stalled: $(tail -3 "$WORK/.err")"
killed KILL
expect_eq "$RC" 137
absent "$R/$NS/s:v1"
grep -q "^PUT /v2/$NS/s/manifests/" "$PXLOG" && bad "a manifest was pushed while the layer was stalled" || ok
unset CDH_FLAGS
img "$P" name="$R/$NS/s" tag=v1
expect_rc 0
expect_eq "$(field digest)" "$D"
expect_eq "$(sk_digest "$R/$NS/s:v1")" "$D"
present_and_complete "$R/$NS/s:v1"

t "multi-platform: SIGKILL while the second child manifest PUT is stalled: no tag; the re-run completes"
proxy pstall2 "PUT:/v2/$NS/t/manifests/sha256:pass:1" "PUT:/v2/$NS/t/manifests/sha256:stall:1"
multi_ref tref   # the same inputs uninterrupted, in another repository
img_bg "$P" name="$PX/$NS/t" base="$PX/seed/multi:v1" tag=m1
stalled "^PUT /v2/$NS/t/manifests/sha256:[0-9a-f]{64} stalled$" && ok ||
	bad "no child manifest PUT stalled: $(tail -3 "$WORK/.err")"
[ "$(grep -c "^PUT /v2/$NS/t/manifests/sha256:[0-9a-f]* 201$" "$PXLOG")" = 1 ] && ok ||
	bad "the first child manifest was not pushed before the second stalled"
killed KILL
expect_eq "$RC" 137
absent "$R/$NS/t:m1"
grep -q "^PUT /v2/$NS/t/manifests/m1 " "$PXLOG" && bad "the index was pushed" || ok
multi_again t

t "multi-platform: SIGTERM while the index PUT is stalled: cdhost ends, no tag; the re-run completes"
proxy pstall3 "PUT:/v2/$NS/u/manifests/m1:stall:1"
multi_ref uref
img_bg "$P" name="$PX/$NS/u" base="$PX/seed/multi:v1" tag=m1
stalled "^PUT /v2/$NS/u/manifests/m1 stalled$" && ok || bad "the index PUT never stalled: $(tail -3 "$WORK/.err")"
[ "$(grep -c "^PUT /v2/$NS/u/manifests/sha256:[0-9a-f]* 201$" "$PXLOG")" = 2 ] && ok ||
	bad "the two child manifests were not pushed before the index"
killed TERM
expect_eq "$RC" 143
absent "$R/$NS/u:m1"
multi_again u
unset CDH_FLAGS

t "unreadable context file in run mode (unprivileged user): clear error, nothing pushed"
[ "$(id -u)" = 0 ] && command -v setpriv >/dev/null || { bad "needs root and setpriv to run as nobody"; finish; exit; }
P3=/tmp/cdhost-imgf-$$-$RANDOM; mkproject "$P3"; chmod -R a+rX "$P3"; chmod 000 "$P3/app/sub/note"
w0=$(writes)
(cd "$P3" && XDG_CACHE_HOME=$P3/.cache setpriv --reuid 65534 --regid 65534 --clear-groups \
	"$CDHOST" --insecure-registry "$R" run build.lua --set name="$R/$NS/j" --set tag=v1) >/dev/null 2>"$WORK/.err"
RC=$?
rm -rf "$P3"
expect_rc 1
expect_err "app/sub/note"
expect_err "ermission denied"
absent "$R/$NS/j:v1"
expect_eq "$(writes)" "$w0"
finish
