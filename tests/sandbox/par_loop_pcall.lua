-- Attack: an endless loop inside a cdhost.parallel function (a coroutine of
-- the scheduler's), the call under pcall, then another loop.
-- Must: the hook runs in the scheduler's coroutines too, the trip is sticky
-- through cdhost.parallel's error path -> exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
local ok, e = pcall(cdhost.parallel, { function() return 1 end, function() while true do end end })
cdhost.log.info("caught: ", ok, e)
while true do end
