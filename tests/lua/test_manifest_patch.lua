-- manifest.patch (strategic-merge-like) and manifest.json_patch (RFC 6902,
-- RFC 6901 pointers).
local t = require "cdhost.testing"
local M = cdhost.manifest
local null = cdhost.null

local function deploy()
  return M.parse [[
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web, old: x}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: web
        image: web:1
        ports:
        - {containerPort: 80, name: http}
        env:
        - {name: A, value: "1"}
        - {name: B, value: "2"}
      - name: sidecar
        image: proxy:1
      volumes:
      - name: data
        emptyDir: {}
      tolerations:
      - {key: a, operator: Exists}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  ports:
  - {port: 80, targetPort: http}
]]
end

t.test("maps merge, null deletes, scalars replace", function()
  local objs = deploy()
  M.patch(objs, { apiVersion = "apps/v1", kind = "Deployment", metadata = { name = "web", labels = { old = null, new = "y" } },
                  spec = { replicas = 3 } })
  local d = objs[1]
  t.eq(d.spec.replicas, 3)
  t.eq(d.metadata.labels, { app = "web", new = "y" })
  t.eq(d.metadata.namespace, "shop")
end)

t.test("containers, env, ports and volumes merge by key", function()
  local objs = deploy()
  M.patch(objs, { kind = "Deployment", metadata = { name = "web" }, spec = { template = { spec = {
    containers = {
      { name = "web", image = "web:2", env = { { name = "B", value = "two" }, { name = "C", value = "3" } },
        ports = { { containerPort = 8080, name = "alt" } } },
      { name = "sidecar", ["$patch"] = "delete" },
      { name = "new", image = "new:1" },
    },
    volumes = { { name = "cache", emptyDir = cdhost.map {} } },
    tolerations = { { key = "b", operator = "Exists" } },
  } } } })
  local spec = objs[1].spec.template.spec
  t.eq(#spec.containers, 2)
  local web = spec.containers[1]
  t.eq(web.image, "web:2")
  t.eq(web.env, { { name = "A", value = "1" }, { name = "B", value = "two" }, { name = "C", value = "3" } })
  t.eq(#web.ports, 2)
  t.eq(spec.containers[2].name, "new")
  t.eq(#spec.volumes, 2)
  t.eq(spec.tolerations, { { key = "b", operator = "Exists" } }) -- no merge key: replaced
  -- Service ports merge by port
  M.patch(objs, { kind = "Service", metadata = { name = "web" }, spec = { ports = { { port = 80, name = "http" }, { port = 443 } } } })
  t.eq(objs[2].spec.ports, { { port = 80, targetPort = "http", name = "http" }, { port = 443 } })
end)

t.test("$patch: replace and delete on maps", function()
  local objs = deploy()
  M.patch(objs, { kind = "Deployment", metadata = { name = "web", labels = { ["$patch"] = "replace", only = "me" } } })
  t.eq(objs[1].metadata.labels, { only = "me" })
  M.patch(objs, { kind = "Deployment", metadata = { name = "web" }, spec = { template = { ["$patch"] = "delete" } } })
  t.eq(objs[1].spec.template, nil)
end)

t.test("target= selects several objects; a patch that targets nothing is not_found", function()
  local objs = deploy()
  M.patch(objs, { metadata = { annotations = { a = "b" } } }, { target = { namespace = "shop" } })
  t.eq(objs[1].metadata.annotations.a, "b")
  t.eq(objs[2].metadata.annotations.a, "b")
  local err = t.raises("not_found", M.patch, objs, { kind = "Deployment", metadata = { name = "api" } })
  t.eq(err.message, "the patch targets nothing: no object with kind=Deployment name=api in the set (2 objects)")
  t.raises("not_found", M.patch, objs, { apiVersion = "extensions/v1beta1", kind = "Deployment", metadata = { name = "web" } })
  t.raises("needs kind and metadata.name", M.patch, objs, { spec = {} })
end)

t.test("json_patch: all six operations", function()
  local d = deploy()[1]
  M.json_patch(d, {
    { op = "test", path = "/spec/replicas", value = 1 },
    { op = "replace", path = "/spec/replicas", value = 4 },
    { op = "add", path = "/metadata/labels/new", value = "n" },
    { op = "remove", path = "/metadata/labels/old" },
    { op = "add", path = "/spec/template/spec/containers/0/env/-", value = { name = "Z", value = "z" } },
    { op = "add", path = "/spec/template/spec/containers/0/env/0", value = { name = "FIRST", value = "f" } },
    { op = "copy", from = "/spec/template/spec/containers/0/image", path = "/metadata/annotations" },
    { op = "move", from = "/spec/template/spec/tolerations", path = "/spec/template/spec/moved" },
  })
  t.eq(d.spec.replicas, 4)
  t.eq(d.metadata.labels, { app = "web", new = "n" })
  local env = d.spec.template.spec.containers[1].env
  t.eq(#env, 4)
  t.eq(env[1].name, "FIRST")
  t.eq(env[4], { name = "Z", value = "z" })
  t.eq(d.metadata.annotations, "web:1")
  t.eq(d.spec.template.spec.tolerations, nil)
  t.eq(d.spec.template.spec.moved[1].key, "a")
end)

t.test("json_patch: RFC 6901 escapes", function()
  local d = deploy()[1]
  M.json_patch(d, {
    { op = "add", path = "/metadata/labels/app.kubernetes.io~1name", value = "web" },
    { op = "add", path = "/metadata/labels/a~0b", value = "tilde" },
  })
  t.eq(d.metadata.labels["app.kubernetes.io/name"], "web")
  t.eq(d.metadata.labels["a~b"], "tilde")
  t.raises("bad escape in pointer", M.json_patch, d, { { op = "remove", path = "/metadata/a~2" } })
  t.raises("is not a JSON pointer", M.json_patch, d, { { op = "remove", path = "metadata" } })
end)

t.test("json_patch: failures name the operation and change nothing", function()
  local d = deploy()[1]
  local err = t.raises("invalid", M.json_patch, d, {
    { op = "replace", path = "/spec/replicas", value = 9 },
    { op = "test", path = "/metadata/name", value = "api" },
  })
  t.eq(err.message, "Deployment shop/web: operation 2 (test /metadata/name): test failed")
  t.eq(d.spec.replicas, 1)
  err = t.raises("invalid", M.json_patch, d, { { op = "remove", path = "/spec/nope/x" } })
  t.eq(err.message, "Deployment shop/web: operation 1 (remove /spec/nope/x): path not found")
  t.raises("array index 5 out of range", M.json_patch, d, { { op = "add", path = "/spec/template/spec/containers/5", value = {} } })
  t.raises("not an array index: 01", M.json_patch, d, { { op = "remove", path = "/spec/template/spec/containers/01" } })
  t.raises("cannot move a value into itself", M.json_patch, d, { { op = "move", from = "/spec", path = "/spec/x" } })
  t.raises("unknown op frob", M.json_patch, d, { { op = "frob", path = "/a" } })
  t.raises("no value", M.json_patch, d, { { op = "add", path = "/a" } })
end)

t.test("json_patch on a list needs a target", function()
  local objs = deploy()
  M.json_patch(objs, { { op = "add", path = "/metadata/labels", value = { x = "y" } } }, { target = { kind = "Service" } })
  t.eq(objs[2].metadata.labels.x, "y")
  t.raises("give one object", M.json_patch, objs, {})
  t.raises("not_found", M.json_patch, objs, {}, { target = { kind = "Pod" } })
end)

t.done()
