#!/usr/bin/env python3
"""bench/rollout/observer.py — the independent observer of the rollout bench.

    observer.py SERVER CA CERT KEY NAMESPACE COUNT TIMEOUT

Lists, then watches, the Deployments of NAMESPACE over its own HTTPS
connection (Python's standard library only: nothing of cdhost or kubectl)
and prints, on stdout, one line per Deployment the first time its status
shows it rolled out:

    available NAME WALL MONO

WALL is Unix time (time.time(), the clock of cdhost's `ts`), MONO the
monotonic clock, both taken as soon as the bytes carrying the event were
read, before parsing. "Rolled out" is what `kubectl rollout status` checks:
observedGeneration >= generation and updated == ready == available ==
status.replicas == spec.replicas. A line `conditions NAME ...` follows when
the Available/Progressing conditions did not yet agree at that moment (kstatus
waits for them). `ready` is printed once the watch is open; `done` when
COUNT Deployments were seen, or `timeout`.
"""
import json
import ssl
import sys
import time
import http.client
from urllib.parse import urlsplit


def rolled_out(d):
    meta, spec, st = d.get("metadata", {}), d.get("spec", {}), d.get("status", {})
    want = spec.get("replicas", 1)
    if st.get("observedGeneration", 0) < meta.get("generation", 0):
        return False
    return all(st.get(k, 0) == want for k in
               ("updatedReplicas", "readyReplicas", "availableReplicas", "replicas"))


def conditions_agree(d):
    conds = {c.get("type"): c for c in d.get("status", {}).get("conditions", [])}
    av, pr = conds.get("Available", {}), conds.get("Progressing", {})
    return av.get("status") == "True" and pr.get("status") == "True" and \
        pr.get("reason") == "NewReplicaSetAvailable"


def main():
    server, ca, cert, key, ns, count, timeout = sys.argv[1:8]
    count, deadline = int(count), time.monotonic() + float(timeout)
    u = urlsplit(server)
    ctx = ssl.create_default_context(cafile=ca)
    ctx.load_cert_chain(cert, key)
    path = "/apis/apps/v1/namespaces/%s/deployments" % ns
    seen = set()

    def note(d, wall, mono):
        name = d.get("metadata", {}).get("name", "")
        if name and name not in seen and rolled_out(d):
            seen.add(name)
            print("available %s %.6f %.6f" % (name, wall, mono), flush=True)
            if not conditions_agree(d):
                print("conditions %s %s" % (name, json.dumps(
                    d.get("status", {}).get("conditions", []))), flush=True)

    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
    conn.request("GET", path)
    resp = conn.getresponse()
    body = json.loads(resp.read())
    if resp.status != 200:
        sys.exit("observer: list: HTTP %d %s" % (resp.status, body.get("message")))
    now_w, now_m = time.time(), time.monotonic()
    for d in body.get("items", []):
        note(d, now_w, now_m)
    rv = body["metadata"]["resourceVersion"]
    conn.request("GET", "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s"
                 "&timeoutSeconds=%d" % (path, rv, int(float(timeout)) + 5))
    resp = conn.getresponse()
    if resp.status != 200:
        sys.exit("observer: watch: HTTP %d" % resp.status)
    conn.sock.settimeout(max(1.0, deadline - time.monotonic()))
    print("ready", flush=True)
    buf = b""
    while len(seen) < count:
        if time.monotonic() > deadline:
            print("timeout", flush=True)
            return 1
        chunk = resp.read1(65536)
        wall, mono = time.time(), time.monotonic()
        if not chunk:
            print("timeout", flush=True)  # the server ended the watch
            return 1
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            ev = json.loads(line)
            if ev.get("type") in ("ADDED", "MODIFIED"):
                note(ev.get("object", {}), wall, mono)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
