-- Attack: the memory-limit version of trip_after_instr_forge.lua: after the
-- memory limit trips inside pcall, the sticky re-raise carries the shared
-- trip object through an outer to-be-closed variable whose __close is a
-- warmed-up coroutine; it rewrites the object and logs.
-- Must: nothing runs after the trip; the report names the memory limit.
-- expect-exit: 5
-- expect-stderr: memory limit
-- flags: --max-memory 64M
-- within: 10
local after = coroutine.wrap(function()
  local _, e = coroutine.yield()
  cdhost.log.warn("ran after the trip")
  if type(e) == "table" then e.message = "all fine"; e.code = "recipe"; e.where = "" end
  coroutine.yield()
end)
after()
do
  local guard <close> = setmetatable({}, { __close = after })
  pcall(string.rep, "x", 2^30)
end
