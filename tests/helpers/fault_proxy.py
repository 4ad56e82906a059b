#!/usr/bin/env python3
"""A fault-injecting HTTP reverse proxy for the registry e2e tests (stdlib only).

usage: fault_proxy.py PORTFILE UPSTREAM_HOST:PORT [--rule RULE]... [--log FILE]
RULE is METHOD:PATH-SUBSTRING:ACTION:COUNT (COUNT 0 = every time), ACTION one of
  500        answer 500 with a registry error body, without forwarding
  429[=N]    answer 429 TOOMANYREQUESTS (with Retry-After: N when given)
  503[=N]    answer 503 UNAVAILABLE (with Retry-After: N when given)
  reset      read half of the request body, then reset the connection
  truncate   forward, then send the full Content-Length but only half the
             body and close the connection
  corrupt    forward, then add a byte to the response body (digest changes)
  baddigest  forward, then replace Docker-Content-Digest with a wrong one
  stall      hold the request: log "METHOD PATH stalled" on arrival, read the
             body, answer nothing and forward nothing until the client goes
             away (closes or resets the connection), then log "METHOD PATH
             gone" — for tests that kill the client mid-request
  pass       forward unchanged (it only uses up a count: "pass:1" before
             another rule on the same requests makes that rule hit the 2nd)
  delay=N    hold the request N seconds (logging "METHOD PATH held"), then
             forward it unchanged
  link=URL   forward, then add `Link: <URL>; rel="next"` to the response
  relocate=ORIGIN  forward, then point the Location header at ORIGIN
             (http://host:port) keeping its path and query
METHOD may be * (any). ACTION may hold ':' (the count is after the last).
--require-auth: every request without an Authorization header is answered
401 with a Basic challenge (before any rule); with one it goes on as above.
Everything else is forwarded unchanged (Host included, so the registry's
Location headers point back at the proxy). --log gets one line per request:
"METHOD PATH STATUS" (or "METHOD PATH reset" / "METHOD PATH truncated"),
with " auth" after it when --log-auth is given and the request carried an
Authorization header;
--timelog the same lines after a monotonic time in seconds, "T METHOD PATH
STATUS", for tests that measure waits.
"""
import argparse, http.client, http.server, os, socket, socketserver, struct
import sys, threading, time

REFUSALS = {"429": (429, "TOOMANYREQUESTS", "injected rate limit"),
            "503": (503, "UNAVAILABLE", "injected unavailability")}

HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class Rules:
    def __init__(self, specs):
        self.rules = []
        for s in specs:
            method, sub, rest = s.split(":", 2)
            action, count = rest.rsplit(":", 1)
            self.rules.append([method, sub, action, int(count)])
        self.lock = threading.Lock()

    def match(self, method, path):
        with self.lock:
            for r in self.rules:
                if r[0] in (method, "*") and r[1] in path and r[3] >= 0:
                    if r[3] == 1:
                        r[3] = -1  # used up
                    elif r[3] > 1:
                        r[3] -= 1
                    return r[2]
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def log(self, what):
        authed = ARGS.log_auth and self.headers.get("Authorization")
        line = "%s %s %s%s\n" % (self.command, self.path, what,
                                  " auth" if authed else "")
        with LOCK:
            if ARGS.log:
                with open(ARGS.log, "a") as f:
                    f.write(line)
            if ARGS.timelog:
                with open(ARGS.timelog, "a") as f:
                    f.write("%.3f %s" % (time.monotonic(), line))

    def read_body(self, limit=None):
        n = int(self.headers.get("Content-Length") or 0)
        if limit is not None:
            n = min(n, limit)
        return self.rfile.read(n) if n else b""

    def reset(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.read_body(n // 2)
        self.log("reset")
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def stall(self):
        self.log("stalled")
        n = int(self.headers.get("Content-Length") or 0)
        try:
            while n > 0:
                chunk = self.rfile.read1(min(n, 1 << 16))
                if not chunk:
                    break
                n -= len(chunk)
            while self.connection.recv(1 << 16):
                pass
        except OSError:
            pass
        self.log("gone")
        self.close_connection = True

    def send(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.log(status)

    def handle_any(self):
        if ARGS.require_auth and not self.headers.get("Authorization"):
            self.read_body()
            err = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}'
            return self.send(401, [("Content-Type", "application/json"),
                                   ("WWW-Authenticate", 'Basic realm="fault-proxy"')], err)
        action = RULES.match(self.command, self.path)
        if action == "reset":
            return self.reset()
        if action == "stall":
            return self.stall()
        body = self.read_body()
        if action and action.startswith("delay="):
            self.log("held")
            time.sleep(float(action.split("=", 1)[1]))
        if action == "500":
            err = b'{"errors":[{"code":"UNKNOWN","message":"injected failure","detail":null}]}'
            return self.send(500, [("Content-Type", "application/json")], err)
        if action and action.split("=")[0] in REFUSALS:
            status, code, msg = REFUSALS[action.split("=")[0]]
            hdrs = [("Content-Type", "application/json")]
            if "=" in action:
                hdrs.append(("Retry-After", action.split("=", 1)[1]))
            err = ('{"errors":[{"code":"%s","message":"%s","detail":null}]}'
                   % (code, msg)).encode()
            return self.send(status, hdrs, err)
        conn = http.client.HTTPConnection(ARGS.upstream, timeout=60)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        conn.request(self.command, self.path, body=body if body or self.command in
                     ("PUT", "POST", "PATCH") else None, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        headers = resp.getheaders()
        if action == "corrupt" and data:
            data = data[:1] + b" " + data[1:]
        if action and action.startswith("link="):
            headers = headers + [("Link", '<%s>; rel="next"' % action[5:])]
        if action and action.startswith("relocate="):
            origin = action[9:]
            def moved(v):
                rest = v.split("://", 1)[1] if "://" in v else "x" + v
                return origin + "/" + rest.split("/", 1)[1]
            headers = [(k, moved(v) if k.lower() == "location" else v)
                       for k, v in headers]
        if action == "baddigest":
            headers = [(k, "sha256:" + "0" * 64 if k.lower() == "docker-content-digest"
                        else v) for k, v in headers]
        conn.close()
        if action == "truncate" and self.command != "HEAD" and len(data) > 1:
            self.send_response(resp.status)
            for k, v in headers:
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.log("truncated")
            self.close_connection = True
            return
        if self.command == "HEAD":
            self.send_response(resp.status)
            for k, v in headers:
                if k.lower() not in HOP:
                    self.send_header(k, v)
            self.end_headers()
            self.log(resp.status)
            return
        self.send(resp.status, headers, data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    global ARGS, RULES, LOCK
    p = argparse.ArgumentParser()
    p.add_argument("portfile")
    p.add_argument("upstream")
    p.add_argument("--rule", action="append", default=[])
    p.add_argument("--log")
    p.add_argument("--timelog")
    p.add_argument("--log-auth", action="store_true")
    p.add_argument("--require-auth", action="store_true")
    ARGS = p.parse_args()
    RULES = Rules(ARGS.rule)
    LOCK = threading.Lock()
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = ARGS.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
