-- recipes/demo.lua — the demo `make demo` runs.
--
--   cdhost --dry-run recipes/demo.lua            print what would be applied
--   cdhost --dry-run recipes/demo.lua --set namespace=team-a
--
-- It renders the demo web service (recipes/demo/k8s/app.yaml) for a
-- namespace and an image, and applies it (`cdhost run`; `make demo` runs it
-- against the local control plane). Building the image natively comes with
-- the images capability.

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
-- An apply set: a later run deletes what the recipe no longer holds.
cdhost.kube.apply(objects, { applyset = "demo", prune = true,
                             namespace = vars.NAMESPACE })
