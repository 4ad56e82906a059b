# tests/e2e/git/lib.sh — helpers for the git e2e tests (sourced).
#   test_X.sh CDHOST STATEDIR: STATEDIR/env.sh comes from fixture.sh up.
# Results are checked with the git CLI, never with cdhost.
CDHOST=$1
STATE=${2:?usage: test_X.sh CDHOST STATEDIR}
. "$CDHOST_SRC/tests/cli/lib.sh"
[ -f "$STATE/env.sh" ] || { echo "FAIL: no $STATE/env.sh: the git fixture did not start" >&2; exit 1; }
. "$STATE/env.sh"
export XDG_CACHE_HOME=$WORK/cache HOME=$WORK/home
mkdir -p "$HOME"
# ASan builds: libgit2 1.5.1's own SSH known_hosts reader leaks (lsan.supp)
export LSAN_OPTIONS="suppressions=$CDHOST_SRC/tests/e2e/git/lsan.supp:fast_unwind_on_malloc=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
unset CDHOST_GIT_SSH_KEY CDHOST_KNOWN_HOSTS CDHOST_GIT_CREDENTIALS SSH_AUTH_SOCK
export GIT_AUTHOR_NAME=tester GIT_AUTHOR_EMAIL=tester@example.com
export GIT_COMMITTER_NAME=tester GIT_COMMITTER_EMAIL=tester@example.com
TESTID=$(basename "$0" .sh)-$$

# new_repo NAME: a bare repository in the servers' root with one commit on
# main (README); prints its path.
new_repo() {
	local bare=$GIT_REPOS/$TESTID-$1.git tmp=$WORK/seed-$1
	rm -rf "$bare" "$tmp"
	git init -q --bare -b main "$bare"
	git init -q -b main "$tmp"
	echo "deploy repo $1" > "$tmp/README"
	git -C "$tmp" add README && git -C "$tmp" commit -qm init
	git -C "$tmp" push -q "$bare" main
	echo "$bare"
}

# url TRANSPORT NAME
url() {
	case $1 in
	path) echo "$GIT_REPOS/$TESTID-$2.git" ;;
	file) echo "file://$GIT_REPOS/$TESTID-$2.git" ;;
	git) echo "git://127.0.0.1:$GIT_DAEMON_PORT/$TESTID-$2.git" ;;
	http) echo "http://127.0.0.1:$GIT_HTTP_PORT/$TESTID-$2.git" ;;
	ssh) echo "ssh://root@127.0.0.1:$GIT_SSH_PORT$GIT_REPOS/$TESTID-$2.git" ;;
	esac
}

# g BARE ARGS...: the git CLI on a bare repository
g() { local r=$1; shift; git -C "$r" "$@"; }
count() { g "$1" rev-list --count "${2:-main}"; }
