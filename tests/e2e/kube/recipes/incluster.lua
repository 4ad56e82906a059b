-- Applies cm.yaml with no namespace anywhere (the in-cluster service
-- account's namespace file decides), then tries a read its RBAC forbids.
local objs = cdhost.manifest.load { "cm.yaml", vars = { V = "1", EXTRA = "incluster" } }
local res = cdhost.kube.apply(objs)
print("applied " .. res[1].namespace .. "/" .. res[1].name .. " " .. res[1].action)
local ok, err = pcall(cdhost.kube.get, { apiVersion = "v1", kind = "Namespace", name = "kube-system" })
print("namespace read: " .. (ok and "allowed" or err.code .. ": " .. err.message))
