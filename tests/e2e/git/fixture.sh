#!/usr/bin/env bash
# The git e2e suite's shared servers (one set per test run; CTest
# FIXTURES_SETUP / FIXTURES_CLEANUP call this):
#
#   fixture.sh up STATEDIR     install git, openssh-server, python3 if missing;
#                              start the servers; write STATEDIR/env.sh
#   fixture.sh down STATEDIR   stop what `up` started (idempotent)
#
# Servers (all on 127.0.0.1, all serving the bare repositories in STATEDIR/repos):
#   git daemon       git://127.0.0.1:$GIT_DAEMON_PORT/NAME.git (receive-pack enabled)
#   git_http.py      http://127.0.0.1:$GIT_HTTP_PORT/NAME.git  (Basic auth
#                    $GIT_HTTP_USER:$GIT_HTTP_PASSWORD, git http-backend behind it)
#   sshd             ssh://root@127.0.0.1:$GIT_SSH_PORT$STATEDIR/repos/NAME.git
#                    (key $GIT_SSH_KEY; host keys in $GIT_KNOWN_HOSTS)
# Tests make their own repositories (new_repo in lib.sh); a missing
# prerequisite that cannot be installed fails the setup, never skips.
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HELPERS=$(cd "$HERE/../../helpers" && pwd)
die() { echo "git fixture: error: $*" >&2; exit 1; }

CMD=${1:?usage: fixture.sh up|down STATEDIR}
S=${2:?usage: fixture.sh up|down STATEDIR}

stop_all() {
    [ -d "$S/pids" ] || return 0
    for f in "$S"/pids/*.pid; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$f"
    done
}

if [ "$CMD" = down ]; then stop_all; exit 0; fi
[ "$CMD" = up ] || die "unknown command $CMD"

# ---- prerequisites (idempotent) ----
need_pkgs=()
command -v git >/dev/null || need_pkgs+=(git)
[ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
command -v ssh-keygen >/dev/null || need_pkgs+=(openssh-client)
command -v python3 >/dev/null || need_pkgs+=(python3)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "git fixture: installing ${need_pkgs[*]}" >&2
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
        $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"; } >&2 ||
        die "cannot install ${need_pkgs[*]} (needed by the git e2e tests; install them and re-run)"
fi
command -v git >/dev/null || die "git is missing"
[ -x /usr/sbin/sshd ] || die "/usr/sbin/sshd is missing (Debian package openssh-server)"
command -v python3 >/dev/null || die "python3 is missing"
[ "$(id -u)" = 0 ] || die "the SSH tests log in as the current user through a private sshd; run them as root"

stop_all
rm -rf "$S"
mkdir -p "$S"/{pids,logs,repos,ssh}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start() {   # NAME CMD...
    local name=$1; shift
    ( exec setsid "$@" >>"$S/logs/$name.log" 2>&1 </dev/null ) &
    echo $! > "$S/pids/$name.pid"
}
wait_port() {   # NAME PORT
    for _ in $(seq 1 100); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$2),0.2)" 2>/dev/null; then return 0; fi
        kill -0 "$(cat "$S/pids/$1.pid")" 2>/dev/null || { tail -20 "$S/logs/$1.log" >&2; die "$1 exited"; }
        sleep 0.05
    done
    tail -20 "$S/logs/$1.log" >&2; die "$1 does not listen on $2"
}

# ---- git daemon ----
DPORT=$(free_port)
start daemon git daemon --export-all --enable=receive-pack --reuseaddr \
    --base-path="$S/repos" --listen=127.0.0.1 --port="$DPORT" "$S/repos"
wait_port daemon "$DPORT"

# ---- smart HTTP with Basic auth ----
HUSER=cdhost-test HPASS="pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
start http python3 "$HELPERS/git_http.py" --root "$S/repos" --user "$HUSER" \
    --password "$HPASS" --port-file "$S/http.port"
for _ in $(seq 1 100); do [ -s "$S/http.port" ] && break; sleep 0.05; done
[ -s "$S/http.port" ] || { cat "$S/logs/http.log" >&2; die "git_http.py did not start"; }
HPORT=$(cat "$S/http.port")
wait_port http "$HPORT"

# ---- sshd ----
SPORT=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$S/ssh/host_ed25519" -C cdhost-test-host
ssh-keygen -q -t ed25519 -N '' -f "$S/ssh/client" -C cdhost-test-client
ssh-keygen -q -t ed25519 -N '' -f "$S/ssh/other_host" -C cdhost-other-host
cp "$S/ssh/client.pub" "$S/ssh/authorized_keys"
chmod 600 "$S/ssh/authorized_keys"
mkdir -p /run/sshd
cat > "$S/ssh/sshd_config" <<EOF
Port $SPORT
ListenAddress 127.0.0.1
HostKey $S/ssh/host_ed25519
AuthorizedKeysFile $S/ssh/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
AllowUsers root
PidFile none
LogLevel ERROR
EOF
start sshd /usr/sbin/sshd -D -e -f "$S/ssh/sshd_config"
wait_port sshd "$SPORT"
printf '[127.0.0.1]:%s %s\n' "$SPORT" "$(cut -d' ' -f1-2 "$S/ssh/host_ed25519.pub")" > "$S/ssh/known_hosts"
printf '[127.0.0.1]:%s %s\n' "$SPORT" "$(cut -d' ' -f1-2 "$S/ssh/other_host.pub")" > "$S/ssh/known_hosts_wrong"
: > "$S/ssh/known_hosts_empty"

# the reference client (git CLI over ssh) must get in: proves the server works
git init -q --bare "$S/repos/probe.git"
GIT_SSH_COMMAND="ssh -i $S/ssh/client -o UserKnownHostsFile=$S/ssh/known_hosts -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes" \
    git ls-remote "ssh://root@127.0.0.1:$SPORT$S/repos/probe.git" >/dev/null 2>"$S/logs/probe.log" ||
    { cat "$S/logs/probe.log" "$S/logs/sshd.log" >&2; die "git over ssh does not work against the test sshd"; }

cat > "$S/env.sh" <<EOF
GIT_STATE=$S
GIT_REPOS=$S/repos
GIT_DAEMON_PORT=$DPORT
GIT_HTTP_PORT=$HPORT
GIT_HTTP_USER=$HUSER
GIT_HTTP_PASSWORD=$HPASS
GIT_SSH_PORT=$SPORT
GIT_SSH_KEY=$S/ssh/client
GIT_KNOWN_HOSTS=$S/ssh/known_hosts
EOF
echo "git fixture: daemon :$DPORT, http :$HPORT, sshd :$SPORT" >&2
