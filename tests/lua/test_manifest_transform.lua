-- Transforms: set_images (Skaffold's coverage), label, annotate, namespace,
-- files (SPEC sections 4-5).
local t = require "cdhost.testing"
local M = cdhost.manifest
local DIGEST = "sha256:" .. ("ab"):rep(32)
local WEB = { name = "web", tag = "v2", digest = DIGEST }
local WEB_REF = "web:v2@" .. DIGEST

local function load() return M.load "manifests/workloads.yaml" end
local function by_name(objs, name) return objs:select { name = name }[1] end

-- Every image field of the fixture, "object/path" -> value.
local function images(objs)
  local out = {}
  local function walk(v, path)
    if type(v) ~= "table" then return end
    for k, x in pairs(v) do
      local p = path .. "." .. tostring(k)
      if k == "image" and type(x) == "string" then out[p] = x else walk(x, p) end
    end
  end
  for _, o in ipairs(objs) do walk(o, o.metadata.name) end
  return out
end

t.test("set_images rewrites exactly the fields Skaffold rewrites", function()
  local objs = load()
  local before = images(objs)
  local _, n = M.set_images(objs, { WEB })
  local after = images(objs)
  local changed = {}
  for p, v in pairs(after) do
    if v ~= before[p] then changed[#changed + 1] = p; t.eq(v, WEB_REF, p) end
  end
  table.sort(changed)
  t.eq(changed, {
    "cron.spec.jobTemplate.spec.template.spec.containers.1.image",
    "cron.spec.jobTemplate.spec.template.spec.initContainers.1.image",
    "deploy.spec.template.spec.initContainers.1.image",
    "ds.spec.template.spec.containers.1.image",
    "job.spec.template.spec.containers.1.image",
    "pod.spec.containers.1.image",
    "rs.spec.template.spec.containers.1.image",
    "sts.spec.template.spec.containers.1.image",
  })
  t.eq(n, 8)
  -- untouched: digest-pinned, other repositories, annotations, ConfigMap data, CRDs without a rule
  local d = by_name(objs, "deploy")
  t.eq(d.spec.template.spec.containers[2].image, "web@sha256:" .. ("1"):rep(64))
  t.eq(d.spec.template.spec.containers[3].image, "nginx:1.25")
  t.eq(d.spec.template.metadata.annotations.image, "web")
  t.eq(by_name(objs, "not-a-workload").data.image, "web")
  t.eq(by_name(objs, "widget").spec.runner.image, "web")
end)

t.test("set_images: Docker Hub names, ephemeral containers, refs and repository matching", function()
  local objs = load()
  local _, n = M.set_images(objs, {
    { name = "busybox", ref = "busybox:built" },
    { name = "registry.example.com/shop/api", tag = "2.0" },
  })
  t.eq(n, 2)
  t.eq(by_name(objs, "pod").spec.ephemeralContainers[1].image, "busybox:built")
  t.eq(by_name(objs, "deploy").spec.template.spec.containers[1].image, "registry.example.com/shop/api:2.0")
  -- one artifact given alone is accepted too
  local _, m = M.set_images(load(), WEB)
  t.eq(m, 8)
end)

t.test("set_images matches after --default-repo", function()
  local objs = load()
  local _, n = M.set_images(objs, { { name = "reg.local:5000/team/web", tag = "t" } },
                            { default_repo = "reg.local:5000/team" })
  t.eq(n, 8)
  t.eq(by_name(objs, "job").spec.template.spec.containers[1].image, "reg.local:5000/team/web:t")
  -- the same rewrite as image.build: escaped into one component for a
  -- registry that is not GCR / Artifact Registry, appended for those
  for repo, pushed in pairs {
    ["reg.local:5000/team"] = "reg.local:5000/team/registry_example_com_shop_api",
    ["gcr.io/my-project"] = "gcr.io/my-project/registry.example.com/shop/api",
  } do
    objs = load()
    _, n = M.set_images(objs, { { name = pushed, tag = "t" } }, { default_repo = repo })
    t.eq(n, 1)
    t.eq(by_name(objs, "deploy").spec.template.spec.containers[1].image, pushed .. ":t")
  end
  t.raises('default_repo "Reg.local/team" has upper-case letters', M.set_images, load(),
           { { name = "x", tag = "t" } }, { default_repo = "Reg.local/team" })
end)

t.test("set_images matches an artifact by its image (the name before --default-repo)", function()
  local objs = load()
  local _, n = M.set_images(objs, {
    { name = "reg.local:5000/team/registry_example_com_shop_api", image = "registry.example.com/shop/api",
      tag = "t" },
  })
  t.eq(n, 1)
  t.eq(by_name(objs, "deploy").spec.template.spec.containers[1].image,
       "reg.local:5000/team/registry_example_com_shop_api:t")
end)

t.test("set_images CRD rules by group/kind and path", function()
  local objs = load()
  local _, n = M.set_images(objs, { WEB }, { rules = {
    { group = "example.com", kind = "Widget",
      paths = { "spec.runner.image", "spec.sidecars[*].image", "spec.template.spec" } },
    { group = "other.example.com", kind = "Widget", paths = { "spec.missing.image" } },
  } })
  t.eq(n, 11)
  local w = by_name(objs, "widget")
  t.eq(w.spec.runner.image, WEB_REF)
  t.eq(w.spec.sidecars[1].image, WEB_REF)
  t.eq(w.spec.sidecars[2].image, "nginx")
  t.eq(w.spec.template.spec.containers[1].image, WEB_REF)
  t.raises("rule 1 needs kind= and paths", M.set_images, objs, { WEB }, { rules = { { kind = "X" } } })
  t.raises("artifact 1 has no name", M.set_images, objs, { { tag = "x" } })
end)

t.test("label: metadata and pod templates, never workload selectors", function()
  local objs = load()
  M.label(objs, { team = "a", ["app.kubernetes.io/part-of"] = "shop" })
  local d = by_name(objs, "deploy")
  t.eq(d.metadata.labels.team, "a")
  t.eq(d.spec.template.metadata.labels, { app = "deploy", team = "a", ["app.kubernetes.io/part-of"] = "shop" })
  t.eq(d.spec.selector.matchLabels, { app = "deploy" })
  local c = by_name(objs, "cron")
  t.eq(c.spec.jobTemplate.metadata.labels.team, "a")
  t.eq(c.spec.jobTemplate.spec.template.metadata.labels.team, "a")
  t.eq(by_name(objs, "pod").metadata.labels.team, "a")
  t.eq(by_name(objs, "widget").spec.template.spec.containers[1].name, "w")
  local plain = load()
  M.label(plain, { x = "1" }, { templates = false })
  t.eq(by_name(plain, "deploy").spec.template.metadata.labels, { app = "deploy" })
  t.raises("is not a string pair", M.label, plain, { x = 1 })
end)

t.test("label {selectors=true} reaches Service and PDB selectors only", function()
  local objs = M.parse [[
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {selector: {app: s}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: p}
spec: {selector: {matchLabels: {app: s}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec:
  selector: {matchLabels: {app: s}}
  template: {metadata: {labels: {app: s}}}
]]
  M.label(objs, { env = "prod" }, { selectors = true })
  t.eq(objs[1].spec.selector, { app = "s", env = "prod" })
  t.eq(objs[2].spec.selector.matchLabels, { app = "s", env = "prod" })
  t.eq(objs[3].spec.selector.matchLabels, { app = "s" })
  t.eq(objs[3].spec.template.metadata.labels, { app = "s", env = "prod" })
end)

t.test("annotate: metadata and pod templates", function()
  local objs = load()
  M.annotate(objs, { note = "x" })
  t.eq(by_name(objs, "deploy").spec.template.metadata.annotations, { image = "web", note = "x" })
  t.eq(by_name(objs, "sts").spec.template.metadata.annotations.note, "x")
  t.eq(by_name(objs, "sts").metadata.annotations.note, "x")
end)

t.test("namespace: namespaced kinds only, CRDs in the set decide", function()
  local objs = load() + M.load "manifests/crd.yaml" + M.parse [[
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cr}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
]]
  M.namespace(objs, "shop")
  t.eq(by_name(objs, "deploy").metadata.namespace, "shop")
  t.eq(by_name(objs, "widget").metadata.namespace, "shop")
  t.eq(by_name(objs, "cr").metadata.namespace, nil)
  t.eq(by_name(objs, "shop").metadata.namespace, nil)
  t.eq(by_name(objs, "widgets.example.com").metadata.namespace, nil)
end)

t.test("namespace: an unknown kind offline is an error that says so", function()
  local err = t.raises("invalid", M.namespace, load(), "shop")
  t.truthy(err.message:find("unknown kind Widget (apiVersion example.com/v1) at manifests/workloads.yaml:", 1, true), err.message)
  t.truthy(err.message:find("no CustomResourceDefinition for it in the set", 1, true))
  local objs = load()
  M.namespace(objs, "shop", { kinds = { ["example.com/Widget"] = "Cluster" } })
  t.eq(by_name(objs, "widget").metadata.namespace, nil)
end)

t.test("namespace: RoleBinding subjects follow the set's ServiceAccounts", function()
  local objs = M.parse [[
apiVersion: v1
kind: ServiceAccount
metadata: {name: runner}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: builder, namespace: old}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: old}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects:
- {kind: ServiceAccount, name: runner}
- {kind: ServiceAccount, name: runner, namespace: ""}
- {kind: ServiceAccount, name: runner, namespace: default}
- {kind: ServiceAccount, name: runner, namespace: old}
- {kind: ServiceAccount, name: builder, namespace: old}
- {kind: ServiceAccount, name: builder, namespace: other}
- {kind: ServiceAccount, name: default}
- {kind: ServiceAccount, name: outsider, namespace: old}
- {kind: User, name: runner}
- {kind: User, name: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: crb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}
subjects:
- {kind: ServiceAccount, name: builder, namespace: old}
- {kind: ServiceAccount, name: outsider}
]]
  M.namespace(objs, "shop")
  local ns = {}
  for i, s in ipairs(by_name(objs, "rb").subjects) do ns[i] = s.namespace or "-" end
  t.eq(table.concat(ns, " "), "shop shop shop old shop other shop old - -")
  local crb = by_name(objs, "crb")
  t.eq(crb.metadata.namespace, nil)
  t.eq(crb.subjects[1].namespace, "shop")
  t.eq(crb.subjects[2].namespace, nil)
end)

t.test("namespace: all or nothing when a kind is unknown", function()
  local objs = load()
  t.raises("invalid", M.namespace, objs, "shop")
  t.eq(by_name(objs, "deploy").metadata.namespace, nil)
end)

t.test("namespace can create duplicates, which are caught", function()
  local objs = M.parse [[
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: b}
]]
  t.raises("duplicate object ConfigMap x/c", M.namespace, objs, "x")
end)

