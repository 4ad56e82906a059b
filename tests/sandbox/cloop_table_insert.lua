-- Attack: table.insert at position 1 of a table whose __len claims
-- math.maxinteger - 1 elements: the C loop shifts 2^63 (absent, nil)
-- elements with lua_geti/lua_seti, allocating nothing and running no Lua
-- code after the single __len call, so neither limit ever sees it.
-- Must: the work is charged to (or refused by) the instruction limit
-- -> exit 5. The --timeout is only a guard so a hang fails fast (exit 4).
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000 --timeout 3s
-- within: 5
local t = setmetatable({}, { __len = function() return math.maxinteger - 1 end })
table.insert(t, 1, "x")
