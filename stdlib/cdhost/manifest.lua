-- cdhost.manifest, cdhost.helm, cdhost.kustomize (SPEC sections 4-5).
--
-- Run once per state by the host (lua/l_manifest.c) with its private
-- primitives C and the cdhost table under construction; fills
-- cdhost.manifest, cdhost.helm and cdhost.kustomize. `require
-- "cdhost.manifest"` from a recipe returns cdhost.manifest.
-- Design notes: docs/internals/manifest.md.
local C, host = ...
if type(C) ~= "table" then return cdhost.manifest end

local M, H, K = {}, {}, {}
local map, list, null = host.map, host.list, host.null
local yaml, json = host.yaml, host.json
local type, pairs, ipairs, next = type, pairs, ipairs, next
local getmetatable, setmetatable = getmetatable, setmetatable
local fmt, concat, sort = string.format, table.concat, table.sort

-- Where helm renders for when cdhost cannot ask the cluster (helm 4's own
-- default, passed explicitly so output does not change with helm's).
local DEFAULT_KUBE_VERSION = "v1.35.0"

local function fail(code, op, msg, ...)
  C.raise(code, op, select("#", ...) > 0 and fmt(msg, ...) or msg)
end

local settings
local function setting(name)
  settings = settings or C.settings()
  return settings[name]
end

---------------------------------------------------------------------------
-- values
---------------------------------------------------------------------------

local function is_list(v)
  local mt = getmetatable(v)
  if mt == "cdhost.list" then return true end
  if mt ~= nil then return false end
  return v[1] ~= nil
end

local function is_map(v)
  return type(v) == "table" and not is_list(v) and getmetatable(v) ~= "cdhost.manifests"
end

-- A copy that keeps the map/list markers (and drops "$patch" directives
-- when `strip` is set).
local function copy(v, strip)
  if type(v) ~= "table" then return v end
  local mt, c = getmetatable(v), {}
  for k, x in pairs(v) do
    if not (strip and k == "$patch") then c[k] = copy(x, strip) end
  end
  if mt == "cdhost.list" then list(c) elseif mt == "cdhost.map" then map(c) end
  return c
end

local function deep_eq(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then
    return a == b and math.type(a) == math.type(b)
  end
  for k, v in pairs(a) do if not deep_eq(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- t[k], created as a map when absent.
local function sub(t, k)
  local v = t[k]
  if type(v) ~= "table" then v = map {}; t[k] = v end
  return v
end

local function dig(t, ...)
  for i = 1, select("#", ...) do
    if type(t) ~= "table" then return nil end
    t = t[select(i, ...)]
  end
  return t
end

---------------------------------------------------------------------------
-- objects and the manifest list type
---------------------------------------------------------------------------

local List = {}
local LMT = { __index = List, __name = "cdhost.manifests",
              __metatable = "cdhost.manifests" }

local function wrap(t) return setmetatable(t, LMT) end

local function is_object(x)
  return type(x) == "table" and type(rawget(x, "kind")) == "string"
end

-- The objects of x: a manifest list, a list of objects, or one object.
local function items_of(x, op)
  if is_object(x) then return { x } end
  if type(x) ~= "table" then
    fail("invalid", op, "expected objects (a manifest list, a list of objects or one object), got a %s", type(x))
  end
  for i, o in ipairs(x) do
    if not is_object(o) then
      fail("invalid", op, "item %d is not a Kubernetes object (a table with a kind)", i)
    end
  end
  return x
end

local function group_of(o)
  local api = o.apiVersion
  return type(api) == "string" and api:match("^(.*)/[^/]*$") or ""
end

local function namespace_of(o)
  local md = o.metadata
  return type(md) == "table" and type(md.namespace) == "string" and md.namespace or nil
end

local function name_of(o)
  local md = o.metadata
  return type(md) == "table" and (md.name or md.generateName) or "?"
end

-- "Deployment shop/web" for messages.
local function describe(o)
  local ns = namespace_of(o)
  return fmt("%s %s%s", o.kind, ns and ns .. "/" or "", name_of(o))
end

local function source(o)
  return C.where(o) or "made by the recipe"
end

local function check_duplicates(objs, op)
  local seen = {}
  for _, o in ipairs(objs) do
    local md = o.metadata
    if type(md) == "table" and md.name then
      local id = fmt("%s\0%s\0%s\0%s", group_of(o), o.kind, namespace_of(o) or "", md.name)
      local first = seen[id]
      if first then
        fail("invalid", op, "duplicate object %s: %s and %s", describe(o),
             source(first), source(o))
      end
      seen[id] = o
    end
  end
  return objs
end

local function append(out, x, op)
  for _, o in ipairs(items_of(x, op)) do out[#out + 1] = o end
end

LMT.__add = function(a, b)
  local out = wrap({})
  append(out, a, "manifest +")
  append(out, b, "manifest +")
  return check_duplicates(out, "manifest +")
end

---------------------------------------------------------------------------
-- loading and printing
---------------------------------------------------------------------------

local function var_table(vars, op)
  if vars == nil then return nil end
  if type(vars) ~= "table" then fail("invalid", op, "vars must be a table") end
  local out = {}
  for k, v in pairs(vars) do
    if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then
      fail("invalid", op, "vars: %s is not a variable name", tostring(k))
    end
    local t = type(v)
    if t ~= "string" and t ~= "number" and t ~= "boolean" then
      fail("invalid", op, "vars.%s is a %s (strings, numbers and booleans only)", k, t)
    end
    out[k] = tostring(v)
  end
  return out
end

--- Loads manifests: { "glob", ..., vars = {NAME = value} } or one glob.
function M.load(spec)
  local op = "manifest.load"
  if type(spec) == "string" then spec = { spec } end
  if type(spec) ~= "table" then fail("invalid", op, "expected a glob or a table of globs") end
  local globs = {}
  for k, v in pairs(spec) do
    if k ~= "vars" and (math.type(k) ~= "integer" or type(v) ~= "string") then
      fail("invalid", op, "unknown option '%s' (globs and vars only)", tostring(k))
    end
  end
  for i, g in ipairs(spec) do globs[i] = g end
  if #globs == 0 then fail("invalid", op, "no glob given") end
  return check_duplicates(wrap(C.load(globs, var_table(spec.vars, op))), op)
end

--- Parses YAML (multi-document) or JSON text into a manifest list.
function M.parse(text, name)
  local op = "manifest.parse"
  if type(text) ~= "string" then fail("invalid", op, "expected a string") end
  local objs = C.parse(text, name or "<string>", text:match("^%s*[{%[]") ~= nil, nil, op)
  return check_duplicates(wrap(objs), op)
end

--- Multi-document YAML of a list of objects (or one object).
function M.yaml(objs)
  local items = items_of(objs, "manifest.yaml")
  if is_object(objs) then return yaml.encode(objs) end
  if #items == 0 then return "" end
  return yaml.encode(items, { multi = true })
end

--- JSON of one object; a list becomes a v1 List.
function M.json(obj, opts)
  local pretty = type(opts) == "table" and opts.pretty or nil
  if is_object(obj) then return json.encode(obj, { pretty = pretty }) end
  local items = list {}
  for i, o in ipairs(items_of(obj, "manifest.json")) do items[i] = o end
  local l = map {}
  l.apiVersion, l.kind, l.items = "v1", "List", items
  return json.encode(l, { pretty = pretty })
end

---------------------------------------------------------------------------
-- select
---------------------------------------------------------------------------

local SELECT_KEYS = { kind = true, name = true, namespace = true, labels = true,
                      group = true, apiVersion = true }

local function one_of(want, v)
  if want == nil then return true end
  if type(want) == "table" then
    for _, w in ipairs(want) do if w == v then return true end end
    return false
  end
  return want == v
end

local function labels_match(want, o)
  if want == nil then return true end
  local have = dig(o, "metadata", "labels")
  for k, v in pairs(want) do
    if type(have) ~= "table" or have[k] ~= v then return false end
  end
  return true
end

local function check_query(q, op)
  if type(q) ~= "table" then fail("invalid", op, "expected a query table {kind=, name=, namespace=, labels=}") end
  for k in pairs(q) do
    if not SELECT_KEYS[k] then fail("invalid", op, "unknown selector '%s'", tostring(k)) end
  end
end

local function matches(q, o)
  return one_of(q.kind, o.kind) and one_of(q.name, name_of(o)) and
    one_of(q.namespace, namespace_of(o)) and one_of(q.group, group_of(o)) and
    one_of(q.apiVersion, o.apiVersion) and labels_match(q.labels, o)
end

--- The objects matching every given field, in order.
function M.select(objs, q)
  check_query(q, "manifest.select")
  local out = wrap({})
  for _, o in ipairs(items_of(objs, "manifest.select")) do
    if matches(q, o) then out[#out + 1] = o end
  end
  return out
end
List.select = M.select

---------------------------------------------------------------------------
-- set_images (Skaffold's coverage)
---------------------------------------------------------------------------

-- Pod specs of the workload kinds, by "group/Kind".
local TEMPLATE = { "spec", "template", "spec" }
local POD_SPECS = {
  ["/Pod"] = { "spec" },
  ["apps/Deployment"] = TEMPLATE, ["apps/StatefulSet"] = TEMPLATE,
  ["apps/DaemonSet"] = TEMPLATE, ["apps/ReplicaSet"] = TEMPLATE,
  ["extensions/Deployment"] = TEMPLATE, ["extensions/DaemonSet"] = TEMPLATE,
  ["extensions/ReplicaSet"] = TEMPLATE,
  ["batch/Job"] = TEMPLATE,
  ["batch/CronJob"] = { "spec", "jobTemplate", "spec", "template", "spec" },
}
local CONTAINER_LISTS = { "containers", "initContainers", "ephemeralContainers" }

-- repository, tag, digest of an image reference.
local function parse_ref(s)
  local name, digest = s:match("^([^@]*)@(.+)$")
  name = name or s
  local repo, tag = name:match("^(.*):([%w_][%w_.%-]*)$")
  return repo or name, tag, digest
end

-- Docker Hub spellings of one repository compare equal.
local function normalize(repo)
  repo = repo:gsub("^index%.docker%.io/", "docker.io/")
  if repo:sub(1, 10) == "docker.io/" then repo = repo:sub(11) end
  if repo:sub(1, 8) == "library/" and not repo:find("/", 9, true) then repo = repo:sub(9) end
  return repo
end

local function artifact_ref(a)
  if type(a.ref) == "string" then return a.ref end
  local ref = a.name
  if a.tag then ref = ref .. ":" .. a.tag end
  if a.digest then ref = ref .. "@" .. a.digest end
  return ref
end

local function artifact_table(artifacts, op)
  if type(artifacts) ~= "table" then fail("invalid", op, "artifacts must be a list of artifacts") end
  if type(artifacts.name) == "string" then artifacts = { artifacts } end
  local by = {}
  for i, a in ipairs(artifacts) do
    if type(a) ~= "table" or type(a.name) ~= "string" then
      fail("invalid", op, "artifact %d has no name", i)
    end
    local ref = artifact_ref(a)
    by[normalize(parse_ref(a.name))] = ref
    if type(a.image) == "string" then by[normalize(parse_ref(a.image))] = ref end
  end
  return by
end

-- The replacement for an image value, or nil.
local function replacement(v, by, dr)
  if type(v) ~= "string" then return nil end
  local repo, _, digest = parse_ref(v)
  if digest then return nil end
  repo = normalize(repo)
  -- an artifact named after --default-repo without `image` (core/tag.c's
  -- rewrite, the one image.build applies)
  return by[repo] or (dr and by[normalize(C.default_repo(repo, dr))]) or nil
end

local function rewrite_pod_spec(spec, by, dr, n)
  if type(spec) ~= "table" then return n end
  for _, field in ipairs(CONTAINER_LISTS) do
    local cs = spec[field]
    if type(cs) == "table" then
      for _, c in ipairs(cs) do
        local r = type(c) == "table" and replacement(c.image, by, dr)
        if r then c.image = r; n = n + 1 end
      end
    end
  end
  return n
end

-- "spec.containers[*].image" -> { "spec", "containers", "*", "image" }
local function split_path(p, op)
  local segs = {}
  for seg in p:gmatch("[^.]+") do
    local base, star = seg:match("^(.-)(%[%*%])$")
    if base then
      if base ~= "" then segs[#segs + 1] = base end
      segs[#segs + 1] = "*"
    else
      segs[#segs + 1] = seg
    end
  end
  if #segs == 0 then fail("invalid", op, "empty rule path") end
  return segs
end

-- Calls fn(parent, key) for every place the path leads to.
local function visit(node, segs, i, fn)
  if type(node) ~= "table" then return end
  local s = segs[i]
  if s == "*" then
    for k in pairs(node) do
      if i == #segs then fn(node, k) else visit(node[k], segs, i + 1, fn) end
    end
  elseif i == #segs then
    if node[s] ~= nil then fn(node, s) end
  else
    visit(node[s], segs, i + 1, fn)
  end
end

local function check_rules(rules, op)
  if rules == nil then return {} end
  if type(rules) ~= "table" then fail("invalid", op, "rules must be a list") end
  local out = {}
  for i, r in ipairs(rules) do
    if type(r) ~= "table" or type(r.kind) ~= "string" or type(r.paths) ~= "table" then
      fail("invalid", op, "rule %d needs kind= and paths={...}", i)
    end
    local paths = {}
    for j, p in ipairs(r.paths) do paths[j] = split_path(p, op) end
    out[i] = { kind = r.kind, group = r.group, paths = paths }
  end
  return out
end

local function apply_rules(o, rules, by, dr, n)
  for _, r in ipairs(rules) do
    if r.kind == o.kind and (r.group == nil or r.group == group_of(o)) then
      for _, segs in ipairs(r.paths) do
        visit(o, segs, 1, function(parent, k)
          local v = parent[k]
          if type(v) == "table" then n = rewrite_pod_spec(v, by, dr, n); return end
          local rep = replacement(v, by, dr)
          if rep then parent[k] = rep; n = n + 1 end
        end)
      end
    end
  end
  return n
end

--- Rewrites image references to built artifacts (Skaffold's rules).
--- Returns objs and the number of fields rewritten.
function M.set_images(objs, artifacts, opts)
  local op = "manifest.set_images"
  opts = opts or {}
  local items = items_of(objs, op)
  local by = artifact_table(artifacts, op)
  local rules = check_rules(opts.rules, op)
  local dr = opts.default_repo or setting("default_repo")
  local n = 0
  for _, o in ipairs(items) do
    local path = POD_SPECS[group_of(o) .. "/" .. o.kind]
    if path then n = rewrite_pod_spec(dig(o, table.unpack(path)), by, dr, n) end
    if rules[1] then n = apply_rules(o, rules, by, dr, n) end
  end
  return objs, n
end

---------------------------------------------------------------------------
-- labels and annotations (kustomize's field specs)
---------------------------------------------------------------------------

local WORKLOADS = { ReplicationController = true, Deployment = true, ReplicaSet = true,
                    DaemonSet = true, StatefulSet = true, Job = true }

-- The metadata tables of an object's pod templates (created if absent).
local function template_metas(o, field, out)
  local spec = o.spec
  if type(spec) ~= "table" then return out end
  if WORKLOADS[o.kind] then
    out[#out + 1] = sub(sub(sub(spec, "template"), "metadata"), field)
  elseif o.kind == "CronJob" then
    local jt = sub(spec, "jobTemplate")
    out[#out + 1] = sub(sub(jt, "metadata"), field)
    out[#out + 1] = sub(sub(sub(sub(jt, "spec"), "template"), "metadata"), field)
  end
  return out
end

-- Selectors that may change safely: Services and PodDisruptionBudgets
-- (workload selectors are immutable once created, so never touched).
local function selector_maps(o)
  if o.kind == "Service" and type(o.spec) == "table" then return { sub(o.spec, "selector") } end
  if o.kind == "PodDisruptionBudget" and type(o.spec) == "table" then
    return { sub(sub(o.spec, "selector"), "matchLabels") }
  end
  return {}
end

local function check_strings(t, what, op)
  if type(t) ~= "table" then fail("invalid", op, "%s must be a table of strings", what) end
  local keys = {}
  for k, v in pairs(t) do
    if type(k) ~= "string" or type(v) ~= "string" then
      fail("invalid", op, "%s: %s = %s is not a string pair", what, tostring(k), tostring(v))
    end
    keys[#keys + 1] = k
  end
  sort(keys)
  return keys
end

local function put_all(dst, src, keys)
  for _, k in ipairs(keys) do dst[k] = src[k] end
end

local function meta_merge(objs, kv, opts, field, op)
  opts = opts or {}
  local keys = check_strings(kv, field, op)
  for _, o in ipairs(items_of(objs, op)) do
    put_all(sub(sub(o, "metadata"), field), kv, keys)
    if opts.templates ~= false then
      for _, m in ipairs(template_metas(o, field, {})) do put_all(m, kv, keys) end
    end
    if field == "labels" and opts.selectors then
      for _, m in ipairs(selector_maps(o)) do put_all(m, kv, keys) end
    end
  end
  return objs
end

--- Adds labels to every object and its pod templates ({templates=false}
--- to skip those; {selectors=true} also for Service/PDB selectors).
function M.label(objs, labels, opts)
  return meta_merge(objs, labels, opts, "labels", "manifest.label")
end

--- Adds annotations to every object and its pod templates.
function M.annotate(objs, annotations, opts)
  return meta_merge(objs, annotations, opts, "annotations", "manifest.annotate")
end

---------------------------------------------------------------------------
-- namespace
---------------------------------------------------------------------------

local function crd_scopes(items)
  local s = {}
  for _, o in ipairs(items) do
    if o.kind == "CustomResourceDefinition" and type(o.spec) == "table" then
      local g, k = o.spec.group, dig(o.spec, "names", "kind")
      if type(g) == "string" and type(k) == "string" then
        s[g .. "/" .. k] = o.spec.scope ~= "Cluster"
      end
    end
  end
  return s
end

local function scope_of(o, crds, user, op)
  local key = group_of(o) .. "/" .. o.kind
  local s = user[key]
  if s == nil then s = C.scopes[key] end
  if s == nil then s = crds[key] end
  if s ~= nil then return s end
  -- Discovery (lua/l_kube_cluster.c): true/false, or nil and why not.
  local why = "cdhost cannot ask the cluster (--offline)"
  if not setting("offline") then
    local answer, err = C.discover(o.apiVersion, o.kind)
    if answer ~= nil then return answer end
    why = "discovery could not say: " .. tostring(err)
  end
  fail("invalid", op, "unknown kind %s (apiVersion %s) at %s: not a built-in kind and no CustomResourceDefinition for it in the set, and %s; declare it with {kinds = {[\"%s\"] = \"Namespaced\"|\"Cluster\"}}",
       o.kind, tostring(o.apiVersion), source(o), why, key)
end

local function user_scopes(kinds, op)
  local s = {}
  for k, v in pairs(kinds or {}) do
    if v ~= "Namespaced" and v ~= "Cluster" then
      fail("invalid", op, "kinds[%q] must be \"Namespaced\" or \"Cluster\"", tostring(k))
    end
    s[k] = v == "Namespaced"
  end
  return s
end

-- The ServiceAccounts of the set, name -> { [namespace before] = true }
-- ("default" for one without a namespace, as the API server reads it).
local function service_accounts(items)
  local sas = {}
  for _, o in ipairs(items) do
    if o.kind == "ServiceAccount" and group_of(o) == "" then
      local name = name_of(o)
      sas[name] = sas[name] or {}
      sas[name][namespace_of(o) or "default"] = true
    end
  end
  return sas
end

-- kustomize's rule for (Cluster)RoleBinding subjects: a ServiceAccount
-- subject named "default", or naming a ServiceAccount of the set (with no
-- namespace, or that ServiceAccount's namespace), follows it to ns.
local function move_subjects(o, sas, ns)
  if (o.kind ~= "RoleBinding" and o.kind ~= "ClusterRoleBinding")
    or group_of(o) ~= "rbac.authorization.k8s.io" or type(o.subjects) ~= "table" then
    return
  end
  for _, s in ipairs(o.subjects) do
    if type(s) == "table" and s.kind == "ServiceAccount" and type(s.name) == "string" then
      local known = sas[s.name]
      if s.name == "default" or (known and (s.namespace == nil or s.namespace == "" or known[s.namespace])) then
        s.namespace = ns
      end
    end
  end
end

--- Sets metadata.namespace on every namespaced object, and moves the
--- RoleBinding/ClusterRoleBinding subjects of the set's ServiceAccounts.
function M.namespace(objs, ns, opts)
  local op = "manifest.namespace"
  if type(ns) ~= "string" or ns == "" then fail("invalid", op, "expected a namespace name") end
  local items = items_of(objs, op)
  local crds, user = crd_scopes(items), user_scopes(opts and opts.kinds, op)
  local scoped = {}
  for i, o in ipairs(items) do scoped[i] = scope_of(o, crds, user, op) end
  local sas = service_accounts(items)
  for i, o in ipairs(items) do
    move_subjects(o, sas, ns)
    if scoped[i] then sub(o, "metadata").namespace = ns end
  end
  check_duplicates(items, op)
  return objs
end

---------------------------------------------------------------------------
-- strategic-merge-like patches
---------------------------------------------------------------------------

-- Lists merged item by item, by this key (Kubernetes' patchMergeKey).
local MERGE_KEYS = {
  containers = "name", initContainers = "name", ephemeralContainers = "name",
  env = "name", volumes = "name", volumeMounts = "mountPath",
  volumeDevices = "devicePath", imagePullSecrets = "name", hostAliases = "ip",
  topologySpreadConstraints = "topologyKey", resourceClaims = "name",
  conditions = "type",
}

local function merge_key(field, items)
  if field == "ports" then
    local first = items[1]
    return type(first) == "table" and first.containerPort ~= nil and "containerPort" or "port"
  end
  return MERGE_KEYS[field]
end

local merge_map

local function find_item(cur, key, v)
  for i, item in ipairs(cur) do
    if type(item) == "table" and item[key] == v then return i end
  end
end

local function merge_list(cur, items, key)
  for _, item in ipairs(items) do
    if type(item) == "table" and item["$patch"] == "replace" then
      for i = #cur, 1, -1 do cur[i] = nil end
    elseif type(item) == "table" and item[key] ~= nil then
      local i = find_item(cur, key, item[key])
      if item["$patch"] == "delete" then
        if i then table.remove(cur, i) end
      elseif i then
        merge_map(cur[i], item)
      else
        cur[#cur + 1] = copy(item, true)
      end
    else
      cur[#cur + 1] = copy(item, true)
    end
  end
end

local function merge_value(dst, k, v)
  local cur = dst[k]
  if v == null then dst[k] = nil; return end
  if type(v) ~= "table" then dst[k] = v; return end
  if is_list(v) or (next(v) == nil and type(cur) == "table" and is_list(cur)) then
    local key = merge_key(k, v)
    if key and type(cur) == "table" and is_list(cur) then merge_list(cur, v, key)
    else dst[k] = copy(v, true) end
    return
  end
  if v["$patch"] == "delete" then dst[k] = nil
  elseif v["$patch"] == "replace" or type(cur) ~= "table" or is_list(cur) then dst[k] = copy(v, true)
  else merge_map(cur, v) end
end

function merge_map(dst, p)
  for k, v in pairs(p) do
    if type(k) ~= "string" or k:sub(1, 1) ~= "$" then merge_value(dst, k, v) end
  end
end

local function patch_targets(items, p, opts, op)
  local q = opts.target
  if q == nil then
    if type(p.kind) ~= "string" or type(dig(p, "metadata", "name")) ~= "string" then
      fail("invalid", op, "a patch needs kind and metadata.name (or {target = {...}})")
    end
    q = { kind = p.kind, name = p.metadata.name, namespace = p.metadata.namespace }
    if type(p.apiVersion) == "string" then q.group = group_of(p) end
  end
  check_query(q, op)
  local out = {}
  for _, o in ipairs(items) do if matches(q, o) then out[#out + 1] = o end end
  if #out == 0 then
    local what = {}
    for _, k in ipairs { "kind", "group", "namespace", "name" } do
      if q[k] then what[#what + 1] = k .. "=" .. tostring(q[k]) end
    end
    fail("not_found", op, "the patch targets nothing: no object with %s in the set (%d objects)",
         concat(what, " "), #items)
  end
  return out
end

--- Strategic-merge-like patch: maps merge, null deletes, lists of
--- containers/ports/env/volumes/... merge by their key, `$patch: delete`
--- removes an item, `$patch: replace` replaces. Targets the object named
--- by the patch's kind/metadata.name (or opts.target, a select query).
function M.patch(objs, p, opts)
  local op = "manifest.patch"
  opts = opts or {}
  if type(p) ~= "table" then fail("invalid", op, "the patch must be a table") end
  for _, o in ipairs(patch_targets(items_of(objs, op), p, opts, op)) do
    merge_map(o, p)
  end
  return objs
end

---------------------------------------------------------------------------
-- RFC 6902 JSON patch
---------------------------------------------------------------------------

-- RFC 6901: "/a/b~1c" -> { "a", "b/c" }
local function pointer(s, op, i)
  if type(s) ~= "string" or (s ~= "" and s:sub(1, 1) ~= "/") then
    fail("invalid", op, "operation %d: %s is not a JSON pointer", i, tostring(s))
  end
  local segs = {}
  for raw in s:gmatch("/([^/]*)") do
    if raw:find("~[^01]") or raw:find("~$") then
      fail("invalid", op, "operation %d: bad escape in pointer %s", i, s)
    end
    segs[#segs + 1] = raw:gsub("~1", "/"):gsub("~0", "~")
  end
  return segs
end

local function list_index(t, seg, extra, fail_at)
  if seg == "-" and extra then return #t + 1 end
  if not seg:match("^0$") and not seg:match("^[1-9]%d*$") then fail_at("not an array index: " .. seg) end
  local i = tonumber(seg) + 1
  if i > #t + (extra and 1 or 0) then fail_at("array index " .. seg .. " out of range") end
  return i
end

-- Parent container and key of the pointer's target.
local function locate(doc, segs, fail_at)
  local node = doc
  for j = 1, #segs - 1 do
    local k = segs[j]
    if type(node) ~= "table" then fail_at("path not found") end
    if is_list(node) then k = list_index(node, k, false, fail_at) end
    node = node[k]
    if node == nil then fail_at("path not found") end
  end
  if type(node) ~= "table" then fail_at("path not found") end
  return node, segs[#segs]
end

local function get(doc, segs, fail_at)
  if #segs == 0 then return doc end
  local parent, k = locate(doc, segs, fail_at)
  if is_list(parent) then k = list_index(parent, k, false, fail_at) end
  local v = parent[k]
  if v == nil then fail_at("path not found") end
  return v
end

local function remove(doc, segs, fail_at)
  if #segs == 0 then fail_at("cannot remove the whole object") end
  local parent, k = locate(doc, segs, fail_at)
  if is_list(parent) then return table.remove(parent, list_index(parent, k, false, fail_at)) end
  local v = parent[k]
  if v == nil then fail_at("path not found") end
  parent[k] = nil
  return v
end

local function add(doc, segs, v, fail_at)
  if #segs == 0 then fail_at("cannot replace the whole object") end
  local parent, k = locate(doc, segs, fail_at)
  if is_list(parent) then table.insert(parent, list_index(parent, k, true, fail_at), v)
  else parent[k] = v end
end

local JSON_OPS = {
  add = function(doc, o, f) add(doc, o.path, copy(o.value), f) end,
  remove = function(doc, o, f) remove(doc, o.path, f) end,
  replace = function(doc, o, f) get(doc, o.path, f); remove(doc, o.path, f); add(doc, o.path, copy(o.value), f) end,
  move = function(doc, o, f)
    local from, to = concat(o.from, "\0"), concat(o.path, "\0")
    if to:sub(1, #from + 1) == from .. "\0" then f("cannot move a value into itself") end
    add(doc, o.path, remove(doc, o.from, f), f)
  end,
  copy = function(doc, o, f) add(doc, o.path, copy(get(doc, o.from, f)), f) end,
  test = function(doc, o, f) if not deep_eq(get(doc, o.path, f), o.value) then f("test failed") end end,
}

local function compile_ops(ops, op)
  if type(ops) ~= "table" then fail("invalid", op, "expected a list of operations") end
  local out = {}
  for i, o in ipairs(ops) do
    if type(o) ~= "table" or not JSON_OPS[o.op] then
      fail("invalid", op, "operation %d: unknown op %s", i, tostring(type(o) == "table" and o.op))
    end
    local needs_value = o.op == "add" or o.op == "replace" or o.op == "test"
    if needs_value and o.value == nil then fail("invalid", op, "operation %d (%s): no value", i, o.op) end
    out[i] = { op = o.op, raw = o.path, path = pointer(o.path, op, i), value = o.value,
               from = (o.op == "move" or o.op == "copy") and pointer(o.from, op, i) or nil }
  end
  return out
end

local function run_ops(doc, ops, what, op)
  for i, o in ipairs(ops) do
    JSON_OPS[o.op](doc, o, function(msg)
      fail("invalid", op, "%s: operation %d (%s %s): %s", what, i, o.op, o.raw, msg)
    end)
  end
end

--- RFC 6902 patch of one object, or of the objects opts.target selects.
--- All or nothing: a failing operation leaves the object unchanged.
function M.json_patch(objs, ops, opts)
  local op = "manifest.json_patch"
  local compiled = compile_ops(ops, op)
  local targets
  if is_object(objs) then targets = { objs }
  elseif type(opts) == "table" and opts.target then
    targets = patch_targets(items_of(objs, op), {}, opts, op)
  else
    fail("invalid", op, "give one object, or {target = {kind=, name=, ...}} to pick objects from a list")
  end
  for _, o in ipairs(targets) do
    run_ops(copy(o), compiled, describe(o), op) -- dry run: all or nothing
    run_ops(o, compiled, describe(o), op)
  end
  return objs
end

---------------------------------------------------------------------------
-- files (GitOps layouts)
---------------------------------------------------------------------------

--- A map path -> YAML: <namespace or _cluster>/<kind>-<name>.yaml, or
--- <namespace or _cluster>/<kind>.yaml with {per_kind=true}, all of it in
--- lower case (SPEC section 4). Secrets are refused unless
--- {allow_secrets=true}.
function M.files(objs, opts)
  local op = "manifest.files"
  opts = opts or {}
  local groups, order = {}, {}
  for _, o in ipairs(items_of(objs, op)) do
    if o.kind == "Secret" and not opts.allow_secrets then
      fail("forbidden", op, "refusing to write Secret %s to files (pass {allow_secrets = true})", name_of(o))
    end
    local dir = (namespace_of(o) or "_cluster"):lower()
    local path = opts.per_kind and fmt("%s/%s.yaml", dir, o.kind:lower())
      or fmt("%s/%s-%s.yaml", dir, o.kind:lower(), tostring(name_of(o)):lower())
    if not groups[path] then groups[path] = {}; order[#order + 1] = path
    elseif not opts.per_kind then
      fail("invalid", op, "two objects map to %s: %s and %s", path, source(groups[path][1]), source(o))
    end
    local g = groups[path]
    g[#g + 1] = o
  end
  local out = map {}
  for _, path in ipairs(order) do out[path] = M.yaml(groups[path]) end
  return out
end

---------------------------------------------------------------------------
-- Helm
---------------------------------------------------------------------------

local HELM_OPTS = { chart = true, release = true, namespace = true, values = true,
                    values_files = true, set = true, images = true, version = true,
                    kube_version = true, api_versions = true, include_crds = true,
                    context = true }

local function deep_merge(dst, src)
  for k, v in pairs(src) do
    if is_map(v) and is_map(dst[k]) then deep_merge(dst[k], v) else dst[k] = copy(v) end
  end
  return dst
end

-- Sets a dotted path in a values table.
local function set_path(t, path, v)
  local keys = {}
  for k in path:gmatch("[^.]+") do keys[#keys + 1] = k end
  for i = 1, #keys - 1 do t = sub(t, keys[i]) end
  t[keys[#keys]] = v
end

-- Skaffold's IMAGE_* values plus <path>.repository/<path>.tag.
local function image_values(images, op)
  local v = map {}
  local paths = {}
  for path in pairs(images) do paths[#paths + 1] = path end
  sort(paths)
  for _, path in ipairs(paths) do
    local a = images[path]
    if type(a) ~= "table" or type(a.name) ~= "string" then
      fail("invalid", op, "images[%q] is not an artifact (needs name=, tag=)", tostring(path))
    end
    local x = tostring(path):gsub("[^%w]", "_")
    local tag = (a.tag or "latest") .. (a.digest and "@" .. a.digest or "")
    v["IMAGE_REPO_" .. x] = a.name
    v["IMAGE_TAG_" .. x] = a.tag or "latest"
    if a.digest then v["IMAGE_DIGEST_" .. x] = a.digest end
    v["IMAGE_FULLY_QUALIFIED_" .. x] = artifact_ref(a)
    set_path(v, path .. ".repository", a.name)
    set_path(v, path .. ".tag", tag)
  end
  return v
end

local function chart_path(chart, op)
  if type(chart) ~= "string" or chart == "" then fail("invalid", op, "chart= is required") end
  if chart:find("://", 1, true) then return chart end
  return C.path(chart, "chart", op)
end

local function sorted_sets(set, op)
  local out = {}
  for k, v in pairs(set) do
    local t = type(v)
    if type(k) ~= "string" or (t ~= "string" and t ~= "number" and t ~= "boolean") then
      fail("invalid", op, "set: %s = %s is not a value path and a scalar", tostring(k), tostring(v))
    end
    out[#out + 1] = k .. "=" .. tostring(v)
  end
  sort(out)
  return out
end

-- What the cluster says about itself ({kube_version=, api_versions=}),
-- unless the recipe gave both or the run is --offline; an unreachable
-- cluster is a warning and the documented default.
local function capabilities(o)
  if (o.kube_version and o.api_versions) or setting("offline") then return {} end
  local caps, err = C.capabilities(o.context)
  if caps then return caps end
  host.log.warn(fmt("helm.template: rendering for Kubernetes %s: cannot ask the cluster (%s)",
                    o.kube_version or DEFAULT_KUBE_VERSION, tostring(err)))
  return {}
end

local function helm_args(o, op)
  local chart = chart_path(o.chart, op)
  local release = o.release or o.chart:match("([^/]+)/*$")
  local caps = capabilities(o)
  local args = { "template", release, chart, "--kube-version",
                 o.kube_version or caps.kube_version or DEFAULT_KUBE_VERSION }
  local function add(...) for i = 1, select("#", ...) do args[#args + 1] = select(i, ...) end end
  local ns = o.namespace or setting("namespace")
  if ns then add("--namespace", ns) end
  if o.version then add("--version", tostring(o.version)) end
  if o.include_crds then add("--include-crds") end
  for _, a in ipairs(o.api_versions or caps.api_versions or {}) do add("--api-versions", a) end
  for _, f in ipairs(o.values_files or {}) do add("--values", C.path(f, "values file", op)) end
  for _, s in ipairs(sorted_sets(o.set or {}, op)) do add("--set", s) end
  return args, release
end

local function warn_lines(text, what)
  for line in text:gmatch("[^\n]+") do host.log.warn(what .. ": " .. line) end
end

-- helm's output, one document per template section ("---" then "# Source:
-- chart/templates/x.yaml"): each object keeps its template as its source.
local function parse_rendered(out, release)
  local objs, text = wrap({}), "\n" .. out
  local marks = {}
  for at, path in text:gmatch("\n()%-%-%-[ \t]*\n# Source: ([^\n]+)") do
    marks[#marks + 1] = { at = at, path = path }
  end
  local first = marks[1] and marks[1].at or #text + 1
  if text:sub(1, first - 1):find("%S") then
    append(objs, C.parse(text:sub(1, first - 1), "helm:" .. release, false, nil, "helm.template"), "helm.template")
  end
  for i, m in ipairs(marks) do
    local name = fmt("%s (helm release %s)", m.path, release)
    local stop = marks[i + 1] and marks[i + 1].at - 1 or #text
    append(objs, C.parse(text:sub(m.at, stop), name, false, name, "helm.template"), "helm.template")
  end
  return objs
end

--- Renders a chart with `helm template` (argv, no shell) and parses it.
function H.template(o)
  local op = "helm.template"
  if type(o) ~= "table" then fail("invalid", op, "expected a table {chart=, release=, ...}") end
  for k in pairs(o) do
    if not HELM_OPTS[k] then fail("invalid", op, "unknown option '%s'", tostring(k)) end
  end
  local args, release = helm_args(o, op)
  local values = deep_merge(deep_merge(map {}, o.values or {}), image_values(o.images or {}, op))
  local text = next(values) and yaml.encode(values) or nil
  local out, err = C.run("helm", args, op, text)
  if err ~= "" then warn_lines(err, "helm") end
  local objs = parse_rendered(out, release)
  if #objs == 0 then fail("invalid", op, "helm template rendered no objects for chart %s", o.chart) end
  return check_duplicates(objs, op)
end

--- Builds a kustomization with `kustomize build` or `kubectl kustomize`.
function K.build(dir)
  local op = "kustomize.build"
  if type(dir) ~= "string" then fail("invalid", op, "expected a directory") end
  local abs = C.path(dir, "kustomization directory", op)
  local out, err
  if C.found("kustomize") then out, err = C.run("kustomize", { "build", abs }, op)
  elseif C.found("kubectl") then out, err = C.run("kubectl", { "kustomize", abs }, op)
  else fail("not_found", op, "neither kustomize nor kubectl is on PATH") end
  if err ~= "" then warn_lines(err, "kustomize") end
  return check_duplicates(wrap(C.parse(out, "kustomize:" .. dir, false, nil, op)), op)
end

local function install(t, name, fns)
  local m = t[name]
  if type(m) ~= "table" then m = {}; t[name] = m end
  for k, f in pairs(fns) do m[k] = f end
end
install(host, "manifest", M)
install(host, "helm", H)
install(host, "kustomize", K)
