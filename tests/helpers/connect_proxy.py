#!/usr/bin/env python3
"""A forward proxy that only tunnels: HTTP CONNECT, as kubeconfig's proxy-url
and HTTPS_PROXY clients use it (stdlib only).

usage: connect_proxy.py PORTFILE LOG
Listens on 127.0.0.1 (a free port, written to PORTFILE once listening),
answers CONNECT host:port with 200 and relays bytes both ways; any other
request gets 405. LOG gets one line per request: "CONNECT host:port" (then
" ok" or " failed: why"), or "METHOD target refused". Runs until killed.
"""
import os, select, socket, socketserver, sys, threading

LOCK = threading.Lock()
MAX_HEAD = 16384


def log(line):
    with LOCK, open(sys.argv[2], "a") as f:
        f.write(line + "\n")


def relay(a, b):
    socks = [a, b]
    while True:
        ready, _, _ = select.select(socks, [], [], 300)
        if not ready:
            return
        for s in ready:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.request.recv(4096)
            if not chunk or len(head) > MAX_HEAD:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            log("%s refused" % " ".join(parts[:2]))
            self.request.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = parts[1].rpartition(":")
        try:
            up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except (OSError, ValueError) as e:
            log("CONNECT %s failed: %s" % (parts[1], e))
            self.request.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        log("CONNECT %s ok" % parts[1])
        up.settimeout(None)
        self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        if rest:
            up.sendall(rest)
        try:
            relay(self.request, up)
        except OSError:
            pass
        finally:
            up.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: connect_proxy.py PORTFILE LOG")
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[1])
    srv.serve_forever()


if __name__ == "__main__":
    main()
