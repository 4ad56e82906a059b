-- Flux: kustomize.toolkit.fluxcd.io/Kustomization, helm.toolkit.fluxcd.io/
-- HelmRelease, source.toolkit.fluxcd.io/GitRepository and every other
-- *.toolkit.fluxcd.io kind report kstatus-style conditions:
--   Stalled      True when retrying cannot help (e.g. retries exhausted);
--   Ready        True after a successful reconciliation of this generation,
--                False after a failed one, Unknown while one runs;
--   Reconciling  True while a reconciliation (or a retry) is under way;
-- and status.observedGeneration, -1 until the first reconciliation.
-- A Ready=True beats a leftover Reconciling; spec.suspend pauses it all.
if obj.spec and obj.spec.suspend == true then
  return { status = "Suspended", message = "Reconciliation is suspended" }
end
local status = obj.status or {}
local conds = {}
for _, c in ipairs(status.conditions or {}) do
  conds[c.type] = c
end
local generation = obj.metadata.generation
if generation and (status.observedGeneration or -1) < generation then
  return { status = "Progressing",
           message = "Waiting for " .. obj.kind .. " generation " .. generation .. " to be reconciled" }
end
-- The first rule that holds decides.
local rules = {
  { "Stalled", "True", "Degraded" },
  { "Ready", "True", "Healthy" },
  { "Reconciling", "True", "Progressing" },
  { "Ready", "False", "Degraded" },
}
for _, rule in ipairs(rules) do
  local c = conds[rule[1]]
  if c and c.status == rule[2] then
    return { status = rule[3], message = c.message or c.reason or "" }
  end
end
return { status = "Progressing", message = "Waiting for the " .. obj.kind .. " to be reconciled" }
