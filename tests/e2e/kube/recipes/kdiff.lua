-- kube.diff of FILES (default cm.yaml) in namespace ns, with set=NAME for an
-- apply set with prune; prints what it returned (stderr), one line per
-- entry and each diff line prefixed with "| ".
local a = cdhost.args
local objs = cdhost.manifest.load { a.files or "cm.yaml",
  vars = { NS = a.ns, V = a.v or "1", EXTRA = a.extra or "x" } }
local opts = { namespace = a.ns }
if a.set then opts.applyset = a.set; opts.prune = true end
local d, msg = cdhost.kube.diff(objs, opts)
if not d then
  print("no diff: " .. msg)
  return
end
print(("changed=%s entries=%d mode=%s"):format(tostring(d.changed), #d.diffs, cdhost.mode))
for _, e in ipairs(d.diffs) do
  print(("entry %s %s %s changed=%s"):format(e.kind, e.name, e.action, tostring(e.changed)))
  for line in e.diff:gmatch("[^\n]+") do print("| " .. line) end
end
