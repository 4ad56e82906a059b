-- Attack: an endless __tostring invoked by the host (cdhost.log.info calls
-- luaL_tolstring from C).
-- Must: Lua code called from C is still counted -> exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
cdhost.log.info(setmetatable({}, { __tostring = function() while true do end end }))
