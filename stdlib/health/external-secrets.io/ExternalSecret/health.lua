-- external-secrets.io/ExternalSecret. The operator keeps two conditions:
--   Ready    True (reason SecretSynced) once the target Secret is written,
--            False (reason SecretSyncedError) when the provider or the
--            template failed;
--   Deleted  True (reason SecretDeleted) when the deletion policy removed
--            the Secret because the provider's data is gone;
-- and status.syncedResourceVersion, "<generation>-<hash of labels and
-- annotations>" of the last successful sync.
local status = obj.status or {}
local conds = {}
for _, c in ipairs(status.conditions or {}) do
  conds[c.type] = c
end
if conds.Deleted and conds.Deleted.status == "True" then
  return { status = "Degraded", message = conds.Deleted.message or "the target Secret was deleted" }
end
local ready = conds.Ready
if ready and ready.status == "False" then
  return { status = "Degraded", message = ready.message or ready.reason or "sync failed" }
end
local synced = tonumber(string.match(status.syncedResourceVersion or "", "^(%d+)-"))
local generation = obj.metadata.generation
if ready and ready.status == "True" then
  if generation and synced and synced < generation then
    return { status = "Progressing", message = "Waiting for generation " .. generation .. " to be synced" }
  end
  return { status = "Healthy", message = ready.message or "secret synced" }
end
return { status = "Progressing", message = "Waiting for the first sync" }
