-- Applies rollout/FILE (with ${NS}, ${IMAGE}, ${V} substituted) into
-- namespace ns and waits for it with the options given by --set:
-- timeout=, fail_fast=0, on_failure=, suspended=, health_dir=, kstatus=1.
local a = cdhost.args
local objs = cdhost.manifest.load { "rollout/" .. a.file,
  vars = { NS = a.ns, IMAGE = a.image or "none", V = a.v or "1" } }
local res = cdhost.kube.apply(objs, { namespace = a.ns, applyset = a.set })
local opts = { timeout = a.timeout or "60s", on_failure = a.on_failure,
  suspended = a.suspended, health_dir = a.health_dir }
if a.fail_fast == "0" then opts.fail_fast = false end
if a.kstatus == "1" then opts.kstatus = true end
local ok, r = pcall(cdhost.rollout.wait, res, opts)
if not ok then
  print("code " .. tostring(r.code))
  error(r, 0)
end
for _, o in ipairs(r.objects) do
  print(string.format("object %s %s %s", o.object.kind, o.object.name, o.status))
end
print(string.format("stats lists=%d watches=%d relists=%d requests=%d reconnects=%d",
  r.lists, r.watches, r.relists, r.requests, r.reconnects))
