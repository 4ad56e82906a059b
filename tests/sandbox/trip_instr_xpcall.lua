-- Attack: trip an endless loop (instruction limit) inside xpcall whose handler
-- replaces the error with a harmless value.
-- Must: exit 5 whatever the handler returns; message names the limit.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 10
local ok, e = xpcall(function() while true do end end, function() return "nothing happened" end)
cdhost.log.info("survived: ", ok, e)
