-- recipes/demo.lua — the demo `make demo` runs.
--
--   cdhost --dry-run recipes/demo.lua            print what would be applied
--   cdhost --dry-run recipes/demo.lua --set namespace=team-a
--
-- It renders the demo web service (recipes/demo/k8s/app.yaml) for a
-- namespace and an image. Building the image natively and applying to the
-- local control plane come with the images and Kubernetes capabilities.

local args = cdhost.args
local vars = {
  NAMESPACE = args.namespace or "cdhost-demo",
  IMAGE = args.image or "127.0.0.1:5000/cdhost/demo-web:dev",
}

-- ${NAME} substitution, strict: an unknown variable is an error naming the line.
local function substitute(text, file)
  local line = 1
  return (text:gsub("()%${([%w_]+)}", function(pos, name)
    local v = vars[name]
    if v == nil then
      local _, nl = text:sub(1, pos):gsub("\n", "")
      error(("%s:%d: unknown variable ${%s}"):format(file, line + nl, name), 0)
    end
    return v
  end))
end

local file = "demo/k8s/app.yaml"
local objects = cdhost.yaml.decode(substitute(cdhost.fs.read(file), file), file)

for _, obj in ipairs(objects) do
  obj.metadata.labels = obj.metadata.labels or cdhost.map {}
  obj.metadata.labels["app.kubernetes.io/managed-by"] = "cdhost"
end

cdhost.log.info(("demo: %d objects for namespace %s, image %s")
  :format(#objects, vars.NAMESPACE, vars.IMAGE))
cdhost.kube.apply(objects)
