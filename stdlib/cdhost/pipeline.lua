-- cdhost.pipeline — the Skaffold shape in one call: build → tag → render →
-- apply → wait (or commit for GitOps), honouring every mode because every
-- step is a cdhost primitive (render previews, build only builds, deploy -a
-- takes the artifacts file, diff diffs, delete deletes and waits for it).
--
--   local pipeline = require "cdhost.pipeline"
--   local run = pipeline {
--     artifacts = { web = { name = "registry.example.com/shop/web", builder = "native",
--                           base = "scratch", layers = { { from = "site", to = "/srv" } } } },
--     manifests = { "k8s/*.yaml", vars = { NS = "shop" } },
--     helm = { { chart = "charts/cart", release = "cart", images = { image = "web" } } },
--     kustomize = { "k8s/overlays/prod" },
--     labels = { ["app.kubernetes.io/part-of"] = "shop" },
--     namespace = "shop",
--     deploy = { applyset = "shop", prune = true, wait = { timeout = "5m" } },
--     hooks = { after_deploy = function(ctx) cdhost.log.info("deployed") end },
--   }
--   -- run = { artifacts = { web = {...} }, objects = {...}, applied = ..., rollout = ... }
--
-- docs/pipeline.md has every option. Errors name the option at fault.
local M = {}

local TOP = { artifacts = true, manifests = true, helm = true, kustomize = true,
              objects = true, labels = true, annotations = true, namespace = true,
              image_rules = true, transform = true, deploy = true, gitops = true,
              hooks = true }
local DEPLOY = { namespace = true, prune = true, applyset = true, force = true,
                 context = true, wait = true, lock_wait = true }
local GITOPS = { repo = true, branch = true, base = true, path = true, message = true,
                 author = true, push = true, auth = true, per_kind = true }
local HOOKS = { before_build = true, after_build = true, before_render = true,
                after_render = true, before_deploy = true, after_deploy = true }

local function fail(fmt, ...)
  error("cdhost.pipeline: " .. fmt:format(...), 0)
end

