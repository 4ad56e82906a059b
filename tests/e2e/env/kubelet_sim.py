#!/usr/bin/env python3
"""Simulated kubelet for cdhost's test environment (modelled on kwok).

Python 3 standard library only; it shares no code with cdhost, so a bug in cdhost cannot hide
itself behind this helper. It talks to kube-apiserver with a client certificate and:

* registers N Node objects (sim-node-0, ...) that are Ready, with capacity/allocatable, and keeps
  them alive (node status heartbeat + a Lease in kube-node-lease every --heartbeat seconds);
* lists and watches pods (resourceVersion, bookmarks, re-list on 410, reconnect on errors) and
  drives the status of the pods bound to its nodes the way a kubelet would: image pulls are checked
  for real against the test registry with a manifest HEAD; init containers run in order; containers
  start, become ready after readinessProbe.initialDelaySeconds; SIM_* env vars in the container
  spec ask for failures (see docs/testenv.md);
* posts kubelet-style Events (Pulling, Pulled, Failed, BackOff, Created, Started, Killing, ...);
* force-deletes (gracePeriodSeconds=0) pods that carry a deletionTimestamp.

No containers run: there are no logs, no exec, no port-forward, no volumes, no networking.
"""

import argparse
import base64
import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import urllib.parse

STOP = threading.Event()

MANIFEST_ACCEPT = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
])


def log(msg):
    t = time.strftime("%H:%M:%S", time.localtime())
    sys.stderr.write("%s.%03d kubelet-sim: %s\n" % (t, int(time.time() * 1000) % 1000, msg))
    sys.stderr.flush()


