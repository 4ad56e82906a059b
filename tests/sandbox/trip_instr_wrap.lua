-- Attack: trip an endless loop (instruction limit) inside a coroutine.wrap function
-- called under pcall, then keep using other coroutines.
-- Must: exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 10
local ok = pcall(coroutine.wrap(function() while true do end end))
local fine = coroutine.wrap(function() return "still works" end)
cdhost.log.info(ok, fine())