local function check_keys(t, known, where)
  for k in pairs(t) do
    if type(k) ~= "string" or not known[k] then
      local names = {}
      for n in pairs(known) do names[#names + 1] = n end
      table.sort(names)
      fail("unknown option '%s' in %s (known: %s)", tostring(k), where,
           table.concat(names, ", "))
    end
  end
end

local function want(v, kind, where)
  if v ~= nil and type(v) ~= kind then
    fail("%s must be a %s, not a %s", where, kind, type(v))
  end
  return v
end

-- A list given as one item or several: { "a" } / "a"; { {...}, {...} } / {...}.
local function as_list(v, where, item_is_table)
  if v == nil then return {} end
  if type(v) == "string" and not item_is_table then return { v } end
  if type(v) ~= "table" then fail("%s must be a table", where) end
  if item_is_table and (v.chart or v[1] == nil) then return { v } end
  return v
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function hook(p, name, ctx)
  local fn = p.hooks and p.hooks[name]
  if fn ~= nil then fn(ctx) end
end

-- Every artifact at once (cdhost.parallel), results in name order.
local function build(p, ctx)
  local artifacts = want(p.artifacts, "table", "artifacts") or {}
  local keys, fns = sorted_keys(artifacts), {}
  for i, key in ipairs(keys) do
    local spec = artifacts[key]
    if type(key) ~= "string" then fail("artifacts: keys must be names, got %s", tostring(key)) end
    if type(spec) ~= "table" then fail("artifacts.%s must be a table (cdhost.image.build options)", key) end
    fns[i] = function() return cdhost.image.build(spec) end
  end
  local built = cdhost.parallel(fns)
  for i, key in ipairs(keys) do
    ctx.artifacts[key] = built[i]
    ctx.artifact_list[#ctx.artifact_list + 1] = built[i]
  end
end

-- images = { ["value.path"] = "artifact key" | artifact }
local function helm_images(images, ctx, where)
  if images == nil then return nil end
  if type(images) ~= "table" then fail("%s.images must be a table", where) end
  local out = {}
  for path, a in pairs(images) do
    if type(a) == "string" then
      out[path] = ctx.artifacts[a] or fail("%s.images.%s: no artifact named '%s'", where, path, a)
    else
      out[path] = a
    end
  end
  return out
end

local function render(p, ctx)
  local objs = cdhost.manifest.parse ""
  if p.manifests ~= nil then
    if type(p.manifests) ~= "table" and type(p.manifests) ~= "string" then
      fail("manifests must be a glob or a manifest.load spec")
    end
    objs = objs + cdhost.manifest.load(p.manifests)
  end
  for i, h in ipairs(as_list(p.helm, "helm", true)) do
    local where = ("helm[%d]"):format(i)
    if type(h) ~= "table" then fail("%s must be a table (cdhost.helm.template options)", where) end
    local opts = {}
    for k, v in pairs(h) do opts[k] = v end
    opts.images = helm_images(h.images, ctx, where)
    objs = objs + cdhost.helm.template(opts)
  end
  for i, dir in ipairs(as_list(p.kustomize, "kustomize", false)) do
    if type(dir) ~= "string" then fail("kustomize[%d] must be a directory", i) end
    objs = objs + cdhost.kustomize.build(dir)
  end
  if p.objects ~= nil then
    want(p.objects, "table", "objects")
    objs = objs + (p.objects.kind and { p.objects } or p.objects)
  end
  if #ctx.artifact_list > 0 then
    cdhost.manifest.set_images(objs, ctx.artifact_list,
                               p.image_rules and { rules = p.image_rules } or nil)
  end
  if p.labels ~= nil then cdhost.manifest.label(objs, want(p.labels, "table", "labels")) end
  if p.annotations ~= nil then
    cdhost.manifest.annotate(objs, want(p.annotations, "table", "annotations"))
  end
  if p.namespace ~= nil then
    cdhost.manifest.namespace(objs, want(p.namespace, "string", "namespace"))
  end
  if p.transform ~= nil then
    want(p.transform, "function", "transform")
    objs = p.transform(objs, ctx) or objs
  end
  ctx.objects = objs
end

local function deploy(p, ctx)
  if p.gitops ~= nil then
    local g = p.gitops
    check_keys(g, GITOPS, "gitops")
    for _, k in ipairs { "repo", "branch" } do
      if type(g[k]) ~= "string" then fail("gitops.%s is required (a string)", k) end
    end
    local tags = {}
    for _, key in ipairs(sorted_keys(ctx.artifacts)) do
      tags[#tags + 1] = ctx.artifacts[key].tag
    end
    ctx.commit = cdhost.git.commit {
      repo = g.repo, branch = g.branch, base = g.base, path = g.path or "",
      files = cdhost.manifest.files(ctx.objects, { per_kind = g.per_kind }),
      message = g.message or ("deploy " .. (#tags > 0 and table.concat(tags, ", ")
                                            or (#ctx.objects .. " objects"))),
      author = g.author, push = g.push, auth = g.auth,
    }
    return
  end
  local d = want(p.deploy, "table", "deploy") or {}
  check_keys(d, DEPLOY, "deploy")
  ctx.applied = cdhost.kube.apply(ctx.objects, {
    namespace = d.namespace or p.namespace, prune = d.prune, applyset = d.applyset,
    force = d.force, context = d.context, lock_wait = d.lock_wait })
  if d.wait ~= false then
    local w = d.wait == nil and {} or want(d.wait, "table", "deploy.wait")
    local opts = {}
    for k, v in pairs(w) do opts[k] = v end
    opts.context = opts.context or d.context
    ctx.rollout = cdhost.rollout.wait(ctx.applied, opts)
  end
end

--- Runs the pipeline p; returns what each step produced.
function M.run(p)
  if type(p) ~= "table" then fail("expects a table of options") end
  check_keys(p, TOP, "the pipeline")
  if p.hooks ~= nil then
    check_keys(want(p.hooks, "table", "hooks"), HOOKS, "hooks")
    for k, fn in pairs(p.hooks) do want(fn, "function", "hooks." .. k) end
  end
  if p.gitops ~= nil and p.deploy ~= nil then
    fail("give either deploy (apply to a cluster) or gitops (commit), not both")
  end
  want(p.gitops, "table", "gitops")
  local ctx = { artifacts = {}, artifact_list = {}, objects = nil, mode = cdhost.mode }
  hook(p, "before_build", ctx)
  build(p, ctx)
  hook(p, "after_build", ctx)
  hook(p, "before_render", ctx)
  render(p, ctx)
  hook(p, "after_render", ctx)
  hook(p, "before_deploy", ctx)
  deploy(p, ctx)
  hook(p, "after_deploy", ctx)
  ctx.artifact_list = nil
  return ctx
end

return setmetatable(M, { __call = function(_, p) return M.run(p) end })
