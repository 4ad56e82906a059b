-- Attack: odd load() modes and near-binary text: mode "b" for a text chunk,
-- a signature byte after leading spaces, an empty reader, a reader that
-- returns a non-string.
-- Must: plain failures returned as values (no crash, no bytecode). Exit 0.
-- expect-exit: 0
local f, e = load("return 1", "x", "b")
if f ~= nil or not tostring(e):find("mode is 'b'", 1, true) then error("mode 'b' accepted text: " .. tostring(e)) end
f, e = load("  \27Lua")
if f ~= nil then error("a chunk with a signature byte inside loaded") end
f = load(function() return nil end)
if type(f) ~= "function" or f() ~= nil then error("empty reader misbehaved") end
local ok = pcall(load, function() return 42 end)
if ok then error("reader returning a number accepted") end
f = load("return 6 * 7", "=text", "t")
if f() ~= 42 then error("text chunk broke") end
