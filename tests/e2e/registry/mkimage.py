#!/usr/bin/env python3
"""Writes a small OCI image layout for seeding test registries (stdlib only).

usage: mkimage.py DIR NAME [--platforms linux/amd64,linux/arm64] [--layers N] [--size BYTES]
DIR/NAME is an OCI layout whose index.json names one image (tag `latest`): a
single image manifest, or with several platforms an image index. Contents depend
on NAME, so different names give different digests. Independent of cdhost: the
tests copy it into the registries with skopeo.
"""
import argparse, gzip, hashlib, io, json, os, tarfile


def blob(root, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(root, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def layer(name, i, size):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        payload = (("%s layer %d\n" % (name, i)) * (size // 16 + 1)).encode()[:size]
        # a pseudo-random tail keeps large layers from compressing to nothing
        seed = hashlib.sha256(payload).digest()
        tail = b"".join(hashlib.sha256(seed + n.to_bytes(4, "big")).digest()
                        for n in range(size // 32))
        data = payload + tail
        ti = tarfile.TarInfo("data/%s-%d.txt" % (name.replace("/", "_"), i))
        ti.size, ti.mtime, ti.mode = len(data), 0, 0o644
        t.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
        g.write(tar)
    return tar, gz.getvalue()


def image(root, name, plat, layers, size):
    os_, arch = plat.split("/")[:2]
    descs, diff_ids = [], []
    for i in range(layers):
        tar, gz = layer("%s-%s" % (name, arch), i, size)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        d = blob(root, gz)
        d["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
        descs.append(d)
    cfg = {"architecture": arch, "os": os_, "config": {"Cmd": ["/bin/true"],
           "Labels": {"test.name": name}}, "rootfs": {"type": "layers",
           "diff_ids": diff_ids}}
    c = blob(root, json.dumps(cfg, sort_keys=True).encode())
    c["mediaType"] = "application/vnd.oci.image.config.v1+json"
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
         "config": c, "layers": descs}
    d = blob(root, json.dumps(m, sort_keys=True).encode())
    d["mediaType"] = m["mediaType"]
    d["platform"] = {"architecture": arch, "os": os_}
    return d


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("name")
    p.add_argument("--platforms", default="linux/amd64")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--size", type=int, default=4096)
    a = p.parse_args()
    root = os.path.join(a.dir, a.name.replace("/", "_"))
    os.makedirs(root, exist_ok=True)
    plats = a.platforms.split(",")
    descs = [image(root, a.name, pl, a.layers, a.size) for pl in plats]
    if len(descs) == 1:
        top = descs[0]
        del top["platform"]
    else:
        idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": descs}
        top = blob(root, json.dumps(idx, sort_keys=True).encode())
        top["mediaType"] = idx["mediaType"]
    top["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [top]}, f)
    print(root)


if __name__ == "__main__":
    main()
