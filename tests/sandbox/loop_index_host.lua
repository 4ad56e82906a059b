-- Attack: an endless __index (and __len) reached from C library code:
-- table.concat reads the elements with lua_geti.
-- Must: exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
local t = setmetatable({}, {
  __len = function() return 3 end,
  __index = function() while true do end end,
})
local s = table.concat(t, ",")
