-- Attack: cdhost.parallel churning through many coroutines that each loop
-- a little (the count hook restarts in each new coroutine).
-- Must: the scheduler charges each coroutine, the limit still trips -> exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 2000000
-- within: 10
local fns = {}
for i = 1, 256 do fns[i] = function() for _ = 1, 500 do end end end
while true do cdhost.parallel(fns) end
