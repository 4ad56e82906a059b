-- Attack: an endless loop inside a coroutine (its own lua_State), resumed
-- under pcall.
-- Must: the hook runs in coroutines too -> exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
local co = coroutine.create(function() while true do end end)
local ok, e = pcall(coroutine.resume, co)
cdhost.log.info("resumed after the trip: ", ok, e)
while true do end
