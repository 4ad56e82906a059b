#!/usr/bin/env python3
"""A TLS-terminating, fault-injecting HTTP/1.1 proxy for the API server
(kube e2e tests, stdlib only).

usage: http_fault_proxy.py PORTFILE UPSTREAM_URL --ca CA --cert CERT --key KEY
                           [--control FILE] [--rule RULE]... [--log FILE]

It serves TLS on 127.0.0.1 (ALPN http/1.1 only) with CERT/KEY (the API
server's own serving pair: valid for 127.0.0.1, signed by CA, so clients
verify it as usual), reads each HTTP/1.1 request and sends it on to
UPSTREAM_URL (https, verified with CA) over one upstream connection per
client connection, headers (Authorization included) and body unchanged.
Responses are streamed: a chunked response (a watch) is passed on chunk by
chunk as it arrives, nothing is buffered.

A RULE is METHOD:PATH-SUBSTRING:ACTION:COUNT. METHOD may be `*`; the
substring is looked for in the request target, query string included
(`watch=` finds watches), or at its end when it ends in `$` (`/api/v1$`:
discovery, not what lies under it); COUNT is how many matching requests the
rule takes (0 = all of them). The first rule that matches decides. ACTION is one of
  429[=N]      answer 429 with `Retry-After: N` (default 1) and a Kubernetes
               Status body, without forwarding
  503[=N]      the same with 503; `503=none`: no Retry-After (a plain 503,
               which a client may not repeat for a POST)
  500          answer 500 (Status body, no Retry-After), without forwarding
  truncate[=N] forward, but cut the body and close the connection: a body
               with a length after half of it; a chunked body after N
               complete newline-delimited watch events (default 1), in the
               middle of the next chunk (its size line promises more bytes
               than are sent)
  delay=S      wait S seconds, then forward
  drop         close the connection without answering
  reset        reset the connection (RST) without answering
Rules come from --rule and from the CONTROL file (one rule per line or
separated by blanks; `#` starts a comment), which is re-read when it
changes: a test switches the faults between runs, and every rewrite starts
the counts afresh.

The chosen port is written to PORTFILE once listening. --log gets one line
per request when it ends:
  MONOTONIC METHOD TARGET STATUS OUTCOME
MONOTONIC is time.monotonic() when the request arrived (seconds, 3
decimals), STATUS the status sent (`-` if none), OUTCOME one of forwarded,
injected, truncated, dropped, reset, client-gone, upstream-error, refused
(a chunked request body, which no client here sends).
"""
import argparse, http.client, http.server, json, os, socket, socketserver
import ssl, struct, sys, threading, time, urllib.parse

# Headers that belong to one connection, not to the message.
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding",
       "te", "trailer", "upgrade"}
REASONS = {429: ("Too Many Requests", "TooManyRequests"),
           500: ("Internal Server Error", "InternalError"),
           503: ("Service Unavailable", "ServiceUnavailable")}
LOG_LOCK = threading.Lock()


def log(t, method, target, status, outcome):
    if not ARGS.log:
        return
    with LOG_LOCK, open(ARGS.log, "a") as f:
        f.write("%.3f %s %s %s %s\n" % (t, method, target, status, outcome))


def parse_rules(text):
    rules = []
    for line in text.splitlines():
        for word in line.split("#", 1)[0].split():
            # the substring may hold colons; method and action never do
            parts = word.split(":")
            method, action, count = parts[0], parts[-2], parts[-1]
            sub = ":".join(parts[1:-2])
            name, _, arg = action.partition("=")
            if name not in ("429", "503", "500", "truncate", "delay", "drop", "reset"):
                raise ValueError("unknown action %r in rule %r" % (action, word))
            rules.append({"method": method, "sub": sub, "action": name,
                          "arg": arg, "left": int(count) or -1})
    return rules


