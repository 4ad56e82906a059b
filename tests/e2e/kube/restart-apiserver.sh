#!/usr/bin/env bash
# tests/e2e/kube/restart-apiserver.sh STATEDIR [SIGNAL] — stops the testenv's
# kube-apiserver (SIGNAL, default KILL: a crash) and starts it again with the same command line, the
# way `testenv up` started it (setsid, no inherited descriptors, same log),
# updating STATEDIR/pids/kube-apiserver.pid so `testenv down` still stops it.
# Waits until /readyz answers ok again (at most 60 s).
set -euo pipefail
STATE=$1 SIG=${2:-KILL}
read -r pid exe <"$STATE/pids/kube-apiserver.pid"
mapfile -d '' args <"/proc/$pid/cmdline"
. "$STATE/env.sh"
t0=$(date +%s.%N)
kill -"$SIG" "$pid"
for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
[ ! -d "/proc/$pid" ] || { kill -KILL "$pid"; sleep 0.2; }
(
	for fd in /proc/$BASHPID/fd/*; do
		fd=${fd##*/}
		if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec $fd>&-" 2>/dev/null || true; fi
	done
	exec setsid "${args[@]}" >>"$STATE/logs/kube-apiserver.log" 2>&1 </dev/null
) &
echo "$! $exe" >"$STATE/pids/kube-apiserver.pid"
echo "restart-apiserver: stopped in $(echo "$(date +%s.%N) - $t0" | bc) s" >&2
for _ in $(seq 600); do
	if [ "$(curl -s --cacert "$CDHOST_TEST_CA" --cert "$CDHOST_TEST_CLIENT_CERT" \
		--key "$CDHOST_TEST_CLIENT_KEY" "$CDHOST_TEST_APISERVER/readyz" 2>/dev/null)" = ok ]; then
		exit 0
	fi
	sleep 0.1
done
echo "restart-apiserver: /readyz not ok after 60 s" >&2
exit 1
