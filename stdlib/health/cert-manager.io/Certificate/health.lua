-- cert-manager.io/Certificate, from cert-manager's two conditions:
--   Ready    True once the Secret holds a valid certificate for this spec;
--   Issuing  True while a certificate is being requested, False with
--            reason Failed when the last request failed (cert-manager then
--            retries with a growing back-off, counting failedIssuanceAttempts).
-- A ready certificate stays Healthy while it renews: the current one serves.
local status = obj.status or {}
local conds = {}
for _, c in ipairs(status.conditions or {}) do
  conds[c.type] = c
end
local ready, issuing = conds.Ready, conds.Issuing
local generation = obj.metadata.generation

if ready and generation and (ready.observedGeneration or generation) < generation then
  return { status = "Progressing",
           message = "Waiting for cert-manager to observe generation " .. generation }
end
if ready and ready.status == "True" then
  return { status = "Healthy", message = ready.message or "Certificate is ready" }
end
if issuing and issuing.status == "False" and issuing.reason == "Failed" then
  local msg = issuing.message or "Issuing failed"
  if status.failedIssuanceAttempts then
    msg = msg .. " (" .. status.failedIssuanceAttempts .. " failed attempt(s))"
  end
  return { status = "Degraded", message = msg }
end
if issuing and issuing.status == "True" then
  return { status = "Progressing", message = "Issuing: " .. (issuing.message or "in progress") }
end
if ready then
  return { status = "Progressing", message = ready.message or "Waiting for the certificate" }
end
return { status = "Progressing", message = "Waiting for cert-manager to report a status" }
