-- Attack: unbounded recursion through metamethods (__index calling itself:
-- each level is a C call into Lua).
-- Must: a clean error (C stack overflow) -> exit 1, no crash.
-- expect-exit: 1
-- expect-stderr: stack overflow
-- within: 10
local t = setmetatable({}, { __index = function(t, k) return t[k .. "x"] end })
local v = t.x
