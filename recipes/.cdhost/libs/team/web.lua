-- team.web — one web service the way the platform team runs them: a
-- Deployment with probes, resources and the team's labels, and a ClusterIP
-- Service in front of it. Render mode prints both; run mode applies them and
-- waits for the rollout.
local M = {}
local map, list = cdhost.map, cdhost.list

local KNOWN = { name = 1, namespace = 1, image = 1, replicas = 1, port = 1, env = 1,
                health_path = 1, cpu = 1, memory = 1, wait = 1, timeout = 1, team = 1,
                apply = 1 }

local function fail(msg, ...)
  error("team.web: " .. msg:format(...), 3)
end

-- "name:tag", or an artifact from cdhost.image.build (ref with digest).
local function image_ref(image)
  if type(image) == "string" and image ~= "" then return image end
  if type(image) == "table" and type(image.ref) == "string" then return image.ref end
  if type(image) == "table" and type(image.name) == "string" then
    return image.name .. ":" .. (image.tag or "latest") .. (image.digest and "@" .. image.digest or "")
  end
  fail("'image' must be a reference string or an artifact from cdhost.image.build")
end

local function check(o)
  if type(o) ~= "table" then fail("expects a table of options") end
  for k in pairs(o) do
    if not KNOWN[k] then fail("unknown option '%s'", tostring(k)) end
  end
  if type(o.name) ~= "string" or not o.name:match("^[a-z0-9][-a-z0-9]*$")
     or o.name:sub(-1) == "-" or #o.name > 63 then
    fail("'name' must be a DNS label (got %s)", tostring(o.name))
  end
  if o.replicas ~= nil and math.type(o.replicas) ~= "integer" then fail("'replicas' must be an integer") end
  if o.port ~= nil and math.type(o.port) ~= "integer" then fail("'port' must be an integer") end
end

--- The objects of one web service.
---@param o {name: string, image: string|table, namespace?: string, replicas?: integer, port?: integer, env?: table<string,string>, health_path?: string, cpu?: string, memory?: string, team?: string}
---@return table[] objects  Deployment, Service
function M.objects(o)
  check(o)
  local labels = map { ["app.kubernetes.io/name"] = o.name,
                       ["app.kubernetes.io/part-of"] = o.team or "platform",
                       ["app.kubernetes.io/managed-by"] = "cdhost" }
  local selector = map { ["app.kubernetes.io/name"] = o.name }
  local port = o.port or 8080
  local env = list {}
  local names = {}
  for k in pairs(o.env or {}) do names[#names + 1] = k end
  table.sort(names)
  for _, k in ipairs(names) do env[#env + 1] = map { name = k, value = tostring(o.env[k]) } end
  local container = map {
    name = o.name,
    image = image_ref(o.image),
    ports = list { map { name = "http", containerPort = port } },
    readinessProbe = map { httpGet = map { path = o.health_path or "/", port = "http" },
                           initialDelaySeconds = 1 },
    resources = map { requests = map { cpu = o.cpu or "50m", memory = o.memory or "64Mi" },
                      limits = map { memory = o.memory or "64Mi" } },
  }
  if #env > 0 then container.env = env end
  local meta = function()
    return map { name = o.name, namespace = o.namespace or "default", labels = labels }
  end
  local deployment = map {
    apiVersion = "apps/v1", kind = "Deployment", metadata = meta(),
    spec = map {
      replicas = o.replicas or 2,
      selector = map { matchLabels = selector },
      template = map { metadata = map { labels = labels },
                       spec = map { containers = list { container } } },
    },
  }
  local service = map {
    apiVersion = "v1", kind = "Service", metadata = meta(),
    spec = map { selector = selector,
                 ports = list { map { name = "http", port = 80, targetPort = "http" } } },
  }
  return { deployment, service }
end

--- Renders, applies and (outside render mode) waits for one web service.
---@param o {name: string, image: string|table, namespace?: string, replicas?: integer, port?: integer, env?: table<string,string>, wait?: boolean, timeout?: string, apply?: boolean}
---@return table[] objects
---@return table|nil result  what cdhost.kube.apply returned
function M.web_service(o)
  local objs = M.objects(o)
  if o.apply == false then return objs end
  local res = cdhost.kube.apply(objs)
  if o.wait ~= false and cdhost.mode ~= "render" and cdhost.mode ~= "build" then
    cdhost.rollout.wait(res, { timeout = o.timeout or "5m" })
  end
  return objs, res
end

return M
