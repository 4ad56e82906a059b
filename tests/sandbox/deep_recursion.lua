-- Attack: plain unbounded Lua recursion (not a tail call), ~200,000 frames
-- deep before Lua's "stack overflow".
-- Must: a clean, prompt error -> exit 1 naming the stack overflow. The
-- --timeout is only a guard so that a hang fails fast (exit 4).
-- expect-exit: 1
-- expect-stderr: stack overflow
-- flags: --timeout 5s
-- within: 7
local function f(n) return 1 + f(n + 1) end
f(1)
