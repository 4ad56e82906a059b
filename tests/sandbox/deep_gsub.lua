-- Attack: string.gsub whose replacement function calls gsub again, without
-- bound (C -> Lua -> C ...).
-- Must: a clean error -> exit 1, no crash.
-- expect-exit: 1
-- expect-stderr: stack overflow
-- within: 10
local function f(s) return (s:gsub(".", f)) end
f("ab")