def ts(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def micro_ts():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


def go_duration(seconds):
    """Format like Go's time.Duration.String() for whole/half seconds: 10s, 1m20s, 2.5s."""
    if seconds < 60:
        return ("%g" % round(seconds, 3)) + "s"
    m, s = divmod(int(seconds), 60)
    return "%dm%ds" % (m, s)


class Stopped(Exception):
    pass


class ApiError(Exception):
    def __init__(self, status, body, what=""):
        self.status = status
        self.body = body
        msg = body.get("message") if isinstance(body, dict) else str(body)[:300]
        super().__init__("%s: HTTP %s: %s" % (what, status, msg))


# ------------------------------------------------------------------------------------------
# API server client
# ------------------------------------------------------------------------------------------
class Api:
    def __init__(self, server, ca, cert, key):
        u = urllib.parse.urlsplit(server)
        if u.scheme != "https":
            raise SystemExit("kubelet-sim: --server must be https://HOST:PORT")
        self.host = u.hostname
        self.port = u.port or 443
        self.ctx = ssl.create_default_context(cafile=ca)
        self.ctx.load_cert_chain(cert, key)
        self.local = threading.local()

    def _new_conn(self, timeout):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def request(self, method, path, body=None, ctype="application/json", timeout=30):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", "User-Agent": "cdhost-kubelet-sim/1.0"}
        if data is not None:
            headers["Content-Type"] = ctype
        for attempt in range(3):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self._new_conn(timeout)
                self.local.conn = conn
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                raw = resp.read()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                self.local.conn = None
                if attempt < 2 and not STOP.is_set():
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise ApiError(0, str(e), "%s %s" % (method, path))
            try:
                obj = json.loads(raw) if raw else {}
            except ValueError:
                obj = raw.decode("utf-8", "replace")
            if resp.status >= 300:
                raise ApiError(resp.status, obj, "%s %s" % (method, path))
            return obj
        raise ApiError(0, "unreachable", path)

    def stream(self, path, timeout):
        conn = self._new_conn(timeout)
        conn.request("GET", path, headers={"Accept": "application/json",
                                           "User-Agent": "cdhost-kubelet-sim/1.0"})
        resp = conn.getresponse()
        if resp.status != 200:
            raw = resp.read()
            conn.close()
            try:
                obj = json.loads(raw)
            except ValueError:
                obj = raw.decode("utf-8", "replace")
            raise ApiError(resp.status, obj, "GET %s" % path)
        return conn, resp


def iter_json_stream(resp):
    """Yield JSON objects from a watch response, framed by object (not by line)."""
    dec = json.JSONDecoder()
    buf = ""
    while not STOP.is_set():
        chunk = resp.read1(65536)
        if not chunk:
            return
        buf += chunk.decode("utf-8")
        while True:
            s = buf.lstrip()
            if not s:
                buf = ""
                break
            try:
                obj, end = dec.raw_decode(s)
            except ValueError:
                buf = s
                break
            buf = s[end:]
            yield obj


# ------------------------------------------------------------------------------------------
# image references and registry checks
# ------------------------------------------------------------------------------------------
_COMP = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO_RE = re.compile(r"^%s(?:/%s)*$" % (_COMP, _COMP))
_TAG_RE = re.compile(r"^[\w][\w.-]{0,127}$")
_DIGEST_RE = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$")
_HOST_RE = re.compile(r"^(?:[a-zA-Z0-9.-]+|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$")


class ImageRef:
    def __init__(self, image):
        self.image = image
        name, digest, tag = image, None, None
        if "@" in name:
            name, digest = name.split("@", 1)
        last = name.rsplit("/", 1)[-1]
        if ":" in last:
            name, tag = name.rsplit(":", 1)
        parts = name.split("/", 1)
        if len(parts) == 2 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
            self.registry, self.repo = parts
        else:
            self.registry = "docker.io"
            self.repo = name if "/" in name else "library/" + name
        self.tag, self.digest = tag, digest
        self.reference = digest or tag or "latest"
        self.valid = bool(image) and image == image.strip() and _REPO_RE.match(self.repo) \
            and _HOST_RE.match(self.registry) \
            and (tag is None or _TAG_RE.match(tag)) and (digest is None or _DIGEST_RE.match(digest))
        if self.registry == "docker.io":
            self.normalized = "docker.io/%s%s" % (self.repo, "@" + digest if digest else ":" + (tag or "latest"))
        else:
            self.normalized = image if (tag or digest) else image + ":latest"

    @property
    def host(self):
        return self.registry.rsplit(":", 1)[0].strip("[]") if not self.registry.startswith("[") \
            else self.registry.split("]")[0].strip("[")


def is_loopback(host):
    return host in ("localhost", "::1") or host.startswith("127.")


class PullError(Exception):
    def __init__(self, reason, message, retry=True):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retry = retry


class Registries:
    def __init__(self, test_registries, allow, ca):
        # host:port -> scheme
        self.known = {}
        for r in test_registries:
            if "://" in r:
                u = urllib.parse.urlsplit(r)
                self.known[self.norm(u.netloc)] = u.scheme
            else:
                self.known[self.norm(r)] = "http"
        self.allow = set()
        for a in allow:
            self.allow.update(x.strip() for x in a.split(",") if x.strip())
        self.verified_ctx = ssl.create_default_context(cafile=ca) if ca else ssl.create_default_context()
        self.loose_ctx = ssl.create_default_context()
        self.loose_ctx.check_hostname = False
        self.loose_ctx.verify_mode = ssl.CERT_NONE

    @staticmethod
    def norm(hostport):
        h = hostport.lower()
        if h.startswith("localhost:") or h == "localhost":
            h = "127.0.0.1" + h[len("localhost"):]
        return h

    def _conn(self, scheme, netloc):
        host = netloc
        if scheme == "https":
            ctx = self.loose_ctx if is_loopback(urllib.parse.urlsplit("//" + netloc).hostname or "") \
                else self.verified_ctx
            return http.client.HTTPSConnection(host, timeout=10, context=ctx)
        return http.client.HTTPConnection(host, timeout=10)

    def _get_token(self, challenge, creds):
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", None)
        if not realm:
            raise PullError("ErrImagePull", "no realm in WWW-Authenticate: %s" % challenge)
        u = urllib.parse.urlsplit(realm)
        q = urllib.parse.urlencode({k: v for k, v in params.items() if k in ("service", "scope")})
        path = (u.path or "/") + ("?" + (u.query + "&" if u.query else "") + q if q else "")
        conn = self._conn(u.scheme, u.netloc)
        headers = {}
        if creds:
            headers["Authorization"] = "Basic " + base64.b64encode(creds.encode()).decode()
        try:
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
        finally:
            conn.close()
        if r.status != 200:
            raise PullError("ErrImagePull", "failed to fetch %s token: unexpected status: %d %s"
                            % ("oauth" if creds else "anonymous", r.status, r.reason))
        j = json.loads(body)
        return j.get("token") or j.get("access_token") or ""

    def _head(self, scheme, ref, creds):
        path = "/v2/%s/manifests/%s" % (ref.repo, ref.reference)
        url = "%s://%s%s" % (scheme, ref.registry, path)
        auth = None
        for _ in range(3):
            conn = self._conn(scheme, ref.registry)
            headers = {"Accept": MANIFEST_ACCEPT, "User-Agent": "containerd/1.4.0-sim"}
            if auth:
                headers["Authorization"] = auth
            try:
                conn.request("HEAD", path, headers=headers)
                r = conn.getresponse()
                r.read()
            except ssl.SSLError:
                raise
            except (OSError, http.client.HTTPException) as e:
                reason = "connect: connection refused" if isinstance(e, ConnectionRefusedError) else str(e)
                raise PullError("ErrImagePull", 'failed to do request: Head "%s": dial tcp %s: %s'
                                % (url, ref.registry, reason))
            finally:
                conn.close()
            if r.status == 200:
                digest = r.getheader("Docker-Content-Digest")
                if not digest:
                    digest = self._digest_by_get(scheme, ref, headers)
                return digest
            if r.status == 401 and auth is None:
                challenge = r.getheader("WWW-Authenticate") or ""
                if challenge.lower().startswith("bearer"):
                    auth = "Bearer " + self._get_token(challenge, creds)
                    continue
                if challenge.lower().startswith("basic") and creds:
                    auth = "Basic " + base64.b64encode(creds.encode()).decode()
                    continue
            if r.status == 404:
                raise PullError("ErrImagePull", "%s: not found" % ref.normalized)
            if r.status in (401, 403):
                raise PullError("ErrImagePull",
                                "pull access denied, repository does not exist or may require "
                                "authorization: server message: insufficient_scope: authorization "
                                "failed (HEAD %s: %d %s)" % (url, r.status, r.reason))
            raise PullError("ErrImagePull", "unexpected status from HEAD request to %s: %d %s"
                            % (url, r.status, r.reason))
        raise PullError("ErrImagePull", "authorization loop for %s" % url)

    def _digest_by_get(self, scheme, ref, headers):
        conn = self._conn(scheme, ref.registry)
        try:
            conn.request("GET", "/v2/%s/manifests/%s" % (ref.repo, ref.reference), headers=headers)
            r = conn.getresponse()
            body = r.read()
        finally:
            conn.close()
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def resolve(self, ref, creds):
        """Return the image digest, or raise PullError."""
        def fail(detail, code="Unknown"):
            return PullError("ErrImagePull", 'rpc error: code = %s desc = failed to pull and unpack '
                             'image "%s": failed to resolve reference "%s": %s'
                             % (code, ref.normalized, ref.normalized, detail))
        key = self.norm(ref.registry)
        if key in self.known or is_loopback(ref.host):
            schemes = [self.known[key]] if key in self.known else ["https", "http"]
            last = None
            for scheme in schemes:
                try:
                    return self._head(scheme, ref, creds)
                except ssl.SSLError as e:
                    last = PullError("ErrImagePull", 'failed to do request: Head "https://%s/v2/%s/'
                                     'manifests/%s": %s' % (ref.registry, ref.repo, ref.reference, e))
                    continue
                except PullError as e:
                    if e.message.endswith(": not found"):
                        raise fail(e.message, "NotFound")
                    if "connection refused" in e.message and scheme == "https" and len(schemes) > 1:
                        last = e
                        continue
                    raise fail(e.message)
            raise fail(last.message if last else "no usable scheme")
        if ref.registry in self.allow or "*" in self.allow:
            return "sha256:" + hashlib.sha256(ref.normalized.encode()).hexdigest()
        host = "registry-1.docker.io" if ref.registry == "docker.io" else ref.registry
        raise fail('failed to do request: Head "https://%s/v2/%s/manifests/%s": dial tcp: lookup %s: '
                   'no such host' % (host, ref.repo, ref.reference, host.rsplit(":", 1)[0]))


# ------------------------------------------------------------------------------------------
# the simulator
# ------------------------------------------------------------------------------------------
def truthy(v):
    return v is not None and v.strip().lower() not in ("", "0", "false", "no")


def to_float(v, default=None):
    try:
        return float(v)
    except (TypeError, ValueError):
        return default


class Container:
    def __init__(self, spec, is_init, has_inits):
        self.spec = spec if isinstance(spec, dict) else {}
        self.name = self.spec.get("name", "?")
        self.image = self.spec.get("image", "") or ""
        self.is_init = is_init
        self.env = {}
        for e in self.spec.get("env") or []:
            if isinstance(e, dict) and "name" in e and "value" in e:
                self.env[e["name"]] = str(e.get("value"))
        self.restart_count = 0
        self.state = {"waiting": {"reason": "PodInitializing" if (has_inits or is_init) else "ContainerCreating"}}
        self.last_state = {}
        self.ready = False
        self.started = False
        self.container_id = ""
        self.image_id = ""
        self.started_at = None
        self.phase = "pull"       # pull, pull_backoff, create, running, backoff_restart, done, stuck
        self.next_at = None
        self.ready_at = None
        self.exit_at = None
        self.probe_at = None
        self.pull_failures = 0
        self.config_failures = 0
        self.exit_code = None

    @property
    def field_path(self):
        return "spec.%s{%s}" % ("initContainers" if self.is_init else "containers", self.name)

    def status(self):
        s = {"name": self.name, "image": self.image, "imageID": self.image_id,
             "ready": self.ready, "restartCount": self.restart_count,
             "state": self.state, "lastState": self.last_state}
        if self.container_id:
            s["containerID"] = self.container_id
        if not self.is_init:
            s["started"] = self.started and "running" in self.state
        return s


class PodWorker(threading.Thread):
    def __init__(self, sim, pod):
        super().__init__(daemon=True)
        md = pod.get("metadata", {})
        self.sim = sim
        self.pod = pod
        self.uid = md.get("uid", "")
        self.ns = md.get("namespace", "default")
        self.pod_name = md.get("name", "")
        self.name = "pod-%s/%s" % (self.ns, self.pod_name)
        self.node = pod.get("spec", {}).get("nodeName", "")
        self.stop = threading.Event()
        self.conds = {}
        self.last_pushed = None
        self.terminal = False

    # --- helpers
    def sleep(self, seconds):
        if self.stop.wait(max(0.0, seconds)) or STOP.is_set():
            raise Stopped()

    def check(self):
        if self.stop.is_set() or STOP.is_set():
            raise Stopped()

    def event(self, c, reason, message, etype="Normal"):
        self.sim.event(self.pod, self.node, reason, message, etype, c.field_path if c else None)

    def set_cond(self, ctype, ok, reason=None, message=None):
        status = "True" if ok else "False"
        old = self.conds.get(ctype)
        ltt = old["lastTransitionTime"] if old and old["status"] == status else ts()
        c = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": ltt}
        if not ok and reason:
            c["reason"] = reason
        if not ok and message:
            c["message"] = message
        self.conds[ctype] = c

    # --- main
    def run(self):
        try:
            self.lifecycle()
        except Stopped:
            pass
        except ApiError as e:
            if e.status == 404:
                log("%s: pod is gone" % self.name)
            else:
                log("%s: API error, giving up on this pod: %s" % (self.name, e))
        except Exception:
            log("%s: unexpected error (pod left as is):\n%s" % (self.name, traceback.format_exc()))

    def lifecycle(self):
        spec = self.pod.get("spec") or {}
        self.restart_policy = spec.get("restartPolicy") or "Always"
        inits = spec.get("initContainers") or []
        self.inits = [Container(c, True, True) for c in inits]
        self.ctrs = [Container(c, False, bool(inits)) for c in spec.get("containers") or []]
        old = self.pod.get("status") or {}
        self.host_ip = self.sim.node_ip(self.node)
        self.pod_ip = self.host_ip if spec.get("hostNetwork") else \
            self.sim.alloc_ip(self.node, old.get("podIP"))
        self.start_time = old.get("startTime") or ts()
        sched = [c for c in (self.pod.get("status") or {}).get("conditions") or []
                 if isinstance(c, dict) and c.get("type") == "PodScheduled"]
        self.sched_cond = sched[0] if sched else {"type": "PodScheduled", "status": "True",
                                                  "lastProbeTime": None, "lastTransitionTime": ts()}
        if self.adopt(old):
            log("%s: adopted from a previous run on %s (ip %s)" % (self.name, self.node, self.pod_ip))
        else:
            log("%s: admitted on %s (ip %s)" % (self.name, self.node, self.pod_ip))
            self.volume_check()
        self.push()
        while True:
            self.check()
            now = time.monotonic()
            active = self.active()
            for c in active:
                if c.phase == "pull" and c.next_at is None:     # not started yet: start now
                    if not c.is_init:
                        c.state = {"waiting": {"reason": "ContainerCreating"}}
                    c.next_at = now
            for c in active:
                if c.next_at is not None and c.next_at <= now:
                    self.step(c, now)
                    self.check()
            if active != self.active():     # an init container finished: go on at once
                continue
            self.push()
            if self.terminal:
                log("%s: finished, phase %s" % (self.name, self.phase))
                return
            nexts = [c.next_at for c in self.active() if c.next_at is not None]
            if not nexts:
                self.stop.wait(3600)
                continue
            self.sleep(min(nexts) - time.monotonic())

    def active(self):
        for c in self.inits:
            if c.phase != "done" or c.exit_code != 0:
                return [c]
        return self.ctrs

    def volume_check(self):
        """Missing (non-optional) ConfigMap/Secret volumes keep the pod in ContainerCreating."""
        tries = 0
        while True:
            missing = []
            for v in (self.pod.get("spec") or {}).get("volumes") or []:
                if not isinstance(v, dict):
                    continue
                for kind, key, label in (("configMap", "name", "configmap"),
                                         ("secret", "secretName", "secret")):
                    src = v.get(kind)
                    if isinstance(src, dict) and not src.get("optional") and src.get(key):
                        if not self.sim.exists(self.ns, label + "s", src[key]):
                            missing.append((v.get("name"), label, src[key]))
            if not missing:
                return
            for vol, label, obj in missing:
                self.sim.event(self.pod, self.node, "FailedMount",
                               'MountVolume.SetUp failed for volume "%s" : %s "%s" not found'
                               % (vol, label, obj), "Warning", None)
            if tries == 0:
                for c in self.inits + self.ctrs:
                    c.state = {"waiting": {"reason": "ContainerCreating"}}
                self.push()
            tries += 1
            self.sleep(min(2 * tries, 10))

    # --- container steps
    def step(self, c, now):
        if c.phase == "pull":
            self.pull(c)
            if c.phase != "create":
                return
        elif c.phase == "pull_backoff":
            c.state = {"waiting": {"reason": "ImagePullBackOff",
                                   "message": 'Back-off pulling image "%s"' % c.image}}
            self.event(c, "BackOff", 'Back-off pulling image "%s"' % c.image)
            self.event(c, "Failed", "Error: ImagePullBackOff", "Warning")
            c.phase = "pull"
            c.next_at = now + self.sim.backoff(self.sim.args.image_backoff, c.pull_failures)
            return
        elif c.phase == "backoff_restart":
            self.event(c, "Pulled", 'Container image "%s" already present on machine' % c.image)
            c.phase = "create"
        if c.phase == "create":
            self.create(c)
            return
        if c.phase == "running":
            self.tick_running(c, now)

    def pull(self, c):
        ref = ImageRef(c.image)
        policy = c.spec.get("imagePullPolicy") or \
            ("Always" if (ref.tag in (None, "latest") and not ref.digest) else "IfNotPresent")
        if not ref.valid:
            msg = 'Failed to apply default image tag "%s": couldn\'t parse image reference "%s": ' \
                  'invalid reference format' % (c.image, c.image)
            c.state = {"waiting": {"reason": "InvalidImageName", "message": msg}}
            self.event(c, "InspectFailed", msg, "Warning")
            self.event(c, "Failed", "Error: InvalidImageName", "Warning")
            c.phase, c.next_at = "stuck", None
            return
        delay = to_float(c.env.get("SIM_PULL_DELAY"), 0.0)
        cached = self.sim.image_cached(self.node, ref.normalized)
        if policy != "Always" and cached:
            self.event(c, "Pulled", 'Container image "%s" already present on machine' % c.image)
        elif policy == "Never":
            msg = 'Container image "%s" is not present with pull policy of Never' % c.image
            c.state = {"waiting": {"reason": "ErrImageNeverPull", "message": msg}}
            self.event(c, "ErrImageNeverPull", msg, "Warning")
            self.event(c, "Failed", "Error: ErrImageNeverPull", "Warning")
            c.pull_failures += 1
            c.next_at = time.monotonic() + self.sim.backoff(self.sim.args.image_backoff, c.pull_failures)
            return
        else:
            self.event(c, "Pulling", 'Pulling image "%s"' % c.image)
        t0 = time.monotonic()
        if delay > 0:
            self.sleep(delay)
        try:
            digest = self.sim.registries.resolve(ref, self.sim.pull_creds(self.pod, ref))
        except PullError as e:
            if policy != "Always" and cached:
                digest = cached
            else:
                c.pull_failures += 1
                c.state = {"waiting": {"reason": "ErrImagePull", "message": e.message}}
                self.event(c, "Failed", 'Failed to pull image "%s": %s' % (c.image, e.message), "Warning")
                self.event(c, "Failed", "Error: ErrImagePull", "Warning")
                log("%s: container %s: ErrImagePull: %s" % (self.name, c.name, e.message))
                c.phase = "pull_backoff"
                c.next_at = time.monotonic() + 1.0
                return
        if not (policy != "Always" and cached):
            self.event(c, "Pulled", 'Successfully pulled image "%s" in %s'
                       % (c.image, go_duration(max(time.monotonic() - t0, 0.001))))
        self.sim.remember_image(self.node, ref.normalized, digest)
        name = ref.normalized.split("@")[0]
        if ref.tag or not ref.digest:
            name = name.rsplit(":", 1)[0] if ":" in name.rsplit("/", 1)[-1] else name
        c.image_id = "%s@%s" % (name, digest)
        c.pull_failures = 0
        c.phase = "create"

    def config_error(self, c):
        v = c.env.get("SIM_CREATE_CONFIG_ERROR")
        if truthy(v):
            return v if v.strip() not in ("1", "true", "yes") else \
                "simulated CreateContainerConfigError (SIM_CREATE_CONFIG_ERROR=%s)" % v
        for e in c.spec.get("env") or []:
            vf = e.get("valueFrom") if isinstance(e, dict) else None
            if not isinstance(vf, dict):
                continue
            for kind, label, plural in (("configMapKeyRef", "ConfigMap", "configmaps"),
                                        ("secretKeyRef", "Secret", "secrets")):
                ref = vf.get(kind)
                if isinstance(ref, dict) and ref.get("name") and not ref.get("optional"):
                    obj = self.sim.get_obj(self.ns, plural, ref["name"])
                    if obj is None:
                        return '%s "%s" not found' % (label.lower(), ref["name"])
                    data = dict(obj.get("data") or {})
                    data.update(obj.get("binaryData") or {})
                    data.update(obj.get("stringData") or {})
                    if ref.get("key") not in data:
                        return "couldn't find key %s in %s %s/%s" % (ref.get("key"), label, self.ns, ref["name"])
        for ef in c.spec.get("envFrom") or []:
            if not isinstance(ef, dict):
                continue
            for kind, label, plural in (("configMapRef", "configmap", "configmaps"),
                                        ("secretRef", "secret", "secrets")):
                ref = ef.get(kind)
                if isinstance(ref, dict) and ref.get("name") and not ref.get("optional"):
                    if not self.sim.exists(self.ns, plural, ref["name"]):
                        return '%s "%s" not found' % (label, ref["name"])
        return None

    def create(self, c):
        err = self.config_error(c)
        now = time.monotonic()
        if err:
            c.config_failures += 1
            c.state = {"waiting": {"reason": "CreateContainerConfigError", "message": err}}
            self.event(c, "Failed", "Error: " + err, "Warning")
            c.next_at = now + self.sim.args.config_retry
            return
        c.container_id = "containerd://" + os.urandom(32).hex()
        c.started_at = ts()
        c.state = {"running": {"startedAt": c.started_at}}
        c.started = True
        c.phase = "running"
        self.event(c, "Created", "Created container %s" % c.name)
        self.event(c, "Started", "Started container %s" % c.name)
        self.arm(c, now)
        self.reschedule(c, now)
        self.tick_running(c, now)

    def arm(self, c, now, already_ready=False):
        """Set the exit/ready/probe timers of a container that starts running at `now`."""
        env = c.env
        run = to_float(env.get("SIM_RUN_SECONDS"))
        exits = truthy(env.get("SIM_CRASH")) or truthy(env.get("SIM_OOM")) or "SIM_EXIT" in env
        if run is None and (exits or c.is_init or self.restart_policy != "Always"):
            run = 1.0 if not c.is_init else 0.2
        c.exit_at = now + run if run is not None else None
        probe = c.spec.get("readinessProbe") if isinstance(c.spec.get("readinessProbe"), dict) else None
        c.ready_at = c.probe_at = None
        if c.is_init:
            pass
        elif truthy(env.get("SIM_NOT_READY")):
            c.ready = False
            if probe:
                c.probe_at = now + (to_float(probe.get("initialDelaySeconds"), 0) or 0) + 0.5
        elif already_ready:
            c.ready_at = now
        else:
            delay = to_float(env.get("SIM_READY_DELAY"))
            if delay is None:
                delay = to_float((probe or {}).get("initialDelaySeconds"), 0) or 0
            c.ready_at = now + delay

    def adopt(self, status):
        """Continue from the status a previous simulator run left (restart of kubelet_sim)."""
        def by_name(key):
            return {cs.get("name"): cs for cs in status.get(key) or [] if isinstance(cs, dict)}
        now = time.monotonic()
        adopted = False
        for group, prev in ((self.inits, by_name("initContainerStatuses")),
                            (self.ctrs, by_name("containerStatuses"))):
            for c in group:
                p = prev.get(c.name)
                if not p:
                    continue
                try:
                    c.restart_count = int(p.get("restartCount") or 0)
                except (TypeError, ValueError):
                    pass
                c.last_state = p.get("lastState") or {}
                st = p.get("state") or {}
                cid = p.get("containerID") or ""
                if not cid.startswith("containerd://") or p.get("image") != c.image:
                    continue
                if c.is_init and (st.get("terminated") or {}).get("exitCode") == 0:
                    c.state, c.container_id, c.image_id = st, cid, p.get("imageID") or ""
                    c.phase, c.exit_code, c.ready, c.next_at = "done", 0, True, None
                    adopted = True
                elif not c.is_init and "running" in st:
                    c.state, c.container_id, c.image_id = st, cid, p.get("imageID") or ""
                    c.started_at = (st.get("running") or {}).get("startedAt") or ts()
                    c.started, c.phase = True, "running"
                    c.ready = bool(p.get("ready"))
                    self.arm(c, now, already_ready=c.ready)
                    self.reschedule(c, now)
                    adopted = True
        return adopted

    def reschedule(self, c, now):
        t = [x for x in (c.exit_at, None if c.ready else c.ready_at, c.probe_at) if x is not None]
        c.next_at = min(t) if t else None

    def tick_running(self, c, now):
        if c.ready_at is not None and not c.ready and now >= c.ready_at:
            c.ready = True
        if c.probe_at is not None and now >= c.probe_at:
            probe = c.spec.get("readinessProbe") or {}
            self.event(c, "Unhealthy", "Readiness probe failed: simulated by SIM_NOT_READY", "Warning")
            c.probe_at = now + max(1.0, to_float(probe.get("periodSeconds"), 10) or 10)
        if c.exit_at is not None and now >= c.exit_at:
            self.exit(c, now)
            return
        self.reschedule(c, now)

    def exit(self, c, now):
        env = c.env
        if truthy(env.get("SIM_OOM")):
            code, reason = 137, "OOMKilled"
        elif truthy(env.get("SIM_CRASH")):
            code, reason = 1, "Error"
        else:
            try:
                code = int(env.get("SIM_EXIT", "0"))
            except ValueError:
                code = 1
            reason = "Completed" if code == 0 else "Error"
        term = {"exitCode": code, "reason": reason, "startedAt": c.started_at, "finishedAt": ts(),
                "containerID": c.container_id}
        if env.get("SIM_TERMINATION_MESSAGE"):
            term["message"] = env["SIM_TERMINATION_MESSAGE"]
        c.exit_code = code
        c.ready = False
        c.exit_at = c.ready_at = c.probe_at = None
        if c.is_init:
            restart = code != 0 and self.restart_policy != "Never"
        else:
            restart = self.restart_policy == "Always" or (self.restart_policy == "OnFailure" and code != 0)
        if c.is_init and code == 0:
            c.state = {"terminated": term}
            c.ready = True
            c.phase, c.next_at = "done", None
            return
        if restart:
            c.restart_count += 1
            c.last_state = {"terminated": term}
            delay = self.sim.backoff(self.sim.args.crash_backoff, c.restart_count)
            c.state = {"waiting": {"reason": "CrashLoopBackOff",
                                   "message": "back-off %s restarting failed container=%s pod=%s_%s(%s)"
                                   % (go_duration(delay), c.name, self.pod_name, self.ns, self.uid)}}
            self.event(c, "BackOff", "Back-off restarting failed container", "Warning")
            log("%s: container %s exited %d (%s), restart %d in %s"
                % (self.name, c.name, code, reason, c.restart_count, go_duration(delay)))
            c.phase, c.next_at = "backoff_restart", now + delay
        else:
            c.state = {"terminated": term}
            c.phase, c.next_at = "done", None
            log("%s: container %s exited %d (%s)" % (self.name, c.name, code, reason))

    # --- pod status
    def compute_phase(self):
        for c in self.inits:
            if c.phase == "done" and c.exit_code not in (0, None):
                return "Failed"        # init failed and restartPolicy Never
            if not (c.phase == "done" and c.exit_code == 0):
                return "Pending"
        running = waiting = stopped = succeeded = failed = 0
        for c in self.ctrs:
            if "running" in c.state:
                running += 1
            elif "terminated" in c.state:
                stopped += 1
                if c.state["terminated"]["exitCode"] == 0:
                    succeeded += 1
                else:
                    failed += 1
            elif c.last_state.get("terminated"):
                stopped += 1
            else:
                waiting += 1
        if waiting > 0:
            return "Pending"
        if running > 0:
            return "Running"
        if stopped > 0:
            if self.restart_policy == "Always":
                return "Running"
            if stopped == succeeded and all(c.phase == "done" for c in self.ctrs):
                return "Succeeded"
            if self.restart_policy == "Never" and all(c.phase == "done" for c in self.ctrs):
                return "Failed"
            return "Running"
        return "Pending"

    def push(self):
        phase = self.compute_phase()
        self.phase = phase
        self.terminal = phase in ("Succeeded", "Failed")
        inits_done = all(c.phase == "done" and c.exit_code == 0 for c in self.inits)
        pending_inits = [c.name for c in self.inits if not (c.phase == "done" and c.exit_code == 0)]
        not_ready = [c.name for c in self.ctrs if not c.ready]
        self.set_cond("Initialized", inits_done, "ContainersNotInitialized",
                      "containers with incomplete status: [%s]" % " ".join(pending_inits))
        if self.terminal:
            self.set_cond("ContainersReady", False, "PodCompleted")
            self.set_cond("Ready", False, "PodCompleted")
        else:
            msg = "containers with unready status: [%s]" % " ".join(not_ready)
            self.set_cond("ContainersReady", not not_ready, "ContainersNotReady", msg)
            self.set_cond("Ready", not not_ready, "ContainersNotReady", msg)
        status = {
            "phase": phase,
            "conditions": [self.conds["Initialized"], self.conds["Ready"],
                           self.conds["ContainersReady"], self.sched_cond],
            "hostIP": self.host_ip,
            "podIP": self.pod_ip,
            "podIPs": [{"ip": self.pod_ip}],
            "startTime": self.start_time,
            "containerStatuses": [c.status() for c in self.ctrs],
        }
        if self.inits:
            status["initContainerStatuses"] = [c.status() for c in self.inits]
        key = json.dumps(status, sort_keys=True)
        if key == self.last_pushed:
            return
        self.check()
        self.sim.api.request("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (self.ns, self.pod_name),
                             {"metadata": {"uid": self.uid}, "status": status},
                             ctype="application/merge-patch+json")
        self.last_pushed = key

    def running_containers(self):
        return [c for c in self.inits + self.ctrs if "running" in c.state]


class Sim:
    def __init__(self, args):
        self.args = args
        self.api = Api(args.server, args.ca, args.cert, args.key)
        self.registries = Registries(args.registry, args.allow_registry, args.registry_ca)
        self.node_names = ["%s%d" % (args.node_prefix, i) for i in range(args.nodes)]
        self.node_index = {n: i for i, n in enumerate(self.node_names)}
        self.node_uids = {}
        self.workers = {}
        self.deleting = set()
        self.lock = threading.Lock()
        self.ip_counter = {}
        self.used_ips = {}
        self.images = {}
        self.events = {}
        self.kube_version = "v0.0.0"

    # --- small helpers
    def backoff(self, base, n):
        return min(base * (2 ** max(0, n - 1)), self.args.max_backoff)

    def node_ip(self, node):
        return "10.250.0.%d" % (10 + self.node_index.get(node, 0))

    def alloc_ip(self, node, want=None):
        i = self.node_index.get(node, 0)
        with self.lock:
            used = self.used_ips.setdefault(node, set())
            if want and want.startswith("10.244.%d." % i) and want not in used:
                used.add(want)
                return want
            start = self.ip_counter.get(node, 0)
            for k in range(250):
                n = (start + k) % 250
                ip = "10.244.%d.%d" % (i, 2 + n)
                if ip not in used:
                    used.add(ip)
                    self.ip_counter[node] = n + 1
                    return ip
        return "10.244.%d.%d" % (i, random.randint(2, 251))

    def release_ip(self, node, ip):
        with self.lock:
            self.used_ips.get(node, set()).discard(ip)

    def image_cached(self, node, image):
        with self.lock:
            return self.images.get((node, image))

    def remember_image(self, node, image, digest):
        with self.lock:
            self.images[(node, image)] = digest

    def get_obj(self, ns, plural, name):
        try:
            return self.api.request("GET", "/api/v1/namespaces/%s/%s/%s" % (ns, plural, name))
        except ApiError as e:
            if e.status == 404:
                return None
            raise

    def exists(self, ns, plural, name):
        return self.get_obj(ns, plural, name) is not None

    def pull_creds(self, pod, ref):
        """user:password for ref's registry from the pod's imagePullSecrets, or None."""
        for s in (pod.get("spec") or {}).get("imagePullSecrets") or []:
            name = s.get("name") if isinstance(s, dict) else None
            if not name:
                continue
            try:
                sec = self.get_obj(pod["metadata"]["namespace"], "secrets", name)
            except ApiError:
                sec = None
            if not sec:
                continue
            data = sec.get("data") or {}
            try:
                if ".dockerconfigjson" in data:
                    auths = json.loads(base64.b64decode(data[".dockerconfigjson"])).get("auths", {})
                elif ".dockercfg" in data:
                    auths = json.loads(base64.b64decode(data[".dockercfg"]))
                else:
                    continue
            except (ValueError, TypeError):
                continue
            for key, ent in auths.items():
                k = re.sub(r"^https?://", "", key).split("/")[0]
                if Registries.norm(k) != Registries.norm(ref.registry) and not \
                        (ref.registry == "docker.io" and k in ("index.docker.io", "registry-1.docker.io")):
                    continue
                if not isinstance(ent, dict):
                    continue
                if ent.get("auth"):
                    try:
                        return base64.b64decode(ent["auth"]).decode()
                    except (ValueError, TypeError):
                        continue
                if ent.get("username") is not None:
                    return "%s:%s" % (ent.get("username"), ent.get("password", ""))
        return None

    # --- events
    def event(self, pod, node, reason, message, etype="Normal", field_path=None):
        md = pod.get("metadata", {})
        ns, uid = md.get("namespace", "default"), md.get("uid", "")
        key = (uid, reason, field_path, message)
        now = ts()
        try:
            with self.lock:
                prev = self.events.get(key)
            if prev:
                name, count = prev
                try:
                    self.api.request("PATCH", "/api/v1/namespaces/%s/events/%s" % (ns, name),
                                     {"count": count + 1, "lastTimestamp": now},
                                     ctype="application/merge-patch+json")
                    with self.lock:
                        self.events[key] = (name, count + 1)
                    return
                except ApiError as e:
                    if e.status != 404:
                        raise
            name = "%s.%x" % (md.get("name", "pod"), time.time_ns() + random.randint(0, 999))
            involved = {"apiVersion": "v1", "kind": "Pod", "name": md.get("name"), "namespace": ns,
                        "uid": uid, "resourceVersion": md.get("resourceVersion")}
            if field_path:
                involved["fieldPath"] = field_path
            self.api.request("POST", "/api/v1/namespaces/%s/events" % ns, {
                "apiVersion": "v1", "kind": "Event",
                "metadata": {"name": name, "namespace": ns},
                "involvedObject": involved, "reason": reason, "message": message,
                "source": {"component": "kubelet", "host": node},
                "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": etype,
                "reportingComponent": "kubelet", "reportingInstance": node})
            with self.lock:
                self.events[key] = (name, 1)
        except ApiError as e:
            if e.status not in (403, 404, 409):
                log("event %s for %s/%s not posted: %s" % (reason, ns, md.get("name"), e))

    def forget_events(self, uid):
        with self.lock:
            for k in [k for k in self.events if k[0] == uid]:
                del self.events[k]

    # --- nodes
    def node_object(self, name):
        a = self.args
        res = {"cpu": a.cpu, "memory": a.memory, "pods": str(a.pods), "ephemeral-storage": "100Gi"}
        i = self.node_index[name]
        return {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name,
                         "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux",
                                    "kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
                                    "beta.kubernetes.io/arch": "amd64", "type": "kwok",
                                    "cdhost.dev/simulated": "true"},
                         "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                                         "cdhost.dev/simulated-by": "kubelet_sim.py"}},
            "spec": {"podCIDR": "10.244.%d.0/24" % i, "podCIDRs": ["10.244.%d.0/24" % i]},
            "status": self.node_status(name, res),
        }

    def node_conditions(self):
        now = ts()
        conds = []
        for t, st, reason, msg in (
                ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                ("Ready", "True", "KubeletReady", "kubelet is posting ready status (simulated)")):
            conds.append({"type": t, "status": st, "reason": reason, "message": msg,
                          "lastHeartbeatTime": now, "lastTransitionTime": self.started_ts})
        return conds

    def node_status(self, name, res):
        return {
            "capacity": res, "allocatable": res, "phase": "Running",
            "conditions": self.node_conditions(),
            "addresses": [{"type": "InternalIP", "address": self.node_ip(name)},
                          {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"machineID": hashlib.md5(name.encode()).hexdigest(),
                         "systemUUID": hashlib.md5(("uuid" + name).encode()).hexdigest(),
                         "bootID": hashlib.md5(("boot" + name + self.started_ts).encode()).hexdigest(),
                         "kernelVersion": os.uname().release, "osImage": "cdhost simulated kubelet",
                         "containerRuntimeVersion": "containerd://1.4.0-sim",
                         "kubeletVersion": self.kube_version, "kubeProxyVersion": self.kube_version,
                         "operatingSystem": "linux", "architecture": "amd64"},
        }

    def register_nodes(self):
        for name in self.node_names:
            obj = self.node_object(name)
            try:
                created = self.api.request("POST", "/api/v1/nodes", obj)
                self.node_uids[name] = created["metadata"]["uid"]
                log("registered node %s" % name)
            except ApiError as e:
                if e.status != 409:
                    raise
                cur = self.api.request("GET", "/api/v1/nodes/" + name)
                self.node_uids[name] = cur["metadata"]["uid"]
                log("node %s already exists; taking it over" % name)
            self.api.request("PATCH", "/api/v1/nodes/%s/status" % name, {"status": obj["status"]},
                             ctype="application/merge-patch+json")
            self.renew_lease(name)

    def renew_lease(self, name):
        path = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/" + name
        spec = {"holderIdentity": name, "leaseDurationSeconds": 40, "renewTime": micro_ts()}
        try:
            self.api.request("PATCH", path, {"spec": spec}, ctype="application/merge-patch+json")
        except ApiError as e:
            if e.status != 404:
                raise
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                    "metadata": {"name": name, "namespace": "kube-node-lease"}, "spec": spec}
            if name in self.node_uids:
                body["metadata"]["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": name,
                                                        "uid": self.node_uids[name]}]
            self.api.request("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", body)

    def heartbeat_loop(self):
        while not STOP.wait(self.args.heartbeat):
            for name in self.node_names:
                try:
                    self.api.request("PATCH", "/api/v1/nodes/%s/status" % name,
                                     {"status": {"conditions": self.node_conditions()}},
                                     ctype="application/strategic-merge-patch+json")
                    self.renew_lease(name)
                except ApiError as e:
                    if e.status == 404:
                        log("node %s was deleted; registering it again" % name)
                        try:
                            self.register_nodes()
                        except Exception as e2:  # noqa: BLE001
                            log("re-registering nodes failed: %s" % e2)
                    else:
                        log("heartbeat for %s failed: %s" % (name, e))
                except Exception as e:  # noqa: BLE001
                    log("heartbeat for %s failed: %s" % (name, e))

    # --- pods
    def handle(self, etype, pod):
        if not isinstance(pod, dict) or pod.get("kind") not in (None, "Pod"):
            return
        spec = pod.get("spec") or {}
        md = pod.get("metadata") or {}
        node = spec.get("nodeName")
        uid = md.get("uid")
        if node not in self.node_index or not uid:
            return
        if etype == "DELETED":
            with self.lock:
                w = self.workers.pop(uid, None)
                self.deleting.discard(uid)
            if w:
                w.stop.set()
                if getattr(w, "pod_ip", None) and w.pod_ip != getattr(w, "host_ip", None):
                    self.release_ip(node, w.pod_ip)
            self.forget_events(uid)
            return
        if md.get("deletionTimestamp"):
            with self.lock:
                if uid in self.deleting:
                    return
                self.deleting.add(uid)
                w = self.workers.get(uid)
            if w:
                w.stop.set()
            threading.Thread(target=self.force_delete, args=(pod, w), daemon=True).start()
            return
        with self.lock:
            w = self.workers.get(uid)
            if w is None:
                if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                    return
                w = PodWorker(self, pod)
                self.workers[uid] = w
                w.start()
            else:
                w.pod = pod

    def force_delete(self, pod, worker):
        md = pod["metadata"]
        ns, name, uid = md.get("namespace"), md.get("name"), md.get("uid")
        try:
            running = worker.running_containers() if worker and hasattr(worker, "ctrs") else []
            for c in running:
                self.event(pod, pod["spec"].get("nodeName"), "Killing", "Stopping container %s" % c.name,
                           "Normal", c.field_path)
            self.api.request("DELETE", "/api/v1/namespaces/%s/pods/%s" % (ns, name),
                             {"apiVersion": "v1", "kind": "DeleteOptions", "gracePeriodSeconds": 0,
                              "preconditions": {"uid": uid}})
            log("pod %s/%s force-deleted" % (ns, name))
        except ApiError as e:
            if e.status in (404, 409):
                log("pod %s/%s already gone (%s)" % (ns, name, e.status))
            else:
                log("force-delete of %s/%s failed: %s" % (ns, name, e))
                with self.lock:
                    self.deleting.discard(uid)
        except Exception:  # noqa: BLE001
            log("force-delete of %s/%s failed:\n%s" % (ns, name, traceback.format_exc()))
            with self.lock:
                self.deleting.discard(uid)

    def list_pods(self):
        items, cont = [], None
        while True:
            q = "limit=500" + ("&continue=" + urllib.parse.quote(cont) if cont else "")
            lst = self.api.request("GET", "/api/v1/pods?" + q)
            items.extend(lst.get("items") or [])
            cont = (lst.get("metadata") or {}).get("continue")
            if not cont:
                return items, lst["metadata"]["resourceVersion"]

    def watch_loop(self):
        rv = None
        delay = 0.5
        while not STOP.is_set():
            conn = None
            try:
                if rv is None:
                    items, rv = self.list_pods()
                    seen = set()
                    for p in items:
                        p.setdefault("kind", "Pod")
                        seen.add((p.get("metadata") or {}).get("uid"))
                        self.handle("ADDED", p)
                    with self.lock:
                        gone = [u for u in self.workers if u not in seen]
                    for u in gone:
                        with self.lock:
                            w = self.workers.pop(u, None)
                        if w:
                            w.stop.set()
                            if getattr(w, "pod_ip", None) and w.pod_ip != getattr(w, "host_ip", None):
                                self.release_ip(w.node, w.pod_ip)
                            self.forget_events(u)
                conn, resp = self.api.stream(
                    "/api/v1/pods?watch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=%s"
                    % (random.randint(240, 360), urllib.parse.quote(rv)), timeout=420)
                delay = 0.5
                for ev in iter_json_stream(resp):
                    et = ev.get("type")
                    obj = ev.get("object") or {}
                    if et == "ERROR":
                        code = obj.get("code")
                        log("watch error %s: %s; re-listing" % (code, obj.get("message")))
                        rv = None
                        break
                    new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                    if new_rv:
                        rv = new_rv
                    if et == "BOOKMARK":
                        continue
                    try:
                        self.handle(et, obj)
                    except Exception:  # noqa: BLE001
                        log("error handling %s event:\n%s" % (et, traceback.format_exc()))
            except ApiError as e:
                if e.status == 410:
                    log("watch: resourceVersion too old (410); re-listing")
                    rv = None
                    continue
                if not STOP.is_set():
                    log("watch failed: %s; retrying in %.1fs" % (e, delay))
                    STOP.wait(delay)
                    delay = min(delay * 2, 5)
                    if e.status == 0:
                        rv = None
            except Exception as e:  # noqa: BLE001
                if not STOP.is_set():
                    log("watch failed: %r; retrying in %.1fs" % (e, delay))
                    STOP.wait(delay)
                    delay = min(delay * 2, 5)
            finally:
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # noqa: BLE001
                        pass

    def run(self):
        self.started_ts = ts()
        for attempt in range(100):
            try:
                v = self.api.request("GET", "/version")
                self.kube_version = v.get("gitVersion", self.kube_version)
                self.register_nodes()
                break
            except Exception as e:  # noqa: BLE001
                if STOP.is_set():
                    return
                log("registering nodes failed (attempt %d): %s" % (attempt + 1, e))
                STOP.wait(min(0.5 * (attempt + 1), 5))
        else:
            log("giving up: could not register nodes")
            sys.exit(1)
        threading.Thread(target=self.heartbeat_loop, name="heartbeat", daemon=True).start()
        threading.Thread(target=self.watch_loop, name="watch", daemon=True).start()
        log("running: nodes %s, test registries %s, allowed registries %s"
            % (", ".join(self.node_names), ", ".join(self.args.registry) or "-",
               ", ".join(sorted(self.registries.allow)) or "-"))
        while not STOP.wait(1):
            pass
        log("stopping")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--server", required=True, help="https://127.0.0.1:PORT")
    p.add_argument("--ca", required=True, help="CA bundle of the API server")
    p.add_argument("--cert", required=True, help="client certificate (cluster-admin)")
    p.add_argument("--key", required=True, help="client key")
    p.add_argument("--registry", action="append", default=[],
                   help="test registry HOST:PORT (plain HTTP) or https://HOST:PORT; repeatable. "
                        "Images there are checked with a manifest HEAD. Loopback registries are "
                        "always checked for real (HTTPS first, then HTTP).")
    p.add_argument("--registry-ca", help="CA bundle for HTTPS test registries (not loopback)")
    p.add_argument("--allow-registry", action="append", default=[],
                   help="registry host whose images are treated as present without a check "
                        "(comma-separated, repeatable; '*' allows all)")
    p.add_argument("--nodes", type=int, default=2)
    p.add_argument("--node-prefix", default="sim-node-")
    p.add_argument("--cpu", default="8")
    p.add_argument("--memory", default="32Gi")
    p.add_argument("--pods", type=int, default=110)
    p.add_argument("--heartbeat", type=float, default=10.0, help="seconds between node heartbeats")
    p.add_argument("--image-backoff", type=float, default=2.0, help="first image pull back-off (s)")
    p.add_argument("--crash-backoff", type=float, default=2.0, help="first crash-loop back-off (s)")
    p.add_argument("--max-backoff", type=float, default=30.0, help="back-off cap (s)")
    p.add_argument("--config-retry", type=float, default=3.0,
                   help="seconds between retries of a CreateContainerConfigError")
    args = p.parse_args()

    def on_signal(signum, _frame):
        log("signal %d received" % signum)
        STOP.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    socket.setdefaulttimeout(60)
    Sim(args).run()


if __name__ == "__main__":
    main()
