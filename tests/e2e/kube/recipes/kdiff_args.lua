-- kube.diff misused: each call is caught and printed as "E <code> <message>".
local function try(label, ...)
  local args = table.pack(...)
  local ok, err = pcall(function() return cdhost.kube.diff(table.unpack(args, 1, args.n)) end)
  if ok then
    print("E " .. label .. " no error")
  elseif type(err) == "table" then
    print(("E %s %s %s"):format(label, err.code, err.message))
  else
    print(("E %s lua %s"):format(label, tostring(err)))
  end
end
local cm = { apiVersion = "v1", kind = "ConfigMap", metadata = { name = "x" } }
try("noargs")
try("string", "cm.yaml")
try("opts", { cm }, "fast")
try("notable", { "cm" })
try("noname", { { apiVersion = "v1", kind = "ConfigMap" } })
try("applyset", { cm }, { applyset = 3 })
try("prune", { cm }, { prune = true })
try("force", { cm }, { force = "yes" })
