-- argoproj.io/Rollout. Argo Rollouts 1.0 and later publish their own verdict,
-- status.phase (Healthy, Progressing, Paused, Degraded) and status.message,
-- which holds once status.observedGeneration (a string) reaches
-- metadata.generation. Older controllers publish no phase: then the pause,
-- the abort, the progress deadline and the replica counts decide.
local status = obj.status
if status == nil then
  return { status = "Progressing", message = "Waiting for the rollout controller" }
end
local conds = {}
for _, c in ipairs(status.conditions or {}) do
  conds[c.type] = c
end
local generation = obj.metadata.generation
local observed = tonumber(status.observedGeneration) -- controllers before 0.10 wrote a hash
if generation and observed and observed < generation then
  return { status = "Progressing",
           message = "Waiting for the rollout controller to observe generation " .. generation }
end
if conds.InvalidSpec and conds.InvalidSpec.status == "True" then
  return { status = "Degraded", message = conds.InvalidSpec.message or "InvalidSpec" }
end

local phases = { Healthy = "Healthy", Progressing = "Progressing", Paused = "Suspended",
                 Degraded = "Degraded" }
if phases[status.phase] then
  return { status = phases[status.phase], message = status.message or "" }
end

if status.abort then
  return { status = "Degraded", message = "Rollout is aborted" }
end
local pauses = status.pauseConditions or {}
if obj.spec.paused or status.controllerPause or #pauses > 0 then
  return { status = "Suspended", message = pauses[1] and pauses[1].reason or "Rollout is paused" }
end
if conds.Progressing and conds.Progressing.reason == "ProgressDeadlineExceeded" then
  return { status = "Degraded", message = conds.Progressing.message or "ProgressDeadlineExceeded" }
end
local want = obj.spec.replicas or 1
local updated = status.updatedReplicas or 0
local available = status.availableReplicas or 0
local total = status.replicas or 0
if updated < want then
  return { status = "Progressing", message = updated .. "/" .. want .. " replicas updated" }
end
if total > updated then
  return { status = "Progressing", message = (total - updated) .. " old replica(s) pending termination" }
end
if available < updated then
  return { status = "Progressing", message = available .. "/" .. updated .. " updated replicas available" }
end
return { status = "Healthy", message = available .. "/" .. want .. " replicas available" }
