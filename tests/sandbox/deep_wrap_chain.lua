-- Attack: the coroutine.wrap flavour of deep_close_chain.lua: each wrapped
-- coroutine errors and the wrapper closes it (lua_resetthread), running a
-- __close that calls the next wrapper, 30,000 deep.
-- Must: a clean error (C stack overflow), exit 1, no crash.
-- expect-exit: 1
-- expect-stderr: C stack overflow
-- within: 20
local nxt = function() end
for _ = 1, 30000 do
  local previous = nxt
  nxt = coroutine.wrap(function()
    local cc <close> = setmetatable({}, { __close = function() previous() end })
    coroutine.yield()
    error("close me")
  end)
  nxt()
end
nxt()
