-- Attack: dodge the __gc check by adding __gc to the metatable *after*
-- setmetatable, then let the object die and the state close.
-- Must: Lua only marks objects for finalization at setmetatable time, so the
-- finalizer never runs: the run ends normally (exit 0), quickly.
-- expect-exit: 0
-- expect-stderr: late __gc never ran
-- within: 5
-- flags: --max-instructions 1000000
local mt = {}
local keep = { setmetatable({}, mt), setmetatable({}, mt) }
mt.__gc = function() while true do end end
keep = nil
collectgarbage()
collectgarbage()
cdhost.log.info("late __gc never ran")
