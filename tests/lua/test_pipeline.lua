-- cdhost.pipeline: options are checked before anything happens, steps and
-- hooks run in order, artifacts reach set_images and helm values, labels and
-- namespace apply. (Builds, applies and waits for real: tests/e2e/kube/
-- test_pipeline.sh.) A hook that raises stops the pipeline there, which is
-- how these tests look inside without a cluster.
local t = require "cdhost.testing"
local pipeline = require "cdhost.pipeline"

local STOP = "stop here"
local function until_hook(p, name)
  local seen
  p.hooks = p.hooks or {}
  p.hooks[name] = function(ctx) seen = ctx; error(STOP, 0) end
  local ok, err = pcall(pipeline, p)
  t.eq(ok, false, "the pipeline stopped")
  t.eq(err, STOP)
  return seen
end

t.test("unknown options and wrong types are errors naming the option", function()
  t.raises("unknown option 'manifest' in the pipeline", pipeline, { manifest = "x" })
  t.raises("unknown option 'wiat' in deploy", pipeline,
           { objects = {}, deploy = { wiat = true } })
  t.raises("unknown option 'on_deploy' in hooks", pipeline, { hooks = { on_deploy = print } })
  t.raises("hooks.after_build must be a function", pipeline, { hooks = { after_build = 1 } })
  t.raises("artifacts.web must be a table", pipeline, { artifacts = { web = "img" } })
  t.raises("labels must be a table", pipeline, { objects = {}, labels = "x" })
  t.raises("either deploy", pipeline, { deploy = {}, gitops = { repo = "r", branch = "b" } })
  t.raises("expects a table", pipeline, "x")
  t.raises("kustomize[1] must be a directory", pipeline, { kustomize = { 42 } })
end)

t.test("nothing happens before the options are checked", function()
  local built = false
  t.raises("unknown option", pipeline, {
    hooks = { before_build = function() built = true end }, bogus = 1 })
  t.eq(built, false, "before_build ran")
end)

t.test("steps and hooks run in order; render loads, sets images, labels, namespaces", function()
  local order = {}
  local function mark(name) return function() order[#order + 1] = name end end
  local art = { name = "registry.example.com/shop/web", tag = "v2",
                digest = "sha256:" .. ("ab"):rep(32) }
  local ctx = until_hook({
    manifests = { "manifests/app.yaml", vars = { NAMESPACE = "x", REPLICAS = "2", IMAGE = "web" } },
    objects = { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "extra" } },
    labels = { team = "shop" },
    namespace = "shop",
    transform = function(objs, c)
      order[#order + 1] = "transform"
      c.artifacts.web = art -- what a build would have returned
      return objs
    end,
    hooks = { before_build = mark("before_build"), after_build = mark("after_build"),
              before_render = mark("before_render"), after_render = mark("after_render") },
  }, "before_deploy")
  t.eq(order, { "before_build", "after_build", "before_render", "transform", "after_render" })
  t.eq(#ctx.objects, 3)
  for _, o in ipairs(ctx.objects) do
    t.eq(o.metadata.namespace, "shop", o.metadata.name .. " namespace")
    t.eq(o.metadata.labels.team, "shop", o.metadata.name .. " label")
  end
end)

t.test("artifacts reach set_images", function()
  -- an artifact given by a hook stands in for a build here
  local art = { name = "web", tag = "v2", digest = "sha256:" .. ("cd"):rep(32) }
  local p = {
    manifests = { "manifests/app.yaml", vars = { NAMESPACE = "x", REPLICAS = "2", IMAGE = "web" } },
    hooks = { after_build = function(ctx) ctx.artifacts.web = art; ctx.artifact_list[1] = art end },
  }
  local ctx = until_hook(p, "after_render")
  local dep = ctx.objects:select { kind = "Deployment" }[1]
  t.eq(dep.spec.template.spec.containers[1].image, "web:v2@" .. art.digest)
end)

t.test("helm images name artifacts; an unknown name is an error", function()
  t.raises("helm[1].images.image: no artifact named 'nope'", pipeline,
           { helm = { chart = "charts/none", images = { image = "nope" } } })
end)

t.test("gitops needs repo and branch", function()
  local p = { objects = {}, gitops = { repo = "file:///nowhere" } }
  t.raises("gitops.branch is required", pipeline, p)
  t.raises("unknown option 'brnach' in gitops", pipeline,
           { objects = {}, gitops = { repo = "r", brnach = "b" } })
end)

t.done()
