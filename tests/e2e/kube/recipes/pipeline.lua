-- The pipeline helper for real: a native artifact, plain manifests and a
-- Helm chart using it, labels, namespace, apply set with prune, wait; hooks
-- print when they run. --set registry=, ns=, bad=1 (a missing image).
local pipeline = require "cdhost.pipeline"
local a = cdhost.args
local run = pipeline {
  artifacts = {
    site = { name = a.registry .. "/cdhost/pipeline-site", builder = "native",
             base = "scratch", layers = { { from = "pipeline/site", to = "/srv" } } },
  },
  manifests = { "pipeline/k8s/*.yaml", vars = { REGISTRY = a.registry } },
  helm = { { chart = "pipeline/chart", release = "worker", namespace = a.ns,
             images = { image = a.bad and { name = a.registry .. "/cdhost/nope", tag = "v0" } or "site" } } },
  labels = { ["app.kubernetes.io/part-of"] = "pipeline-test" },
  namespace = a.ns,
  deploy = { applyset = "pipe", prune = true, wait = { timeout = "60s" } },
  hooks = {
    after_build = function(ctx) print("hook after_build " .. ctx.artifacts.site.ref) end,
    after_deploy = function(ctx)
      print("hook after_deploy waited=" .. tostring(ctx.rollout and ctx.rollout.waited))
    end,
  },
}
print("objects " .. #run.objects)
for _, o in ipairs(run.objects) do
  local c = o.spec and o.spec.template and o.spec.template.spec.containers[1]
  if c then print("image " .. o.metadata.name .. " " .. c.image) end
end
