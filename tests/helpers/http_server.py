#!/usr/bin/env python3
"""A loopback HTTP(S) server for cdhost's HTTP-layer tests (standard library only).

usage: http_server.py PORTFILE [--tls CERT KEY CA]
Writes the chosen port to PORTFILE once listening. With --tls it serves HTTPS
and requires a client certificate signed by CA.

Paths (KEY separates independent counters):
  /ok                    200 "hello"
  /status/N              status N
  /flaky/KEY/N           503 for the first N requests, then 200 "recovered"
  /ratelimit/KEY         429 with Retry-After: 1 once, then 200 "after wait"
  /busy/KEY              503 with Retry-After: 1 once, then 200 "after wait"
  /drop/KEY/N            close the connection without answering N times, then 200
  /redirect-other        302 to http://localhost:PORT/echo-auth (another host)
  /redirect-same         302 to /echo-auth on the same host
  /echo-auth             the Authorization header, or "none"
  /big                   2 MiB of 'x'
  /slow                  answers after 5 s
  /echo                  "METHOD LEN BODY" of the request
  /count/KEY             how many requests KEY has seen
"""
import http.server
import socketserver
import ssl
import sys
import threading
import time

counters = {}
lock = threading.Lock()


def bump(key):
    with lock:
        counters[key] = counters.get(key, 0) + 1
        return counters[key]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        head = parts[0]
        if head != "count":
            bump("seen:" + "/".join(parts[:2]))
        if head == "ok":
            return self.reply(200, "hello")
        if head == "status":
            return self.reply(int(parts[1]), "status " + parts[1])
        if head == "flaky":
            n = bump("flaky:" + parts[1])
            if n <= int(parts[2]):
                return self.reply(503, "try later")
            return self.reply(200, "recovered")
        if head in ("ratelimit", "busy"):
            n = bump(head + ":" + parts[1])
            if n == 1:
                if head == "busy":
                    return self.reply(503, "busy", {"Retry-After": "1"})
                return self.reply(429, "slow down", {"Retry-After": "1"})
            return self.reply(200, "after wait")
        if head == "drop":
            n = bump("drop:" + parts[1])
            if n <= int(parts[2]):
                self.close_connection = True
                self.connection.shutdown(2)
                return None
            return self.reply(200, "survived")
        if head == "redirect-other":
            port = self.server.server_address[1]
            return self.reply(302, "", {"Location": "http://localhost:%d/echo-auth" % port})
        if head == "redirect-same":
            return self.reply(302, "", {"Location": "/echo-auth"})
        if head == "echo-auth":
            return self.reply(200, self.headers.get("Authorization") or "none")
        if head == "big":
            return self.reply(200, b"x" * (2 << 20))
        if head == "slow":
            time.sleep(5)
            return self.reply(200, "late")
        if head == "echo":
            b = self.body()
            return self.reply(200, b"%s %d " % (self.command.encode(), len(b)) + b)
        if head == "count":
            with lock:
                return self.reply(200, str(counters.get("seen:" + "/".join(parts[1:3]), 0)))
        return self.reply(404, "no route")

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = route


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up on purpose (caps, deadlines) are expected


def main():
    portfile = sys.argv[1]
    srv = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) > 2 and sys.argv[2] == "--tls":
        cert, key, ca = sys.argv[3:6]
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.load_verify_locations(ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
