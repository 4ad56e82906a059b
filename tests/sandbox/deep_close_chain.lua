-- Attack: 30,000 coroutines, each closing the previous one from a __close
-- handler. Lua 5.4.4's coroutine.close has no C-stack accounting, so the
-- chain recurses in C until the process segfaults.
-- Must: the sandbox's nesting guard ends it with a clean error -> exit 1.
-- expect-exit: 1
-- expect-stderr: C stack overflow
-- within: 20
local coro = false
for _ = 1, 30000 do
  local previous = coro
  coro = coroutine.create(function()
    local cc <close> = setmetatable({}, { __close = function()
      if previous then assert(coroutine.close(previous)) end
    end })
    coroutine.yield()
  end)
  assert(coroutine.resume(coro))
end
assert(coroutine.close(coro))
