-- Attack: trip a 1 GiB string (memory limit) inside a coroutine.wrap function
-- called under pcall, then keep using other coroutines.
-- Must: exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit
-- flags: --max-memory 64M
-- within: 10
local ok = pcall(coroutine.wrap(function() local s = string.rep("x", 2^30) end))
local fine = coroutine.wrap(function() return "still works" end)
cdhost.log.info(ok, fine())
