-- Attack: an endless loop in an xpcall message handler (Lua re-enters the
-- handler when it errors, so a naive trip could recurse or be swallowed).
-- Must: exit 5, cleanly, quickly.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
local ok, e = xpcall(error, function() while true do end end, "boom")
cdhost.log.info("handler returned: ", ok, e)
