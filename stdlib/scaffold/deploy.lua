-- deploy.lua — the delivery of @APP@, made by `cdhost init`.
--
--   cdhost check deploy.lua                 lint: render mode, offline, output discarded
--   cdhost --dry-run deploy.lua             preview: the manifests on stdout, nothing written
--   cdhost --dry-run deploy.lua --set namespace=team-a --set registry=ghcr.io/acme
--   cdhost run deploy.lua --set registry=REGISTRY   build, push, apply, wait: for real
--
-- A plain-HTTP registry (the 127.0.0.1:5000 of `make demo`) also needs
-- `--insecure-registry 127.0.0.1:5000`; the cluster is kubectl's current
-- context (--kube-context C to pick another).
--
-- Values given with `--set k=v` arrive as strings in cdhost.args; the
-- defaults below are used otherwise.
local args = cdhost.args
local registry = args.registry or "127.0.0.1:5000"   -- where the image is pushed
local namespace = args.namespace or "default"   -- must exist in the cluster

-- The pipeline helper (docs/pipeline.md): build -> tag -> render -> apply
-- -> wait, each step honouring the mode (--dry-run builds nothing, applies
-- nothing: it computes the tag and prints the manifests).
local pipeline = require "cdhost.pipeline"

pipeline {
  -- One image, built natively: no Dockerfile, no daemon. Its layers are
  -- project files on top of a base image; its tag is the digest of its
  -- inputs, so an unchanged rebuild pushes nothing (docs/images.md).
  artifacts = {
    web = {
      name = registry .. "/@APP@",
      builder = "native",
      base = "docker.io/library/busybox:1.36",
      layers = { { from = "site", to = "/srv/www" } },
      cmd = { "httpd", "-f", "-p", "8080", "-h", "/srv/www" },
      ports = { "8080" },
    },
  },

  -- The manifests, with ${NAME} replaced from vars (an unknown name is an
  -- error naming file and line). The image written as ${IMAGE} is the
  -- artifact's name: the pipeline pins it to the built tag and digest.
  manifests = { "k8s/*.yaml", vars = { APP = "@APP@", IMAGE = registry .. "/@APP@" } },
  labels = { ["app.kubernetes.io/part-of"] = "@APP@" },
  namespace = namespace,

  -- Server-side apply as an apply set: a later run prunes what this recipe
  -- no longer renders. Then wait for the rollout; a failure names the pod,
  -- container and reason (exit 3), a timeout exits 4.
  deploy = {
    applyset = "@APP@",
    prune = true,
    wait = { timeout = "5m" },
  },
}
