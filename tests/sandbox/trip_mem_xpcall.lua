-- Attack: trip a 1 GiB string (memory limit) inside xpcall whose handler
-- replaces the error with a harmless value.
-- Must: exit 5 whatever the handler returns; message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit
-- flags: --max-memory 64M
-- within: 10
local ok, e = xpcall(function() local s = string.rep("x", 2^30) end, function() return "nothing happened" end)
cdhost.log.info("survived: ", ok, e)
