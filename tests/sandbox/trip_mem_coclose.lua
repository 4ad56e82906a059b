-- Attack: trip a 1 GiB string (memory limit) inside a coroutine, then
-- coroutine.close it (a path that runs pending __close handlers and returns
-- the error as a value) and carry on.
-- Must: exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit
-- flags: --max-memory 64M
-- within: 10
local co = coroutine.create(function()
  local guard <close> = setmetatable({}, { __close = function() return "swallowed" end })
  coroutine.yield()
  local s = string.rep("x", 2^30)
end)
coroutine.resume(co)
pcall(coroutine.resume, co)
local ok, e = pcall(coroutine.close, co)
cdhost.log.info("survived: ", ok, e)
