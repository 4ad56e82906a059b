-- cdhost.git.commit argument checks (raised before any network or cache
-- access, so nothing here touches ~/.cache) and the Argo CD helper (stdlib/cdhost/argocd.lua). The real
-- commits are tested against real servers in tests/e2e/git.
local t = require "cdhost.testing"
local argocd = require "cdhost.argocd"

local function commit(o)
  local base = { repo = "/nonexistent/repo.git", branch = "main", path = "prod",
                 files = { ["a.yaml"] = "a: 1\n" }, message = "m" }
  for k, v in pairs(o) do base[k] = v end
  return cdhost.git.commit(base)
end

t.test("git.commit: required fields", function()
  t.raises("'repo' is required", commit, { repo = "" })
  t.raises("'branch' is required", commit, { branch = "" })
  t.raises("'message' is required", commit, { message = "" })
  local e = t.raises("invalid", commit, { files = "a.yaml" })
  t.eq(e.op, "git.commit")
end)

t.test("git.commit: types and paths", function()
  t.raises("'push' must be a boolean", commit, { push = "yes" })
  t.raises("'base' must be a string", commit, { base = 1 })
  t.raises("every key must be a path", commit, { files = { "a" } })
  t.raises("'..' component", commit, { files = { ["../x.yaml"] = "x" } })
  t.raises("'.git' component", commit, { files = { [".git/config"] = "x" } })
  t.raises("must be relative", commit, { path = "/etc" })
  t.raises("'..' component", commit, { path = "a/../.." })
end)

t.test("git.commit: auth fields are checked", function()
  t.raises("auth: unknown field 'password'", commit, { auth = { password = "hunter2" } })
  t.raises("'auth' must be a table", commit, { auth = "x" })
end)

t.test("argocd.application", function()
  local app = argocd.application { name = "shop-prod", repo = "https://g/x.git",
                                   revision = "env/prod", path = "prod/", dest_namespace = "shop" }
  t.eq(app.apiVersion, "argoproj.io/v1alpha1")
  t.eq(app.kind, "Application")
  t.eq(app.metadata.namespace, "argocd")
  t.eq(app.spec.source.path, "prod")
  t.eq(app.spec.source.targetRevision, "env/prod")
  t.eq(app.spec.destination.namespace, "shop")
  t.eq(app.spec.destination.server, "https://kubernetes.default.svc")
  t.eq(app.spec.syncPolicy.automated.prune, true)
  t.eq(app.spec.syncPolicy.syncOptions[1], "CreateNamespace=true")
  local manual = argocd.application { name = "a", repo = "r", path = ".", automated = false,
                                      sync_options = {} }
  t.eq(manual.spec.syncPolicy.automated, nil)
  t.eq(manual.spec.destination.namespace, "a")
  local y = cdhost.yaml.encode(app)
  t.truthy(y:find("kind: Application", 1, true), "yaml")
end)

t.test("argocd.application_set", function()
  local set = argocd.application_set { name = "shop", repo = "r", directories = { "envs/*" } }
  t.eq(set.kind, "ApplicationSet")
  t.eq(set.spec.generators[1].git.directories[1].path, "envs/*")
  t.eq(set.spec.template.metadata.name, "shop-{{path.basename}}")
  t.eq(set.spec.template.spec.source.path, "{{path}}")
end)

t.test("argocd: bad options", function()
  t.raises("'repo' is required", argocd.application, { name = "a", path = "p" })
  t.raises("unknown option 'branch'", argocd.application, { name = "a", repo = "r", path = "p", branch = "x" })
  t.raises("'directories' must be a non-empty list", argocd.application_set, { name = "a", repo = "r" })
end)

t.done()