t.test("files: one per object, per kind, Secrets refused", function()
  local objs = M.load { "manifests/app.yaml", vars = { NAMESPACE = "shop", IMAGE = "w", REPLICAS = 1 } }
    + M.load "manifests/crd.yaml"
  local f = M.files(objs)
  local paths = {}
  for p in pairs(f) do paths[#paths + 1] = p end
  table.sort(paths)
  t.eq(paths, { "_cluster/customresourcedefinition-widgets.example.com.yaml",
                "shop/configmap-settings.yaml", "shop/deployment-web.yaml" })
  t.eq(#M.parse(f["shop/deployment-web.yaml"]), 1)
  local k = M.files(objs + M.parse "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: z, namespace: shop}\n", { per_kind = true })
  t.eq(#M.parse(k["shop/configmap.yaml"]), 2)
  local s = objs + { apiVersion = "v1", kind = "Secret", metadata = { name = "db", namespace = "shop" } }
  t.raises("forbidden", M.files, s)
  t.truthy(M.files(s, { allow_secrets = true })["shop/secret-db.yaml"])
end)

t.test("files: the whole path is lower case, the namespace too (SPEC section 4)", function()
  local objs = M.parse "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Web, namespace: Shop}\n"
  local paths = {}
  for p in pairs(M.files(objs)) do paths[#paths + 1] = p end
  t.eq(paths, { "shop/configmap-web.yaml" })
  paths = {}
  for p in pairs(M.files(objs, { per_kind = true })) do paths[#paths + 1] = p end
  t.eq(paths, { "shop/configmap.yaml" })
end)

t.done()
