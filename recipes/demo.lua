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

-- ${NAME} substitution is strict: an unknown variable is an error naming
-- the file and line.
local objects = cdhost.manifest.load { "demo/k8s/*.yaml", vars = vars }
cdhost.manifest.label(objects, { ["app.kubernetes.io/managed-by"] = "cdhost" },
                      { templates = false })

cdhost.log.info(("demo: %d objects for namespace %s, image %s")
  :format(#objects, vars.NAMESPACE, vars.IMAGE))
cdhost.kube.apply(objects)
