-- Applies FILES (a glob, default mixed.yaml) into namespace ns, with the
-- options given by --set: set=NAME (apply set + prune), force=1, v=VALUE,
-- propagation=POLICY.
local a = cdhost.args
local objs = cdhost.manifest.load { a.files or "mixed.yaml",
  vars = { NS = a.ns, V = a.v or "1", EXTRA = a.extra or "x" } }
local opts = { namespace = a.ns, force = a.force == "1", context = a.context,
  propagation = a.propagation }
if a.set then opts.applyset = a.set; opts.prune = a.noprune ~= "1" end
if a.lock_wait then opts.lock_wait = tonumber(a.lock_wait) end
local res = cdhost.kube.apply(objs, opts)
for _, r in ipairs(res) do
  print(string.format("result %s %s %s changed=%s gen=%s", r.kind, r.name,
    r.action, tostring(r.changed), tostring(r.generation)))
end
