#!/usr/bin/env bash
# The registry e2e suite's shared servers (one set per test run; CTest
# FIXTURES_SETUP / FIXTURES_CLEANUP call this):
#
#   fixture.sh up STATEDIR     install deps, start three docker-registry set-ups, seed them,
#                              write STATEDIR/env.sh
#   fixture.sh down STATEDIR   stop what `up` started (idempotent)
#
# Set-ups (Debian docker-registry 2.8.2, all on 127.0.0.1):
#   plain   HTTP, anonymous                         (cdhost: --insecure-registry)
#   basic   HTTPS (test CA) + htpasswd bcrypt Basic (cdhost: CDHOST_REGISTRY_CA)
#   bearer  HTTPS (test CA) + token auth, issuer tests/helpers/token_issuer.py (HTTPS)
# Credentials reach cdhost through $STATEDIR/docker/config.json: credHelpers naming
# docker-credential-cdhosttest ($STATEDIR/bin, put on PATH by the tests).
# Every token the issuer hands out is appended to $STATEDIR/logs/issued-tokens.log
# (test_secrets.sh's canaries).
# Seeded with skopeo (never cdhost): seed/one:v1 (one image) and seed/multi:v1 (an index
# of linux/amd64 + linux/arm64) in every registry.
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HELPERS=$(cd "$HERE/../../helpers" && pwd)
die() { echo "registry fixture: error: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() {   # NAME CMD... : detached, logs/NAME.log, pids/NAME.pid
    local name=$1; shift
    ( exec setsid "$@" >>"$S/logs/$name.log" 2>&1 </dev/null 9>&- ) &
    echo $! > "$S/pids/$name.pid"
}

wait_url() {   # NAME URL [curl args]
    local name=$1 url=$2; shift 2
    for _ in $(seq 1 150); do
        if curl -s -o /dev/null "$@" "$url"; then return 0; fi
        kill -0 "$(cat "$S/pids/$name.pid")" 2>/dev/null || { tail -20 "$S/logs/$name.log" >&2; die "$name exited"; }
        sleep 0.1
    done
    tail -20 "$S/logs/$name.log" >&2
    die "$name did not answer at $url"
}

wait_portfile() {
    for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.05; done
    die "no port in $1"
}

pki() {
    local p=$S/pki
    mkdir -p "$p"
    (
        cd "$p"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout ca.key -out ca.crt -days 2 -subj /CN=cdhost-registry-test-ca \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout server.key -out server.csr -subj /CN=127.0.0.1
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > san
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out server.crt -days 2 -extfile san
        # the token signing key (RS256) and its self-signed certificate = rootcertbundle
        openssl req -x509 -newkey rsa:2048 -nodes -keyout sign.key -out sign.crt -days 2 \
            -subj /CN=cdhost-token-signer
        mkdir -p certs.d
        cp ca.crt certs.d/ca.crt
    ) >"$S/logs/openssl.log" 2>&1 || { cat "$S/logs/openssl.log" >&2; die "openssl failed"; }
}

registry_config() {   # NAME PORT EXTRA-YAML
    cat > "$S/$1.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: false}}
storage:
  filesystem: {rootdirectory: $S/data/$1}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$2
  secret: cdhost-test-secret
$3
EOF
}

seed() {   # HOST:PORT SKOPEO-ARGS...
    local reg=$1; shift
    for img in one multi; do
        skopeo copy -q --all "$@" "oci:$S/oci/seed_$img:latest" "docker://$reg/seed/$img:v1" \
            >>"$S/logs/seed.log" 2>&1 || { tail -20 "$S/logs/seed.log" >&2; die "seeding $reg failed"; }
    done
}

