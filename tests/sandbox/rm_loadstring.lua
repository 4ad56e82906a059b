-- Attack: Lua 5.1's loadstring (which some sandboxes forget).
-- Must: forbidden -> exit 5, even when probed through pcall.
-- expect-exit: 5
-- expect-stderr: 'loadstring' is not available to recipes
local ok = pcall(function() return loadstring("return 1") end)
error("pcall swallowed the violation: " .. tostring(ok))
