#!/usr/bin/env python3
"""bench/rollout/bench.py — driven by bench/rollout/run.sh (see there).

    bench.py CDHOST KUBECTL IMAGE WORKDIR ROUNDS

Expects the testenv's env.sh in the environment (CDHOST_TEST_APISERVER,
CDHOST_TEST_CA, CDHOST_TEST_CLIENT_CERT/KEY, KUBECONFIG). Each round runs
three phases, each in a fresh namespace with its own independent observer
(observer.py) and 20 Deployments (1 replica, SIM_READY_DELAY 2..6 s):

  cdhost    one `cdhost --output json run wait.lua`: kube.apply, then one
            rollout.wait over the 20; latency_i = ts of its `status` event
            Current for i - the observer's time for i
  rollout   `kubectl apply --server-side`, then 20 `kubectl rollout status
            deployment/NAME` in parallel; latency_i = exit time of process i
            - the observer's time for i
  wait      `kubectl apply --server-side`, then one `kubectl wait
            --for=condition=Available deployment --all`; one latency per
            round: exit time - the observer's time for the last Deployment

"return" is the time from the last Deployment becoming available to the
whole wait returning (cdhost: the ts of the log line the recipe prints
right after rollout.wait; kubectl rollout status: the last exit).
Phase order alternates per round. Prints a line per phase and a summary;
raw numbers go to WORKDIR/results.json. Exit 1 if cdhost opened more than
one watch per kind and namespace (3 here) or a wait failed.
"""
import json
import os
import statistics
import subprocess
import sys
import time

N = 20
KINDS_NS = 3  # deployments, replicasets, pods in one namespace
HERE = os.path.dirname(os.path.abspath(__file__))


def manifests(ns, image):
    out = []
    for i in range(N):
        name = "d-%02d" % (i + 1)
        delay = 2.0 + 4.0 * i / (N - 1)
        out.append(
            "---\napiVersion: apps/v1\nkind: Deployment\n"
            "metadata: {name: %s, namespace: %s}\n"
            "spec:\n  replicas: 1\n  selector: {matchLabels: {app: %s}}\n"
            "  template:\n    metadata: {labels: {app: %s}}\n"
            "    spec:\n      terminationGracePeriodSeconds: 0\n"
            "      containers:\n      - name: app\n        image: %s\n"
            "        env: [{name: SIM_READY_DELAY, value: \"%.2f\"}]\n"
            % (name, ns, name, name, image, delay))
    return "".join(out)


class Phase:
    def __init__(self, cfg, tool, rnd):
        self.cfg, self.tool = cfg, tool
        self.ns = "rb-%s-%d-%d" % (tool, rnd, os.getpid())
        self.file = os.path.join(cfg["work"], self.ns + ".yaml")
        with open(self.file, "w") as f:
            f.write(manifests(self.ns, cfg["image"]))
        kubectl(cfg, "create", "ns", self.ns)
        env = os.environ
        self.obs = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "observer.py"),
             env["CDHOST_TEST_APISERVER"], env["CDHOST_TEST_CA"],
             env["CDHOST_TEST_CLIENT_CERT"], env["CDHOST_TEST_CLIENT_KEY"],
             self.ns, str(N), "90"],
            stdout=subprocess.PIPE, text=True)
        line = self.obs.stdout.readline().strip()
        if line != "ready":
            raise SystemExit("observer did not start: %r" % line)

    def observed(self):
        avail, notes = {}, []
        for line in self.obs.stdout:
            w = line.split()
            if w and w[0] == "available":
                avail[w[1]] = float(w[2])
            elif w and w[0] == "conditions":
                notes.append(line.strip())
            elif w and w[0] == "timeout":
                notes.append("observer timed out")
        self.obs.wait()
        return avail, notes


def kubectl(cfg, *args):
    subprocess.run([cfg["kubectl"], *args], check=True,
                   stdout=subprocess.DEVNULL)


def run_cdhost(cfg, rnd):
    p = Phase(cfg, "cdhost", rnd)
    errf = os.path.join(cfg["work"], p.ns + ".events")
    with open(errf, "w") as err:
        rc = subprocess.run(
            [cfg["cdhost"], "--output", "json", "--max-instructions", "0",
             "run", "wait.lua", "--set", "file=" + os.path.basename(p.file),
             "--set", "ns=" + p.ns],
            cwd=cfg["work"], stdout=subprocess.DEVNULL, stderr=err).returncode
    avail, notes = p.observed()
    done, returned, stats = {}, None, {}
    with open(errf) as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == "status" and ev.get("status") == "Current":
                done.setdefault(ev["object"]["name"], ev["ts"])
            elif ev.get("event") == "log" and \
                    ev.get("message", "").startswith("bench waited"):
                returned = ev["ts"]
                stats = dict(kv.split("=") for kv in ev["message"].split()[2:])
    if rc != 0:
        notes.append("cdhost exited %d (events: %s)" % (rc, errf))
    return p.ns, avail, done, returned, {k: int(v) for k, v in stats.items()}, notes