# Everything `up` started still runs and answers.
healthy() {
    [ -f "$S/env.sh" ] || return 1
    local f
    for f in "$S"/pids/*.pid; do kill -0 "$(cat "$f")" 2>/dev/null || return 1; done
    # shellcheck disable=SC1091
    . "$S/env.sh"
    curl -sf -o /dev/null "http://$REG_PLAIN/v2/" &&
        curl -s -o /dev/null --cacert "$REG_CA" "https://$REG_BEARER/v2/"
}

cmd_up() {
    bash "$HERE/deps.sh" || die "installing the suite's packages failed"
    for c in docker-registry htpasswd skopeo openssl python3 curl setsid flock; do
        command -v "$c" >/dev/null || die "$c is missing (tests/e2e/registry/deps.sh installs it)"
    done
    # Two test runs in one build tree share the servers: count the users.
    if healthy; then
        echo $(( $(cat "$S/users.count" 2>/dev/null || echo 0) + 1 )) > "$S/users.count"
        echo "registry fixture: reusing the running set-up in $S" >&2
        return 0
    fi
    stop_all >/dev/null 2>&1 || true
    rm -rf "$S"
    mkdir -p "$S/logs" "$S/pids" "$S/data" "$S/bin" "$S/docker" "$S/oci"
    local t0=$SECONDS
    pki
    htpasswd -Bbc "$S/htpasswd" alice 'alice-Pa55-secret' >/dev/null 2>&1 || die "htpasswd failed"

    local p_plain p_basic p_bearer
    p_plain=$(free_port); p_basic=$(free_port); p_bearer=$(free_port)
    cat > "$S/users" <<'EOF'
alice alice-Pa55-secret pull,push,delete *
alice refresh:idtok-alice-0123 pull,push,delete *
- - pull seed/
EOF
    start issuer python3 "$HELPERS/token_issuer.py" "$S/issuer.port" \
        --cert "$S/pki/server.crt" --key "$S/pki/server.key" \
        --sign-cert "$S/pki/sign.crt" --sign-key "$S/pki/sign.key" \
        --issuer cdhost-test-issuer --users "$S/users" --log "$S/logs/tokens.log" \
        --token-log "$S/logs/issued-tokens.log"
    wait_portfile "$S/issuer.port"
    local p_issuer; p_issuer=$(cat "$S/issuer.port")

    local tls="  tls: {certificate: $S/pki/server.crt, key: $S/pki/server.key}"
    registry_config plain "$p_plain" ""
    registry_config basic "$p_basic" "$tls
auth: {htpasswd: {realm: cdhost-test, path: $S/htpasswd}}"
    registry_config bearer "$p_bearer" "$tls
auth:
  token: {realm: 'https://127.0.0.1:$p_issuer/token', service: cdhost-test,
          issuer: cdhost-test-issuer, rootcertbundle: $S/pki/sign.crt}"
    for r in plain basic bearer; do start "$r" docker-registry serve "$S/$r.yml"; done

    python3 "$HERE/mkimage.py" "$S/oci" seed/one >/dev/null
    python3 "$HERE/mkimage.py" "$S/oci" seed/multi --platforms linux/amd64,linux/arm64 >/dev/null

    wait_url plain "http://127.0.0.1:$p_plain/v2/"
    wait_url basic "https://127.0.0.1:$p_basic/v2/" --cacert "$S/pki/ca.crt"
    wait_url bearer "https://127.0.0.1:$p_bearer/v2/" --cacert "$S/pki/ca.crt"
    wait_url issuer "https://127.0.0.1:$p_issuer/token" --cacert "$S/pki/ca.crt"

    local creds=(--dest-creds 'alice:alice-Pa55-secret' --dest-cert-dir "$S/pki/certs.d")
    seed "127.0.0.1:$p_plain" --dest-tls-verify=false
    seed "127.0.0.1:$p_basic" "${creds[@]}"
    seed "127.0.0.1:$p_bearer" "${creds[@]}"

    # the credential helper cdhost runs (docker's protocol: server on stdin, JSON out)
    cat > "$S/bin/docker-credential-cdhosttest" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 1
server=\$(cat)
echo "\$server" >> "$S/logs/helper.log"
case "\$server" in
  127.0.0.1:$p_basic|127.0.0.1:$p_bearer)
    printf '{"ServerURL":"%s","Username":"alice","Secret":"alice-Pa55-secret"}\n' "\$server" ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
EOF
    chmod +x "$S/bin/docker-credential-cdhosttest"
    cat > "$S/docker/config.json" <<EOF
{"auths": {"127.0.0.1:$p_plain": {}},
 "credHelpers": {"127.0.0.1:$p_basic": "cdhosttest", "127.0.0.1:$p_bearer": "cdhosttest"}}
EOF
    cat > "$S/env.sh" <<EOF
# registry e2e fixture ($S) — sourced by the tests
export REG_STATE='$S'
export REG_PLAIN='127.0.0.1:$p_plain'
export REG_BASIC='127.0.0.1:$p_basic'
export REG_BEARER='127.0.0.1:$p_bearer'
export REG_ISSUER='127.0.0.1:$p_issuer'
export REG_CA='$S/pki/ca.crt'
export REG_CERTS_D='$S/pki/certs.d'
export REG_USER=alice
export REG_PASS='alice-Pa55-secret'
export REG_IDTOKEN='idtok-alice-0123'
EOF
    echo 1 > "$S/users.count"
    echo "registry fixture: up in $((SECONDS - t0)) s: plain $p_plain, basic $p_basic, bearer $p_bearer (issuer $p_issuer)" >&2
}

cmd_down() {
    local n
    n=$(( $(cat "$S/users.count" 2>/dev/null || echo 1) - 1 ))
    if [ "$n" -gt 0 ]; then echo "$n" > "$S/users.count"; return 0; fi
    stop_all
    rm -f "$S/users.count"
}

stop_all() {
    [ -d "$S/pids" ] || return 0
    local f pid
    for f in "$S"/pids/*.pid; do
        [ -f "$f" ] || continue
        pid=$(cat "$f")
        kill -TERM "$pid" 2>/dev/null || true
        rm -f "$f"
    done
}

[ $# -eq 2 ] || die "usage: $0 up|down STATEDIR"
S=$2
mkdir -p "$(dirname "$S")"
exec 9>"$S.lock"
flock -w 300 9 || die "another fixture.sh holds $S.lock"
case "$1" in
    up) cmd_up ;;
    down) cmd_down ;;
    *) die "usage: $0 up|down STATEDIR" ;;
esac
