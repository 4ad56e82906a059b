-- Watches the ConfigMaps labelled watched=yes in namespace ns until w2 is
-- deleted or the timeout (--set timeout=, default 8s) passes.
local a = cdhost.args
local n = 0
for ev in cdhost.kube.watch({ apiVersion = "v1", kind = "ConfigMap", namespace = a.ns,
                              selector = "watched=yes" }, { timeout = a.timeout or "8s" }) do
  print("event " .. ev.type .. " " .. ev.object.metadata.name)
  n = n + 1
  if ev.type == "DELETED" and ev.object.metadata.name == "w2" then break end
end
print("events " .. n)
