-- recipes/helm.lua — a Helm chart deployed the cdhost way: the chart's image
-- built from a Dockerfile, the chart rendered with `helm template` for the
-- cluster it lands on (its version and API groups from discovery), the
-- image pinned by digest through the chart's values, applied server-side as
-- an apply set (no Tiller, no release Secrets: prune removes what the chart
-- no longer renders) and waited for with fail-fast diagnosis.
--
--   cdhost --dry-run recipes/helm.lua                 the rendered chart
--   cdhost run recipes/helm.lua --set registry=REGISTRY/shop --set replicas=3
--
-- helm must be on PATH (tests/e2e/env/testenv tools installs one).
local pipeline = require "cdhost.pipeline"

local args = cdhost.args
local ns = args.namespace or "shop"

local run = pipeline {
  artifacts = {
    api = { name = (args.registry or "registry.example.com/shop") .. "/api",
            builder = args.builder or "buildah", context = "prod/api",
            build_args = { BASE = args.base or "docker.io/library/busybox:1.36" } },
  },
  helm = { {
    chart = "prod/charts/cart", release = args.release or "cart", namespace = ns,
    values = { replicas = tonumber(args.replicas or "2") },
    images = { image = "api" },   -- sets image.repository and image.tag
  } },
  namespace = ns,
  labels = { ["app.kubernetes.io/managed-by"] = "cdhost" },
  deploy = { applyset = "cart", prune = true,
             wait = { timeout = args.timeout or "5m", on_failure = "rollback" } },
}
cdhost.log.info(("helm: release %s, %d objects, image %s"):format(
  args.release or "cart", #run.objects, run.artifacts.api.ref))
