-- Drives cdhost.registry for the e2e tests: --set op=resolve|exists|copy|tags
-- plus ref= / src= dst=; prints "RESULT <json>" (stderr, through print).
local a = cdhost.args
local out, msg
if a.op == "resolve" then
  out, msg = cdhost.registry.resolve(a.ref)
elseif a.op == "exists" then
  out, msg = cdhost.registry.exists(a.ref)
  if out ~= nil then out = { exists = out } end
elseif a.op == "copy" then
  out = cdhost.registry.copy(a.src, a.dst)
elseif a.op == "tags" then
  out = cdhost.registry.tags(a.ref)
else
  error("unknown op " .. tostring(a.op))
end
if out == nil then
  print("RESULT null " .. tostring(msg))
else
  print("RESULT " .. cdhost.json.encode(out, { sort_keys = true }))
end