class Rules:
    def __init__(self, static, control):
        self.static = parse_rules("\n".join(static))
        self.control = control
        self.text = None
        self.dynamic = []
        self.lock = threading.Lock()

    def _refresh(self):
        if not self.control:
            return
        try:
            with open(self.control) as f:
                text = f.read()
        except OSError:
            text = ""
        if text != self.text:
            try:
                self.dynamic = parse_rules(text)
            except ValueError as e:
                print("http_fault_proxy: %s" % e, file=sys.stderr)
                self.dynamic = []
            self.text = text

    def match(self, method, target):
        with self.lock:
            self._refresh()
            for r in self.static + self.dynamic:
                sub = r["sub"]
                if sub.endswith("$"):
                    found = target.endswith(sub[:-1])
                else:
                    found = sub in target
                if r["left"] == 0 or r["method"] not in ("*", method) or not found:
                    continue
                if r["left"] > 0:
                    r["left"] -= 1
                return r["action"], r["arg"]
        return None, ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = None

    def log_message(self, *a):
        pass

    def setup(self):
        # the TLS handshake happens here, in the connection's own thread
        self.request.settimeout(60)
        self.request = SERVER_TLS.wrap_socket(self.request, server_side=True)
        self.request.settimeout(None)
        super().setup()

    def finish(self):
        try:
            super().finish()
        finally:
            if self.upstream:
                self.upstream.close()

    def read_body(self):
        # cdhost (and curl, kubectl) send a Content-Length; a chunked
        # request body is refused in handle_one
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else None

    def status_reply(self, code, retry_after):
        reason, kreason = REASONS[code]
        body = json.dumps({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "reason": kreason, "code": code,
            "message": "injected by http_fault_proxy: %s" % reason,
            "details": {"retryAfterSeconds": int(float(retry_after))}
            if retry_after else {}}).encode()
        self.send_response(code, reason)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def abort(self, rst):
        if rst:
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle_one(self):
        t0 = time.monotonic()
        method, target = self.command, self.path
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(501, "http_fault_proxy: chunked request bodies are not supported")
            log(t0, method, target, 501, "refused")
            return
        body = self.read_body()
        action, arg = RULES.match(method, target)
        if action in ("429", "503", "500"):
            wait = arg or ("1" if action != "500" else "")
            self.status_reply(int(action), "" if wait == "none" else wait)
            log(t0, method, target, action, "injected")
            return
        if action in ("drop", "reset"):
            self.abort(action == "reset")
            log(t0, method, target, "-", "dropped" if action == "drop" else "reset")
            return
        if action == "delay":
            time.sleep(float(arg or 1))
        try:
            resp = self.forward(method, target, body)
        except (OSError, http.client.HTTPException) as e:
            self.upstream = None
            msg = ("upstream: %r" % e).encode()
            print("http_fault_proxy: %s %s: %r" % (method, target, e), file=sys.stderr)
            self.send_response(502)
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            log(t0, method, target, 502, "upstream-error")
            return
        outcome = self.relay(resp, action == "truncate", int(arg or 1))
        log(t0, method, target, resp.status, outcome)

    def forward(self, method, target, body):
        if self.upstream is None:
            self.upstream = http.client.HTTPSConnection(
                UP.hostname, UP.port, context=CLIENT_TLS, timeout=60)
        headers = {}
        for k, v in self.headers.items():
            if k.lower() not in HOP and k.lower() not in ("host", "content-length", "expect"):
                headers[k] = v
        headers["Host"] = UP.netloc
        if body is not None:
            headers["Content-Length"] = str(len(body))
        self.upstream.request(method, target, body=body, headers=headers)
        resp = self.upstream.getresponse()
        # a watch may stay quiet for minutes: no read timeout from here on
        self.upstream.sock.settimeout(None)
        return resp

    def relay(self, resp, truncate, events):
        chunked = resp.chunked
        length = resp.getheader("Content-Length")
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP:
                self.send_header(k, v)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if resp.will_close:
            self.close_connection = True
        self.end_headers()
        self.wfile.flush()
        left = int(length) if (length and not chunked) else None
        cut_at = left // 2 if (truncate and left is not None) else None
        sent = seen = 0
        try:
            while True:
                data = resp.read1(65536)
                if not data:
                    break
                if chunked and truncate:
                    # where the Nth complete event ends, if in this block
                    pos = 0
                    while seen < events:
                        nl = data.find(b"\n", pos)
                        if nl < 0:
                            break
                        seen += 1
                        pos = nl + 1
                    if seen >= events and pos < len(data):
                        part = data[:pos + (len(data) - pos) // 2]
                        self.wfile.write(b"%x\r\n" % len(data) + part)
                        self.wfile.flush()
                        self.abort(False)
                        return "truncated"
                if cut_at is not None and sent + len(data) > cut_at:
                    self.wfile.write(data[:cut_at - sent])
                    self.wfile.flush()
                    self.abort(False)
                    return "truncated"
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                else:
                    self.wfile.write(data)
                self.wfile.flush()
                sent += len(data)
            resp.close()  # read to the end: the connection takes the next request
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
            if resp.will_close or length is None and not chunked:
                self.upstream.close()
                self.upstream = None
                self.close_connection = True
        except (OSError, http.client.HTTPException):
            # the client went away (or the upstream broke): both ends close
            if self.upstream:
                self.upstream.close()
                self.upstream = None
            self.close_connection = True
            return "client-gone"
        return "forwarded"

    # every method goes through handle_one
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self.handle_one
        raise AttributeError(name)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that breaks off is not the proxy's problem


def main():
    global ARGS, RULES, SERVER_TLS, CLIENT_TLS, UP
    p = argparse.ArgumentParser()
    p.add_argument("portfile")
    p.add_argument("upstream")
    p.add_argument("--ca", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--control")
    p.add_argument("--rule", action="append", default=[])
    p.add_argument("--log")
    ARGS = p.parse_args()
    UP = urllib.parse.urlsplit(ARGS.upstream)
    if UP.scheme != "https" or not UP.port:
        p.error("UPSTREAM_URL must be https://HOST:PORT")
    RULES = Rules(ARGS.rule, ARGS.control)
    SERVER_TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    SERVER_TLS.load_cert_chain(ARGS.cert, ARGS.key)
    SERVER_TLS.set_alpn_protocols(["http/1.1"])
    CLIENT_TLS = ssl.create_default_context(cafile=ARGS.ca)
    CLIENT_TLS.set_alpn_protocols(["http/1.1"])
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = ARGS.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
