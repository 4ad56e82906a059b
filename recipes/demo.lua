-- recipes/demo.lua — the demo `make demo` runs: build, push, render, apply,
-- wait, in one recipe.
--
--   cdhost --dry-run recipes/demo.lua            what would be built and applied
--   cdhost --dry-run recipes/demo.lua --set namespace=team-a --set image=REF
--   cdhost run recipes/demo.lua --set registry=127.0.0.1:5000 \
--     --insecure-registry 127.0.0.1:5000         for real (make demo does this)
--
-- 1. A native, daemonless, reproducible image of demo/site (no Dockerfile,
--    no daemon: layers from project files). Its tag is the digest of its
--    inputs, so an unchanged re-run finds it in the registry and uploads
--    nothing. 2. The manifests in demo/k8s with that image. 3. A server-side
--    apply as an apply set (a later run prunes what the recipe dropped).
--    4. A wait that fails fast, naming pod, container and reason.
--
-- The local control plane of `make demo` simulates the kubelet: pods go
-- through their real lifecycle (scheduling, image pulls checked against the
-- registry, readiness) but no process runs, so a scratch image with static
-- files is enough here. On a real cluster, give it a base with a server:
-- base = "docker.io/library/busybox:1.36", cmd = { "httpd", "-f", ... }.

local args = cdhost.args
local registry = args.registry or "127.0.0.1:5000"
local namespace = args.namespace or "cdhost-demo"

-- --set image=REF deploys an existing image instead of building one.
local web = args.image and { ref = args.image, pushed = false } or cdhost.image.build {
  name = registry .. "/cdhost/demo-web",
  builder = "native",
  base = "scratch",
  layers = { { from = "demo/site", to = "/srv/www" } },
  cmd = { "httpd", "-f", "-p", "8080", "-h", "/srv/www" },
  ports = { "8080" },
  labels = { ["org.opencontainers.image.title"] = "cdhost demo web" },
}

-- ${NAME} substitution is strict: an unknown variable is an error naming
-- the file and line.
local objects = cdhost.manifest.load { "demo/k8s/*.yaml",
  vars = { NAMESPACE = namespace, IMAGE = web.ref } }
cdhost.manifest.label(objects, { ["app.kubernetes.io/managed-by"] = "cdhost" },
                      { templates = false })

local applied = cdhost.kube.apply(objects, { applyset = "demo", prune = true,
                                            namespace = namespace })
local rollout = cdhost.rollout.wait(applied, { timeout = "2m" })

-- The summary (stderr; in --dry-run mode nothing was pushed, applied or
-- waited for, and it says so).
cdhost.log.info(("demo: image %s (%s)"):format(web.ref,
  web.pushed and "built and pushed"
  or args.image and "given with --set image"
  or cdhost.mode == "run" and "unchanged: already in the registry"
  or "tag computed, not built in " .. cdhost.mode .. " mode"))
cdhost.log.info(("demo: %d objects for namespace %s"):format(#objects, namespace))
if rollout.waited then
  for _, o in ipairs(rollout.objects) do
    local where = o.object.namespace ~= "" and o.object.namespace .. "/" or ""
    cdhost.log.info(("demo: %s %s%s %s in %.1fs"):format(o.object.kind, where,
      o.object.name, o.status, o.seconds))
  end
end
