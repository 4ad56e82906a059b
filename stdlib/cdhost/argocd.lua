-- cdhost.argocd — Argo CD objects that point at what cdhost.git.commit wrote.
--
--   local argocd = require "cdhost.argocd"
--   local app = argocd.application { name = "shop-prod", repo = URL,
--                                    revision = "env/prod", path = "prod",
--                                    namespace = "shop" }
--   cdhost.kube.apply { app }          -- or commit it next to the manifests
--
-- The objects are plain manifests (argoproj.io/v1alpha1); nothing here talks
-- to Argo CD. See docs/gitops.md.
local M = {}
local map, list = cdhost.map, cdhost.list

local function fail(msg, ...)
  error("cdhost.argocd: " .. msg:format(...), 3)
end

local function need(o, k)
  if type(o[k]) ~= "string" or o[k] == "" then fail("'%s' is required (a string)", k) end
  return o[k]
end

local function opt(o, k, default)
  local v = o[k]
  if v == nil then return default end
  if type(v) ~= "string" then fail("'%s' must be a string", k) end
  return v
end

local KNOWN = {
  application = { name = 1, namespace = 1, project = 1, repo = 1, revision = 1, path = 1,
                  dest_namespace = 1, dest_server = 1, automated = 1, prune = 1,
                  self_heal = 1, sync_options = 1, labels = 1 },
  application_set = { name = 1, namespace = 1, project = 1, repo = 1, revision = 1,
                      directories = 1, dest_server = 1, automated = 1, prune = 1,
                      self_heal = 1, sync_options = 1, labels = 1 },
}

local function check_known(o, what)
  if type(o) ~= "table" then fail("%s expects a table of options", what) end
  for k in pairs(o) do
    if not KNOWN[what][k] then fail("%s: unknown option '%s'", what, tostring(k)) end
  end
end

local function sync_policy(o)
  local p = map {}
  if o.automated ~= false then
    p.automated = map { prune = o.prune ~= false, selfHeal = o.self_heal ~= false }
  end
  local opts = list {}
  for _, s in ipairs(o.sync_options or { "CreateNamespace=true" }) do opts[#opts + 1] = s end
  if #opts > 0 then p.syncOptions = opts end
  return p
end

local function metadata(o)
  local m = map { name = need(o, "name"), namespace = opt(o, "namespace", "argocd") }
  if o.labels then
    m.labels = map {}
    for k, v in pairs(o.labels) do m.labels[k] = v end
  end
  return m
end

--- An Argo CD Application syncing `path` of `repo` at `revision` (the
--- branch cdhost.git.commit writes to) into `dest_namespace`.
---@param o {name: string, repo: string, path: string, revision?: string, namespace?: string, project?: string, dest_namespace?: string, dest_server?: string, automated?: boolean, prune?: boolean, self_heal?: boolean, sync_options?: string[], labels?: table<string,string>}
---@return table application
function M.application(o)
  check_known(o, "application")
  local path = need(o, "path"):gsub("/+$", "")
  if path == "" then path = "." end
  return map {
    apiVersion = "argoproj.io/v1alpha1",
    kind = "Application",
    metadata = metadata(o),
    spec = map {
      project = opt(o, "project", "default"),
      source = map { repoURL = need(o, "repo"), targetRevision = opt(o, "revision", "HEAD"),
                     path = path },
      destination = map { server = opt(o, "dest_server", "https://kubernetes.default.svc"),
                          namespace = opt(o, "dest_namespace", o.name) },
      syncPolicy = sync_policy(o),
    },
  }
end

--- An ApplicationSet with a git directory generator: one Application per
--- directory matching `directories` (e.g. {"envs/*"}), named and deployed
--- into a namespace after the directory's base name.
---@param o {name: string, repo: string, directories: string[], revision?: string, namespace?: string, project?: string, dest_server?: string, automated?: boolean, prune?: boolean, self_heal?: boolean, sync_options?: string[], labels?: table<string,string>}
---@return table application_set
function M.application_set(o)
  check_known(o, "application_set")
  if type(o.directories) ~= "table" or #o.directories == 0 then
    fail("application_set: 'directories' must be a non-empty list of path globs")
  end
  local dirs = list {}
  for _, d in ipairs(o.directories) do
    if type(d) ~= "string" then fail("application_set: directories must be strings") end
    dirs[#dirs + 1] = map { path = d }
  end
  return map {
    apiVersion = "argoproj.io/v1alpha1",
    kind = "ApplicationSet",
    metadata = metadata(o),
    spec = map {
      generators = list { map { git = map { repoURL = need(o, "repo"),
                                            revision = opt(o, "revision", "HEAD"),
                                            directories = dirs } } },
      template = map {
        metadata = map { name = need(o, "name") .. "-{{path.basename}}" },
        spec = map {
          project = opt(o, "project", "default"),
          source = map { repoURL = o.repo, targetRevision = opt(o, "revision", "HEAD"),
                         path = "{{path}}" },
          destination = map { server = opt(o, "dest_server", "https://kubernetes.default.svc"),
                              namespace = "{{path.basename}}" },
          syncPolicy = sync_policy(o),
        },
      },
    },
  }
end

return M
