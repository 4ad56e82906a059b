#!/usr/bin/env python3
"""Smart-HTTP git server for cdhost's tests: `git http-backend` (CGI) behind a
loopback HTTP/1.1 server with Basic auth. Python standard library only; it
never uses cdhost code.

    git_http.py --root DIR --user U --password P --port-file F
                [--tls-cert PEM --tls-key PEM]

Every request needs `Authorization: Basic base64(U:P)`, otherwise 401 with a
`WWW-Authenticate: Basic` challenge. Chunked request bodies (libgit2 streams
pushes that way) are decoded before they reach http-backend. The chosen port
is written to --port-file once the socket listens. With --tls-cert and
--tls-key it speaks HTTPS only (Python's ssl module).
"""
import argparse
import base64
import http.server
import os
import ssl
import subprocess
import sys
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    want = "Basic " + base64.b64encode(
        f"{args.user}:{args.password}".encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("git_http: " + (fmt % a) + "\n")

        def body(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                out = bytearray()
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return bytes(out)
                    out += self.rfile.read(size)
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def reply(self, code, headers, data):
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def handle_git(self):
            data = self.body()
            if self.headers.get("Authorization") != want:
                self.reply(401, [("WWW-Authenticate", 'Basic realm="git"'),
                                 ("Content-Type", "text/plain")],
                           b"authentication required\n")
                return
            url = urllib.parse.urlsplit(self.path)
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": args.root,
                "GIT_HTTP_EXPORT_ALL": "1",
                "REMOTE_USER": args.user,
                "REMOTE_ADDR": "127.0.0.1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": urllib.parse.unquote(url.path),
                "QUERY_STRING": url.query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(data)),
                "GIT_HTTP_MAX_REQUEST_BUFFER": "100M",
            }
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
            if self.headers.get("Git-Protocol"):
                env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
            p = subprocess.run(["git", "http-backend"], input=data, env=env,
                               capture_output=True)
            head, _, rest = p.stdout.partition(b"\r\n\r\n")
            if not _:
                head, _, rest = p.stdout.partition(b"\n\n")
            code, headers = 200, []
            for line in head.decode("latin-1").splitlines():
                if ":" not in line:
                    continue
                k, v = line.split(":", 1)
                if k.lower() == "status":
                    code = int(v.strip().split()[0])
                else:
                    headers.append((k, v.strip()))
            if p.returncode != 0 and not p.stdout:
                sys.stderr.write(p.stderr.decode(errors="replace"))
                code, rest = 500, b"http-backend failed\n"
            self.reply(code, headers, rest)

        do_GET = handle_git
        do_POST = handle_git

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
