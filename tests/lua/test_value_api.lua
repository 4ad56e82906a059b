-- cdhost.json, cdhost.yaml, cdhost.map/list/null as recipes see them, inside
-- the real sandbox (SPEC section 5; the C side is tests/unit/test_value.c).
local t = require "cdhost.testing"
local Y, J = cdhost.yaml, cdhost.json
local map, list, null = cdhost.map, cdhost.list, cdhost.null

-- deep equality that also compares the map/list markers
local function same(a, b, path)
  path = path or "value"
  local ok, why = t.deep_eq(a, b, path)
  if not ok then error(why, 2) end
  if type(a) == "table" then
    t.eq(getmetatable(a), getmetatable(b), path .. " marker")
    for k, v in pairs(a) do same(v, b[k], path .. "." .. tostring(k)) end
  end
end

t.test("markers are protected metatables", function()
  local m = map { a = 1 }
  t.eq(getmetatable(m), "cdhost.map")
  t.eq(getmetatable(list()), "cdhost.list")
  t.raises("cannot change a protected metatable", setmetatable, m, {})
  local plain = {}
  t.eq(list(plain), plain)
  t.eq(getmetatable(plain), "cdhost.list")
  t.raises("table already has a metatable", map, setmetatable({}, {}))
  t.eq(type(null), "userdata")
end)

t.test("yaml.decode returns the list of non-empty documents", function()
  local docs = Y.decode("---\na: 1\n---\n# nothing\n---\n- x\n", "two.yaml")
  t.eq(#docs, 2)
  t.eq(getmetatable(docs), "cdhost.list")
  t.eq(docs[1].a, 1)
  t.eq(docs[2][1], "x")
end)

t.test("scalars are read as kubectl reads them", function()
  local d = Y.decode([[
mode: 0644
hex: 0x1F
on: yes
flag: off
none: ~
ratio: 1.0
text: "0644"
]])[1]
  t.eq(d.mode, 420)
  t.eq(d.hex, 31)
  t.eq(d["true"], true) -- the key "on" is the boolean true, as in kubectl
  t.eq(d.flag, false)
  t.eq(d.none, null)
  t.eq(math.type(d.ratio), "float")
  t.eq(d.text, "0644")
end)

t.test("a manifest round-trips through YAML and JSON", function()
  local src = [[
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  labels: {app: web}
data:
  enabled: "yes"
  version: "1.10"
  script: |
    #!/bin/sh
    echo hi
  empty: ""
]]
  local doc = Y.decode(src, "cm.yaml")[1]
  local out = Y.encode(doc)
  t.eq(out, [[
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
  labels:
    app: web
data:
  enabled: "yes"
  version: "1.10"
  script: |
    #!/bin/sh
    echo hi
  empty: ""
]])
  same(Y.decode(out)[1], doc)
  same(J.decode(J.encode(doc)), doc)
end)

t.test("edited manifests keep loaded keys first, new ones in a fixed order", function()
  local d = Y.decode("metadata:\n  name: x\nzeta: 1\n")[1]
  d.spec = map { replicas = 2 }
  d.kind = "Deployment"
  d.apiVersion = "apps/v1"
  d.aaa = list()
  t.eq(Y.encode(d), [[
metadata:
  name: x
zeta: 1
apiVersion: apps/v1
kind: Deployment
spec:
  replicas: 2
aaa: []
]])
  t.eq(J.encode(d, { sort_keys = true }),
    '{"aaa":[],"apiVersion":"apps/v1","kind":"Deployment",'
    .. '"metadata":{"name":"x"},"spec":{"replicas":2},"zeta":1}')
end)

t.test("json options and multi-document yaml", function()
  t.eq(J.encode(map { a = list { 1, null } }, { pretty = true }),
    '{\n  "a": [\n    1,\n    null\n  ]\n}')
  t.eq(Y.encode(list { map { a = 1 }, map { b = 2 } }, { multi = true }),
    "a: 1\n---\nb: 2\n")
  t.raises("unknown option 'indent'", J.encode, 1, { indent = 2 })
  t.raises("bad argument #1", J.decode)
end)

t.test("decode errors are catchable invalid errors naming file:line:col", function()
  local e = t.raises("invalid", Y.decode, "a: 1\na: 2\n", "k8s/app.yaml")
  t.eq(e.op, "yaml.decode")
  t.eq(e.message, 'k8s/app.yaml:2:1: duplicate key "a"')
  t.truthy(tostring(e):find("test_value_api.lua:%d+:"), "where: " .. tostring(e))
  e = t.raises("invalid", Y.decode, "x: 9223372036854775808\n", "big.yaml")
  t.eq(e.message, "big.yaml:1:4: integer 9223372036854775808 is out of range (int64)")
  e = t.raises("invalid", J.decode, '{"a": [1,}', "r.json")
  t.eq(e.op, "json.decode")
  t.eq(e.message, "r.json:1:10: unexpected token near '}'")
end)

t.test("encode errors name the path of the offending value", function()
  local e = t.raises("invalid", Y.encode,
    { spec = { containers = { { name = "a" }, { ports = { 80, nil, 82 } } } } })
  t.eq(e.op, "yaml.encode")
  t.eq(e.message, "spec.containers[2].ports: list has holes (items 1..3, 2 present);"
    .. " use cdhost.null for null items")
  local cyclic = { a = {} }
  cyclic.a.back = cyclic
  e = t.raises("invalid", J.encode, cyclic)
  t.eq(e.message, "a.back: cycle: the table contains itself")
  e = t.raises("invalid", J.encode, { f = print })
  t.eq(e.message, "f: cannot encode a function")
end)

t.test("alias bombs and deep nesting are refused, not expanded", function()
  local lines, prev = { 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]' }, "a"
  for _, n in ipairs { "b", "c", "d", "e", "f", "g", "h", "i" } do
    lines[#lines + 1] = ("%s: &%s [%s*%s]"):format(n, n, ("*" .. prev .. ","):rep(8), prev)
    prev = n
  end
  local e = t.raises("invalid", Y.decode, table.concat(lines, "\n"), "bomb.yaml")
  t.truthy(e.message:find("expands past 100000 nodes", 1, true), e.message)
  e = t.raises("invalid", J.decode, ("["):rep(500) .. ("]"):rep(500), "deep.json")
  t.eq(e.message, "deep.json:1:201: nesting deeper than 200 levels")
  -- a raw NUL byte is not JSON (jansson alone would read [5,1])
  e = t.raises("invalid", J.decode, "[5\0,1]", "nul.json")
  t.eq(e.message, "nul.json:1:3: a NUL byte")
  t.eq(J.decode('["a\\u0000b"]')[1], "a\0b")
end)

t.done()
