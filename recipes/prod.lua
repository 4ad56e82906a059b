-- recipes/prod.lua — the shop in production, the Skaffold shape through
-- require "cdhost.pipeline": two images (the storefront built natively, the
-- API from a Dockerfile by an external builder), the web service from the
-- platform team's library, the cart from a Helm chart and the worker from a
-- kustomize overlay, all given the built images, labelled, in one namespace,
-- applied as one apply set with prune, then waited for. --set image=REF
-- deploys a given storefront image instead of the built one.
--
--   cdhost lib sync                        (in recipes/: vendors the libraries
--                                           cdhost.libs names, pinned in cdhost.lock)
--   cdhost --dry-run recipes/prod.lua      what would be built and applied
--   cdhost run recipes/prod.lua --set registry=REGISTRY/shop [--set builder=podman]
--
-- `team.web` comes from .cdhost/libs/team/ (committed, so CI needs no
-- network); its tree hash is checked against cdhost.lock before it loads.
-- Helm and kustomize run as `helm template` and `kubectl kustomize`.
local pipeline = require "cdhost.pipeline"
local team = require "team"
local web = require "team.web"

local args = cdhost.args
local ns = args.namespace or "shop"
local registry = args.registry or "registry.example.com/shop"

local run = pipeline {
  artifacts = {
    storefront = { name = registry .. "/storefront", builder = "native", base = "scratch",
                   layers = { { from = "demo/site", to = "/srv/www" } },
                   cmd = { "httpd", "-f", "-p", "8080", "-h", "/srv/www" } },
    api = { name = registry .. "/api", builder = args.builder or "buildah",
            context = "prod/api",
            build_args = { BASE = args.base or "docker.io/library/busybox:1.36" } },
  },
  objects = web.objects {
    name = "shop-web", namespace = ns,
    image = args.image or registry .. "/storefront",   -- set_images pins the built one
    replicas = 3, port = 8080, team = "shop",
    env = { LOG_LEVEL = "info", REGION = args.region or "eu-1" },
  },
  helm = { { chart = "prod/charts/cart", release = "cart", namespace = ns,
             values = { replicas = 2 }, images = { image = "api" } } },
  kustomize = { "prod/overlays/prod" },
  labels = { ["app.kubernetes.io/part-of"] = "shop" },
  namespace = ns,
  deploy = { applyset = "shop", prune = true, wait = { timeout = "5m" } },
}
cdhost.log.info(("prod: %d objects (team library %s), images %s and %s"):format(
  #run.objects, team.version, run.artifacts.storefront.ref, run.artifacts.api.ref))
