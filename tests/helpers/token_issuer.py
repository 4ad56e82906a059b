#!/usr/bin/env python3
"""A Docker/OCI token server for the registry e2e tests (stdlib + openssl CLI).

usage: token_issuer.py PORTFILE --cert CERT --key KEY --sign-cert C --sign-key K
                       --issuer ISS --users FILE [--log FILE] [--token-log FILE]
Serves HTTPS on 127.0.0.1 (port written to PORTFILE). GET /token?service=&scope=
(Basic credentials or anonymous) answers {"token", "expires_in"}; POST /token with
grant_type=refresh_token answers {"access_token", "expires_in"} (identity tokens).
The JWT is RS256, signed with `openssl dgst -sha256 -sign` (Python has no RSA),
with an `x5c` header holding the signing certificate (the registry's
rootcertbundle), `aud` a string, and `access` claims limited to what FILE grants.

FILE lines: `user password action,action repo-prefix` (user `-` = anonymous,
password `refresh:TOKEN` = an identity token for that user).

The refresh grant also hands out a `refresh_token` (a new opaque value each
time, as servers that rotate them do; it is not accepted back), and so does a
GET with `offline_token=true`. --log gets one JSON line per token (user and
granted access, never the token); --token-log gets every token handed out,
access and refresh, one per line, appended as it is issued — the canary list
of tests that check no token reaches cdhost's output.
"""
import argparse, base64, http.server, json, os, socketserver, ssl, subprocess
import sys, threading, time, urllib.parse, uuid


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Issuer:
    def __init__(self, a):
        self.a = a
        with open(a.sign_cert) as f:
            pem = f.read()
        der = ssl.PEM_cert_to_DER_cert(pem)
        self.x5c = base64.b64encode(der).decode()
        self.grants = []
        for line in open(a.users):
            parts = line.split()
            if len(parts) == 4 and not line.startswith("#"):
                self.grants.append(parts)
        self.lock = threading.Lock()

    def user_for(self, basic=None, refresh=None):
        """(user, ok): ok False means credentials were given and are wrong."""
        if refresh is not None:
            for u, p, _, _ in self.grants:
                if p == "refresh:" + refresh:
                    return u, True
            return None, False
        if basic is None:
            return "-", True
        user, _, pw = basic.partition(":")
        for u, p, _, _ in self.grants:
            if u == user and p == pw:
                return u, True
        return None, False

    def allowed(self, user, name, actions):
        ok = set()
        for u, _, acts, prefix in self.grants:
            if u == user and (prefix == "*" or name.startswith(prefix)):
                ok |= set(acts.split(","))
        return sorted(a for a in actions if a in ok)

    def token(self, user, service, scopes):
        access = []
        for s in scopes:
            for one in s.split(" "):
                parts = one.split(":")
                if len(parts) < 3 or parts[0] != "repository":
                    continue
                name, acts = ":".join(parts[1:-1]), parts[-1].split(",")
                access.append({"type": "repository", "name": name,
                               "actions": self.allowed(user, name, acts)})
        now = int(time.time())
        hdr = {"alg": "RS256", "typ": "JWT", "x5c": [self.x5c]}
        claims = {"iss": self.a.issuer, "sub": "" if user == "-" else user,
                  "aud": service, "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": uuid.uuid4().hex, "access": access}
        signing = (b64url(json.dumps(hdr).encode()) + "." +
                   b64url(json.dumps(claims).encode())).encode()
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.a.sign_key],
                             input=signing, capture_output=True, check=True).stdout
        if self.a.log:
            with self.lock, open(self.a.log, "a") as f:
                f.write(json.dumps({"user": user, "access": access}) + "\n")
        tok = signing.decode() + "." + b64url(sig)
        self.issued(tok)
        return tok

    def refresh_token(self):
        tok = "rt-" + uuid.uuid4().hex + uuid.uuid4().hex
        self.issued(tok)
        return tok

    def issued(self, tok):
        if self.a.token_log:
            with self.lock, open(self.a.token_log, "a") as f:
                f.write(tok + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def basic(self):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return None
        return base64.b64decode(h[6:]).decode()

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path != "/token":
            return self.reply(404, {"error": "not found"})
        q = urllib.parse.parse_qs(u.query)
        user, ok = ISSUER.user_for(basic=self.basic())
        if not ok:
            return self.reply(401, {"details": "bad credentials"})
        tok = ISSUER.token(user, q.get("service", [""])[0], q.get("scope", []))
        answer = {"token": tok, "expires_in": 300}
        if q.get("offline_token") == ["true"]:
            answer["refresh_token"] = ISSUER.refresh_token()
        self.reply(200, answer)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        if self.path != "/token" or form.get("grant_type") != ["refresh_token"]:
            return self.reply(400, {"error": "unsupported_grant_type"})
        user, ok = ISSUER.user_for(refresh=form.get("refresh_token", [""])[0])
        if not ok:
            return self.reply(401, {"error": "invalid_grant"})
        scopes = form.get("scope", [""])[0].split(" ")
        tok = ISSUER.token(user, form.get("service", [""])[0], scopes)
        self.reply(200, {"access_token": tok, "expires_in": 300,
                         "refresh_token": ISSUER.refresh_token()})


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    global ISSUER
    p = argparse.ArgumentParser()
    p.add_argument("portfile")
    for o in ("--cert", "--key", "--sign-cert", "--sign-key", "--issuer", "--users"):
        p.add_argument(o, required=True)
    p.add_argument("--log")
    p.add_argument("--token-log")
    a = p.parse_args()
    ISSUER = Issuer(a)
    srv = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
