-- Attack: hit the Lua stack overflow inside pcall (a recipe may catch an
-- ordinary error) and carry on: stack overflow must stay recoverable.
-- Must: exit 0 (asserted): the overflow comes back as an error.
-- expect-exit: 0
-- flags: --timeout 8s
-- within: 10
local function f(n) return 1 + f(n + 1) end
local ok, e = pcall(f, 1)
if ok or not tostring(e):find("stack overflow", 1, true) then error("no stack overflow: " .. tostring(e)) end
local function g(n) if n == 0 then return 0 end return 1 + g(n - 1) end
if g(10000) ~= 10000 then error("recursion broke after the overflow") end
