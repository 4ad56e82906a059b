-- cdhost.manifest.load/parse/yaml/json, the manifest list type, select and
-- duplicate detection (SPEC sections 4-5; fixtures in tests/lua/manifests/,
-- inside this test's project root).
local t = require "cdhost.testing"
local M = cdhost.manifest
local VARS = { NAMESPACE = "shop", IMAGE = "web:1", REPLICAS = 3 }

t.test("load substitutes ${NAME} and keeps $${x} literal", function()
  local objs = M.load { "manifests/app.yaml", vars = VARS }
  t.eq(#objs, 2)
  t.eq(getmetatable(objs), "cdhost.manifests")
  t.eq(objs[1].metadata.namespace, "shop")
  t.eq(objs[1].data.script, "echo ${KEEP}")
  t.eq(objs[1].data.replicas, "3")
  t.eq(objs[2].spec.template.spec.containers[1].image, "web:1")
end)

t.test("load without vars reads the text as it is", function()
  local objs = M.load "manifests/crd.yaml"
  t.eq(objs[1].kind, "CustomResourceDefinition")
end)

t.test("an unknown variable names file and line", function()
  local err = t.raises("invalid", M.load, { "manifests/bad/unknownvar.yaml", vars = { KNOWN = "k" } })
  t.eq(err.message, "manifests/bad/unknownvar.yaml:7: unknown variable ${MISSING} (not in vars; write $${ for a literal ${)")
  err = t.raises("invalid", M.load, { "manifests/app.yaml", vars = { NAMESPACE = "x" } })
  t.truthy(err.message:find("manifests/app.yaml:6: unknown variable ${NAMESPACE}", 1, true) == nil)
  t.truthy(err.message:find("manifests/app.yaml:9: unknown variable ${REPLICAS}", 1, true), err.message)
end)

t.test("malformed references and bad vars are errors", function()
  local err = t.raises("invalid", M.load, { "manifests/bad/malformedvar.yaml", vars = {} })
  t.eq(err.message, "manifests/bad/malformedvar.yaml:6: malformed variable reference '${a-' (use ${NAME}; write $${ for a literal ${)")
  t.raises("vars.X is a table", M.load, { "manifests/app.yaml", vars = { X = {} } })
  t.raises("unknown option 'var'", M.load, { "manifests/app.yaml", var = {} })
  t.raises("no glob given", M.load, {})
end)

t.test("globs: sorted, each file once, a glob matching nothing is not_found", function()
  local objs = M.load { "manifests/*.json", "manifests/l*.json" }
  t.eq(#objs, 2)
  t.eq(objs[1].metadata.name, "j1")
  local err = t.raises("not_found", M.load, "manifests/nothing-*.yaml")
  t.truthy(err.message:find("no file matches 'manifests/nothing-*.yaml'", 1, true))
end)

t.test("JSON files and v1 Lists load as their items", function()
  local objs = M.load "manifests/list.json"
  t.eq(#objs, 2)
  t.eq(objs[2].metadata.name, "j2")
  t.eq(objs[1].data.n, "1")
end)

t.test("malformed YAML reports line and column", function()
  local err = t.raises("invalid", M.load, "manifests/bad/malformed.yaml")
  t.truthy(err.message:match("^manifests/bad/malformed%.yaml:%d+:%d+: "), err.message)
end)

t.test("a document without kind is an error naming file, line and document", function()
  local err = t.raises("invalid", M.load, "manifests/bad/nokind.yaml")
  t.eq(err.message, "manifests/bad/nokind.yaml:6: document 2 has no kind")
  err = t.raises("invalid", M.parse, "kind: ConfigMap\nmetadata: {name: a}\n", "x.yaml")
  t.eq(err.message, "x.yaml:1: document 1 has no apiVersion")
  err = t.raises("invalid", M.parse, "apiVersion: v1\nkind: ConfigMap\n", "y.yaml")
  t.eq(err.message, "y.yaml:1: document 1 has no metadata.name")
  t.raises("document 1 is a ", M.parse, "- a\n- b\n", "z.yaml")
end)

t.test("parse's errors are labelled manifest.parse, load's manifest.load", function()
  local err = t.raises("invalid", M.parse, "kind: ConfigMap\nmetadata: {name: a}\n", "x.yaml")
  t.eq(err.op, "manifest.parse")
  err = t.raises("invalid", M.parse, "a: [\n", "bad.yaml")
  t.eq(err.op, "manifest.parse")
  err = t.raises("invalid", M.parse, "[1, 2]")
  t.eq(err.op, "manifest.parse")
  err = t.raises("invalid", M.load, "manifests/bad/nokind.yaml")
  t.eq(err.op, "manifest.load")
  err = t.raises("invalid", M.load, "manifests/bad/malformed.yaml")
  t.eq(err.op, "manifest.load")
end)

t.test("duplicates name both sources", function()
  local err = t.raises("invalid", M.load, "manifests/bad/dup*.yaml")
  t.eq(err.message, "duplicate object ConfigMap x/same: manifests/bad/dup1.yaml:1 (document 1) and manifests/bad/dup2.yaml:3 (document 1)")
  local a = M.parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "a.yaml")
  err = t.raises("invalid", function() return a + { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "c" } } end)
  t.eq(err.message, "duplicate object ConfigMap c: a.yaml:1 (document 1) and made by the recipe")
  -- same name, other group or namespace: not a duplicate
  local b = a + { apiVersion = "example.com/v1", kind = "ConfigMap", metadata = { name = "c" } }
    + { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "c", namespace = "n" } }
  t.eq(#b, 3)
end)

t.test("+ concatenates in order into a new list", function()
  local a = M.load { "manifests/app.yaml", vars = VARS }
  local b = M.load "manifests/list.json"
  local c = a + b
  t.eq(#c, 4)
  t.eq(#a, 2)
  t.eq(c[1], a[1])
  t.eq(c[4].metadata.name, "j2")
  t.eq(getmetatable(c), "cdhost.manifests")
  local d = { apiVersion = "v1", kind = "Secret", metadata = { name = "s" } } + a
  t.eq(d[1].kind, "Secret")
  t.raises("item 1 is not a Kubernetes object", function() return a + { 1 } end)
end)

t.test("select by kind, name, namespace, labels; stable order", function()
  local objs = M.load "manifests/workloads.yaml"
  local sel = M.select(objs, { kind = { "Job", "Pod", "CronJob" } })
  t.eq(#sel, 3)
  t.eq(sel[1].kind, "Pod")
  t.eq(sel[3].kind, "CronJob")
  t.eq(#objs:select { name = "deploy" }, 1)
  t.eq(#objs:select { group = "apps" }, 4)
  local app = M.load { "manifests/app.yaml", vars = VARS }
  t.eq(#app:select { namespace = "shop", kind = "Deployment" }, 1)
  M.label(app, { tier = "front" })
  t.eq(#app:select { labels = { tier = "front" } }, 2)
  t.eq(#app:select { labels = { tier = "back" } }, 0)
  t.raises("unknown selector 'nam'", M.select, app, { nam = "x" })
end)

t.test("yaml and json print what was loaded", function()
  local objs = M.load { "manifests/app.yaml", vars = VARS }
  local text = M.yaml(objs)
  t.truthy(text:find("^apiVersion: v1\nkind: ConfigMap\n"))
  t.truthy(text:find("\n---\napiVersion: apps/v1\nkind: Deployment\n", 1, true))
  local back = M.parse(text)
  t.eq(#back, 2)
  t.eq(back[2].spec.template.spec.containers[1].image, "web:1")
  t.eq(M.yaml(objs[1]), cdhost.yaml.encode(objs[1]))
  t.eq(M.yaml(M.select(objs, { kind = "Nope" })), "")
  local j = M.json(objs[1])
  t.truthy(j:find('^{"apiVersion":"v1","kind":"ConfigMap"'), j)
  local l = cdhost.json.decode(M.json(objs))
  t.eq(l.kind, "List")
  t.eq(#l.items, 2)
  t.eq(#M.parse(M.json(objs)), 2)
end)

t.test("require 'cdhost.manifest' is the module", function()
  t.eq(require("cdhost.manifest").load, M.load)
end)

t.done()
