-- Attack: a __gc finalizer runs at lua_close, after the run and outside the
-- limits, so an endless one would hang the host with no limit to stop it.
-- Must: setmetatable with __gc is refused as a forbidden capability -> exit 5.
-- expect-exit: 5
-- expect-stderr: __gc metamethods are not available to recipes
-- flags: --max-instructions 1000000
local t = setmetatable({}, { __gc = function() while true do end end })
