#!/usr/bin/env bash
# Installs (idempotently) the Debian packages the registry e2e suite needs:
# the registry itself, htpasswd, skopeo and umoci (the independent checkers),
# buildah and podman (external builders; busybox-static for their test base), openssl
# and python3 (test CA, token issuer, fault proxy). A no-op when present.
# Fails with a clear message when something cannot be installed: the suite
# never skips.
set -euo pipefail
PKGS=(docker-registry apache2-utils skopeo umoci buildah podman busybox-static openssl python3 curl ca-certificates)
missing=()
for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = installed ] || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "registry e2e: installing ${missing[*]}" >&2
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
apt_get() {   # waits while another process holds the apt/dpkg lock
    for _ in $(seq 1 40); do
        if $SUDO apt-get -o DPkg::Lock::Timeout=60 "$@"; then return 0; fi
        sleep 10
    done
    return 1
}
apt_get update -qq || { echo "registry e2e: apt-get update failed" >&2; exit 1; }
apt_get install -y -qq --no-install-recommends "${missing[@]}" \
    || { echo "registry e2e: cannot install ${missing[*]}" >&2; exit 1; }
for c in docker-registry htpasswd skopeo umoci buildah podman busybox openssl python3; do
    command -v "$c" >/dev/null 2>&1 || { echo "registry e2e: $c still missing" >&2; exit 1; }
done
