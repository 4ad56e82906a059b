#!/usr/bin/env python3
"""watch_server.py PORTFILE SCENARIO — replays recorded Kubernetes API
responses for tests/unit/test_rollout_watch.c: discovery, LISTs and WATCH
streams of one Deployment, scripted to exercise the waiter's stream
handling (it is a unit-test fixture: the waiter's e2e tests run against the
real API server). Standard library only.

Scenarios (the Deployment ns/web; pods and replicasets are empty lists
whose watches stay open):
  gone      LIST rv=100 (in progress); WATCH rv=100 -> an ERROR 410 event;
            LIST again rv=200 (available); WATCH rv=200 stays open.
  http410   as gone, but the WATCH answers HTTP 410 with a Status body.
  cut       LIST rv=100; WATCH rv=100 -> MODIFIED rv=150 (still in
            progress), a BOOKMARK rv=160, then the connection drops; the
            client must WATCH again from rv=160 (anything else: 400), which
            then sends MODIFIED rv=170 (available).
  stuck     LIST rv=100; every WATCH (pods and replicasets too) sends half
            an event, then the connection drops; a second LIST of the
            Deployment has rv=200 (available), its WATCH rv=200 stays open.
            A client that only resumes never sees it become available.
GET /log records how the client behaved: one line per request, "LIST ...",
"WATCH rv=N".
"""
import http.server
import json
import socketserver
import sys
import threading
import time

SCENARIO = sys.argv[2]
LOG = []
LOCK = threading.Lock()
LISTS = {"n": 0}

RESOURCES = {
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "pods", "namespaced": True, "kind": "Pod", "verbs": ["list", "watch"]}]},
    "/apis/apps/v1": {"kind": "APIResourceList", "groupVersion": "apps/v1", "resources": [
        {"name": "deployments", "namespaced": True, "kind": "Deployment", "verbs": ["list", "watch"]},
        {"name": "replicasets", "namespaced": True, "kind": "ReplicaSet", "verbs": ["list", "watch"]}]},
}


def deployment(rv, available):
    ready = 1 if available else 0
    conds = [{"type": "Progressing", "status": "True",
              "reason": "NewReplicaSetAvailable" if available else "ReplicaSetUpdated"}]
    if available:
        conds.append({"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"})
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "ns", "uid": "u-web", "generation": 1,
                         "resourceVersion": str(rv)},
            "spec": {"replicas": 1, "progressDeadlineSeconds": 600},
            "status": {"observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                       "readyReplicas": ready, "availableReplicas": ready, "conditions": conds}}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def stream_start(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, obj):
        data = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def half_event(self):
        self.stream_start()
        data = (json.dumps({"type": "MODIFIED", "object": deployment(150, False)}) + "\n").encode()
        self.wfile.write(b"%x\r\n%s" % (len(data), data[:len(data) // 2]))
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(2)   # cut in the middle of the event

    def hold(self):
        try:
            while True:
                time.sleep(0.2)
                self.wfile.write(b"")
        except Exception:
            pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        q = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        if path == "/log":
            with LOCK:
                return self.send_json(200, {"log": LOG})
        if path in RESOURCES:
            return self.send_json(200, RESOURCES[path])
        watch = q.get("watch") == "1"
        if SCENARIO == "stuck" and watch and q.get("resourceVersion") != "200":
            if path.endswith("/deployments"):
                with LOCK:
                    LOG.append("WATCH rv=" + q.get("resourceVersion", ""))
            return self.half_event()
        if not path.endswith("/deployments"):
            if not watch:
                return self.send_json(200, {"kind": "List", "metadata": {"resourceVersion": "1"}, "items": []})
            self.stream_start()
            return self.hold()
        with LOCK:
            LOG.append(("WATCH rv=" + q.get("resourceVersion", "")) if watch else "LIST")
        if not watch:
            LISTS["n"] += 1
            rv, available = (100, False) if LISTS["n"] == 1 else (200, True)
            return self.send_json(200, {"kind": "DeploymentList", "metadata": {"resourceVersion": str(rv)},
                                        "items": [deployment(rv, available)]})
        rv = q.get("resourceVersion")
        if SCENARIO in ("gone", "http410") and rv == "100":
            status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 410,
                      "reason": "Expired", "message": "too old resource version: 100 (150)"}
            if SCENARIO == "http410":
                return self.send_json(410, status)
            self.stream_start()
            self.chunk({"type": "ERROR", "object": status})
            self.wfile.write(b"0\r\n\r\n")
            return
        if SCENARIO == "cut" and rv == "100":
            self.stream_start()
            self.chunk({"type": "MODIFIED", "object": deployment(150, False)})
            self.chunk({"type": "BOOKMARK", "object": {"kind": "Deployment", "apiVersion": "apps/v1",
                                                       "metadata": {"resourceVersion": "160"}}})
            self.close_connection = True
            self.connection.shutdown(2)   # dropped mid-stream
            return
        if SCENARIO == "cut" and rv == "160":
            self.stream_start()
            self.chunk({"type": "MODIFIED", "object": deployment(170, True)})
            return self.hold()
        if rv == "200":
            self.stream_start()
            return self.hold()
        return self.send_json(400, {"kind": "Status", "code": 400, "message": "unexpected rv " + str(rv)})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
