-- cdhost.rollout.status as recipes see it (SPEC section 7; the rules
-- themselves are tested from recorded objects in tests/unit/test_status.c).
local t = require "cdhost.testing"
local status = cdhost.rollout.status
local NOW = "2024-05-01T10:05:00Z"

local function deployment(st, extra)
  local d = {
    apiVersion = "apps/v1", kind = "Deployment",
    metadata = { name = "web", namespace = "shop", uid = "dep-1", generation = 2,
                 annotations = { ["deployment.kubernetes.io/revision"] = "2" } },
    spec = { replicas = 3, progressDeadlineSeconds = 600 },
    status = st,
  }
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end

local done = {
  observedGeneration = 2, replicas = 3, updatedReplicas = 3, readyReplicas = 3, availableReplicas = 3,
  conditions = {
    { type = "Available", status = "True", reason = "MinimumReplicasAvailable" },
    { type = "Progressing", status = "True", reason = "NewReplicaSetAvailable" },
  },
}
local midway = {
  observedGeneration = 2, replicas = 4, updatedReplicas = 1, readyReplicas = 3, availableReplicas = 3,
  conditions = { { type = "Progressing", status = "True", reason = "ReplicaSetUpdated" } },
}

t.test("returns kstatus words, reason and message", function()
  t.eq(status(deployment(done)), { status = "Current", reason = "", message = "Deployment is available. Replicas: 3" })
  t.eq(status(deployment(midway)), { status = "InProgress", reason = "LessUpdated", message = "Updated: 1/3" })
end)

t.test("nil is NotFound", function()
  t.eq(status(nil), { status = "NotFound", reason = "NotFound", message = "Resource not found" })
  t.eq(status().status, "NotFound")
end)

t.test("integers stay integers in messages", function()
  local d = cdhost.json.decode('{"apiVersion":"apps/v1","kind":"StatefulSet","spec":{"replicas":5,'
    .. '"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}}},'
    .. '"status":{"replicas":5,"readyReplicas":5,"updatedReplicas":1}}')
  t.eq(status(d).message, "updated: 1/3")
end)

t.test("a float where kstatus wants an integer falls back to the default", function()
  local d = deployment(done)
  d.spec.replicas = 3.0 -- not integer-typed: read as the default 1
  t.eq(status(d), { status = "InProgress", reason = "ExtraPods", message = "Pending termination: 2" })
  d.status.replicas = 3.5
  t.eq(status(d), { status = "InProgress", reason = "LessReplicas", message = "Replicas: 0/1" })
end)

local rs_new = {
  apiVersion = "apps/v1", kind = "ReplicaSet",
  metadata = { name = "web-7c9f", uid = "rs-2",
               annotations = { ["deployment.kubernetes.io/revision"] = "2" },
               ownerReferences = { { kind = "Deployment", name = "web", uid = "dep-1" } } },
}
local rs_old = {
  apiVersion = "apps/v1", kind = "ReplicaSet",
  metadata = { name = "web-5d8c", uid = "rs-1",
               annotations = { ["deployment.kubernetes.io/revision"] = "1" },
               ownerReferences = { { kind = "Deployment", name = "web", uid = "dep-1" } } },
}
local function crashing(name, owner_uid)
  return {
    apiVersion = "v1", kind = "Pod",
    metadata = { name = name, ownerReferences = { { kind = "ReplicaSet", uid = owner_uid } } },
    spec = { containers = { { name = "web", image = "reg.example.com/web:2" } } },
    status = { phase = "Running", containerStatuses = { {
      name = "web", image = "reg.example.com/web:2", ready = false, restartCount = 3,
      state = { waiting = { reason = "CrashLoopBackOff", message = "back-off 40s" } },
      lastState = { terminated = { reason = "Error", exitCode = 1 } } } } },
  }
end

t.test("a Deployment fails from its new ReplicaSet's pods", function()
  local s = status(deployment(midway), { replicasets = { rs_old, rs_new }, pods = { crashing("web-7c9f-abc", "rs-2") } })
  t.eq(s.status, "Failed")
  t.eq(s.reason, "CrashLoopBackOff")
  t.eq(s.message, "new ReplicaSet web-7c9f (revision 2): pod web-7c9f-abc: container web (image reg.example.com/web:2): "
    .. "CrashLoopBackOff: back-off 40s; last exit: Error, exit code 1")
end)

t.test("pods of the old ReplicaSet do not fail the rollout", function()
  local s = status(deployment(midway), { replicasets = { rs_old, rs_new }, pods = { crashing("web-5d8c-xyz", "rs-1") } })
  t.eq(s.status, "InProgress")
end)

t.test("opts.kstatus gives kstatus's answer", function()
  local s = status(deployment(midway), { replicasets = { rs_new }, pods = { crashing("web-7c9f-abc", "rs-2") } },
                   { kstatus = true })
  t.eq(s, { status = "InProgress", reason = "LessUpdated", message = "Updated: 1/3" })
end)

t.test("opts.now and the 15 s scheduling window", function()
  local p = {
    apiVersion = "v1", kind = "Pod",
    metadata = { name = "p", creationTimestamp = "2024-05-01T10:04:00Z" },
    status = { phase = "Pending", conditions = { { type = "PodScheduled", status = "False", reason = "Unschedulable",
      lastTransitionTime = "2024-05-01T10:04:50Z", message = "0/1 nodes are available: 1 Insufficient cpu." } } },
  }
  t.eq(status(p, nil, { now = NOW }).status, "InProgress")
  t.eq(status(p, nil, { now = "2024-05-01T10:05:10Z" }),
       { status = "Failed", reason = "PodUnschedulable",
         message = "unschedulable for 20s: 0/1 nodes are available: 1 Insufficient cpu." })
  -- epoch seconds work too
  t.eq(status(p, nil, { now = 1714557910 }).status, "Failed")
end)

t.test("opts.expected_generation and opts.lb_ingress", function()
  t.eq(status(deployment(done), nil, { expected_generation = 3 }),
       { status = "InProgress", reason = "StaleObject",
         message = "Deployment generation is 2, older than the applied generation 3" })
  local svc = { apiVersion = "v1", kind = "Service", metadata = { name = "web" },
                spec = { type = "LoadBalancer", clusterIP = "10.0.0.1" }, status = { loadBalancer = cdhost.map {} } }
  t.eq(status(svc).status, "Current")
  t.eq(status(svc, nil, { lb_ingress = true }).reason, "NoIngress")
  svc.status.loadBalancer.ingress = { { ip = "203.0.113.7" } }
  t.eq(status(svc, nil, { lb_ingress = true }).status, "Current")
end)

t.test("objects decoded from YAML work as they are", function()
  local obj = cdhost.yaml.decode([[
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, generation: 1}
status:
  startTime: "2024-05-01T10:00:00Z"
  failed: 7
  conditions:
  - {type: Failed, status: "True", reason: BackoffLimitExceeded, message: Job has reached the specified backoff limit}
]])[1]
  t.eq(status(obj), { status = "Failed", reason = "JobFailed",
    message = "Job Failed. failed: 7/1: BackoffLimitExceeded: Job has reached the specified backoff limit" })
end)

t.test("bad arguments raise", function()
  t.raises("bad argument #1", status, "Deployment")
  t.raises("bad argument #2", status, {}, 42)
  t.raises("bad argument #3", status, {}, nil, true)
  t.raises("invalid", status, {}, nil, { now = "yesterday" })
  t.raises("related.pods must be a list", status, {}, { pods = 1 })
  t.raises("object: ", status, { f = print })
end)

t.done()