def run_rollout_status(cfg, rnd):
    p = Phase(cfg, "rollout", rnd)
    kubectl(cfg, "apply", "--server-side", "-f", p.file)
    procs = {}
    for i in range(N):
        name = "d-%02d" % (i + 1)
        pr = subprocess.Popen([cfg["kubectl"], "rollout", "status",
                               "deployment/" + name, "-n", p.ns, "--timeout=90s"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs[pr.pid] = name
    done, notes = {}, []
    while procs:
        # Any child: the exit time is taken the moment one ends. The
        # observer may be reaped here too; Popen.wait copes with that.
        pid, status = os.wait()
        t = time.time()
        name = procs.pop(pid, None)
        if name is None:
            continue
        if os.waitstatus_to_exitcode(status) != 0:
            notes.append("kubectl rollout status %s failed" % name)
        done[name] = t
    avail, more = p.observed()
    return p.ns, avail, done, max(done.values()) if done else None, {}, notes + more


def run_wait_all(cfg, rnd):
    p = Phase(cfg, "wait", rnd)
    kubectl(cfg, "apply", "--server-side", "-f", p.file)
    rc = subprocess.run([cfg["kubectl"], "wait", "--for=condition=Available",
                         "deployment", "--all", "-n", p.ns, "--timeout=90s"],
                        stdout=subprocess.DEVNULL).returncode
    t = time.time()
    avail, notes = p.observed()
    if rc != 0:
        notes.append("kubectl wait exited %d" % rc)
    return p.ns, avail, {}, t, {}, notes


def ms(x):
    return "%.1f" % (x * 1000)


def main():
    cdhost, kubectl_bin, image, work, rounds = sys.argv[1:6]
    cfg = {"cdhost": cdhost, "kubectl": kubectl_bin, "image": image,
           "work": work}
    with open(os.path.join(work, "wait.lua"), "w") as f:
        f.write(
            "local a = cdhost.args\n"
            "local objs = cdhost.manifest.load { a.file }\n"
            "local res = cdhost.kube.apply(objs, { namespace = a.ns })\n"
            "local r = cdhost.rollout.wait(res, { timeout = \"90s\" })\n"
            "cdhost.log.info(string.format(\"bench waited requests=%d lists=%d"
            " watches=%d relists=%d reconnects=%d\",\n"
            "  r.requests, r.lists, r.watches, r.relists, r.reconnects))\n")
    open(os.path.join(work, "cdhost.libs"), "a").close()
    phases = [("cdhost", run_cdhost), ("rollout", run_rollout_status),
              ("wait", run_wait_all)]
    results, bad = [], 0
    pooled = {"cdhost": [], "rollout": []}
    for rnd in range(1, int(rounds) + 1):
        order = phases if rnd % 2 else phases[::-1]
        for tool, fn in order:
            ns, avail, done, returned, stats, notes = fn(cfg, rnd)
            # The 2 simulated nodes take 110 pods each: free them before the
            # next phase, and let the deletion finish so it adds no load.
            kubectl(cfg, "delete", "ns", ns, "--wait=true", "--timeout=120s")
            lat = sorted(done[n] - avail[n] for n in done if n in avail)
            last = max(avail.values()) if avail else None
            ret = returned - last if returned and last and len(avail) == N else None
            res = {"round": rnd, "tool": tool, "namespace": ns,
                   "available": avail, "done": done, "returned": returned,
                   "stats": stats, "notes": notes}
            results.append(res)
            line = "round %d %-8s" % (rnd, tool)
            if lat:
                pooled[tool] += lat
                line += " n=%d median %s ms, max %s ms, min %s ms" % (
                    len(lat), ms(statistics.median(lat)), ms(lat[-1]), ms(lat[0]))
            if ret is not None:
                line += "%s return %s ms" % ("," if lat else "", ms(ret))
            if stats:
                line += "; requests=%d lists=%d watches=%d relists=%d reconnects=%d" % (
                    stats["requests"], stats["lists"], stats["watches"],
                    stats["relists"], stats["reconnects"])
                if stats["watches"] > KINDS_NS:
                    line += " [FAIL: more than %d watches]" % KINDS_NS
                    bad = 1
            if len(avail) != N or (tool != "wait" and len(lat) != N):
                line += " [incomplete: %d observed, %d done]" % (len(avail), len(done))
                bad = 1
            print(line, flush=True)
            for n in notes:
                print("    note: " + n, flush=True)
                if "exited" in n or "failed" in n or "timed out" in n:
                    bad = 1
    with open(os.path.join(work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print("summary over %s rounds (pooled per-Deployment latencies):" % rounds)
    for tool in ("cdhost", "rollout"):
        lat = sorted(pooled[tool])
        if lat:
            q = statistics.quantiles(lat, n=20) if len(lat) > 1 else [lat[0]] * 19
            print("  %-8s n=%d median %s ms, p95 %s ms, max %s ms" % (
                tool, len(lat), ms(statistics.median(lat)), ms(q[18]), ms(lat[-1])))
    if pooled["cdhost"]:
        print("  cdhost target (median <= 30 ms, max <= 100 ms): %s" % (
            "met" if statistics.median(pooled["cdhost"]) <= 0.030 and
            max(pooled["cdhost"]) <= 0.100 else "MISSED"))
    print("raw data: %s (kept with KEEP=1)" % os.path.join(work, "results.json"))
    return bad


if __name__ == "__main__":
    sys.exit(main())
