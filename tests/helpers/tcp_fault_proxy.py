#!/usr/bin/env python3
"""A fault-injecting TCP proxy for the kube e2e tests (stdlib only).

usage: tcp_fault_proxy.py PORTFILE UPSTREAM_HOST:PORT CONTROL [--log FILE]

TLS to the API server is end to end, so this proxy sees bytes, not requests:
it forwards each accepted connection to UPSTREAM and applies the faults the
CONTROL file names, re-read every 0.1 s (so a test switches them mid-run).
CONTROL holds words (an empty or missing file: forward unchanged):
  reset-after BYTES   reset a connection (RST) once it carried BYTES bytes
                      from the server (one budget per connection)
  cut-every SECONDS   reset every connection SECONDS after it was opened
  stall               forward nothing, in either direction, while set
                      (connections stay open: the client must time out)
  delay MS            hold each chunk MS milliseconds before forwarding
  refuse              reset new connections at once
The chosen port is written to PORTFILE once listening. --log gets one line
per event: "open N", "reset N after B bytes", "cut N after S s", "close N".
"""
import argparse, os, socket, struct, sys, threading, time

LOCK = threading.Lock()


def log(line):
    if ARGS.log:
        with LOCK, open(ARGS.log, "a") as f:
            f.write(line + "\n")


def control():
    try:
        words = open(ARGS.control).read().split()
    except OSError:
        words = []
    c = {"stall": "stall" in words, "refuse": "refuse" in words}
    for key in ("reset-after", "cut-every", "delay"):
        if key in words:
            c[key] = float(words[words.index(key) + 1])
    return c


def rst(sock):
    """Resets: SO_LINGER 0 makes the last close send RST; shutdown(SHUT_RD)
    first wakes a recv() blocked in the other pump thread, which would
    otherwise keep the socket (and the RST) alive."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)
    except OSError:
        pass
    sock.close()


class Conn:
    def __init__(self, n, client):
        self.n, self.client, self.opened = n, client, time.monotonic()
        self.down = 0  # bytes from the server
        self.dead = threading.Event()
        self.upstream = socket.create_connection(UPSTREAM, timeout=10)
        self.upstream.settimeout(None)

    def kill(self, why):
        if not self.dead.is_set():
            self.dead.set()
            log("%s %d %s" % (why.split()[0], self.n, " ".join(why.split()[1:])))
            rst(self.client)
            rst(self.upstream)

    def pump(self, src, dst, from_server):
        try:
            while not self.dead.is_set():
                data = src.recv(16384)
                if not data:
                    break
                c = control()
                while c["stall"] and not self.dead.is_set():
                    time.sleep(0.1)
                    c = control()
                if c.get("delay"):
                    time.sleep(c["delay"] / 1000)
                if from_server and "reset-after" in c:
                    room = int(c["reset-after"]) - self.down
                    if room <= 0 or len(data) > room:
                        dst.sendall(data[:max(room, 0)])
                        self.down += max(room, 0)
                        return self.kill("reset after %d bytes" % self.down)
                dst.sendall(data)
                if from_server:
                    self.down += len(data)
        except OSError:
            pass
        if not self.dead.is_set():
            self.dead.set()
            log("close %d" % self.n)
            for s in (self.client, self.upstream):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def watch(self):
        while not self.dead.wait(0.1):
            c = control()
            age = time.monotonic() - self.opened
            if "cut-every" in c and age >= c["cut-every"]:
                self.kill("cut after %.1f s" % age)


def serve(n, client):
    if control()["refuse"]:
        log("refuse %d" % n)
        return rst(client)
    try:
        c = Conn(n, client)
    except OSError:
        log("upstream-down %d" % n)
        return rst(client)
    log("open %d" % n)
    for args in ((c.client, c.upstream, False), (c.upstream, c.client, True)):
        threading.Thread(target=c.pump, args=args, daemon=True).start()
    threading.Thread(target=c.watch, daemon=True).start()


def main():
    global ARGS, UPSTREAM
    p = argparse.ArgumentParser()
    p.add_argument("portfile")
    p.add_argument("upstream")
    p.add_argument("control")
    p.add_argument("--log")
    ARGS = p.parse_args()
    host, port = ARGS.upstream.rsplit(":", 1)
    UPSTREAM = (host, int(port))
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(64)
    tmp = ARGS.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(tmp, ARGS.portfile)
    n = 0
    while True:
        client, _ = ls.accept()
        n += 1
        threading.Thread(target=serve, args=(n, client), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
