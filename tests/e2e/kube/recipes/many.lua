-- 8 namespaces x (Deployment + StatefulSet): 8 x 4 feeds = 32 watches at once
local a = cdhost.args
local objs = {}
for i = 1, 8 do
  local ns = a.ns .. "-" .. i
  objs[#objs + 1] = { apiVersion = "v1", kind = "Namespace", metadata = { name = ns } }
  for _, kind in ipairs { "Deployment", "StatefulSet" } do
    objs[#objs + 1] = { apiVersion = "apps/v1", kind = kind,
      metadata = { name = "w", namespace = ns },
      spec = { replicas = 1, serviceName = kind == "StatefulSet" and "w" or nil,
        selector = { matchLabels = { app = "w" } },
        template = { metadata = { labels = { app = "w" } },
          spec = { containers = { { name = "w", image = a.image } } } } } }
  end
end
local res = cdhost.kube.apply(objs)
local r = cdhost.rollout.wait(res, { timeout = "60s" })
print(("ready %d watches %d lists %d"):format(#r.objects, r.watches, r.lists))
