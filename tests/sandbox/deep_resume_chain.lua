-- Attack: coroutines resuming coroutines, 10,000 deep (each resume is a C
-- call that nests).
-- Must: Lua's own C-stack accounting stops it: clean error, exit 1.
-- expect-exit: 1
-- expect-stderr: C stack overflow
-- within: 20
local function dive(n)
  if n == 0 then return 0 end
  local co = coroutine.create(dive)
  local ok, v = coroutine.resume(co, n - 1)
  if not ok then error(v, 0) end
  return v + 1
end
dive(10000)
