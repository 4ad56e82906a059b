-- N ConfigMaps (default 300) in namespace ns, in apply set "bulk".
local a = cdhost.args
local objs = {}
for i = 1, tonumber(a.n or "300") do
  objs[i] = { apiVersion = "v1", kind = "ConfigMap",
              metadata = { name = ("cm-%04d"):format(i) },
              data = { i = tostring(i), v = a.v or "1" } }
end
local res = cdhost.kube.apply(objs, { namespace = a.ns, applyset = "bulk", prune = true,
                                      lock_wait = tonumber(a.lock_wait or "120") })
local changed = 0
for _, r in ipairs(res) do if r.changed then changed = changed + 1 end end
print(("bulk: %d objects, %d changed"):format(#res, changed))
