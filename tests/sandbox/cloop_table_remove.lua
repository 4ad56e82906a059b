-- Attack: table.remove(t, 1) where __len claims math.maxinteger elements:
-- the same unbounded C shifting loop as cloop_table_insert.lua.
-- Must: exit 5 (instruction limit). The --timeout is only a guard.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000 --timeout 3s
-- within: 5
local t = setmetatable({}, { __len = function() return math.maxinteger end })
table.remove(t, 1)
