-- Attack: poison the other shared libraries (table, math, utf8, coroutine)
-- for later chunks, e.g. make coroutine.create skip the sandbox's charge.
-- Must: each library is read-only; values unchanged. Exit 0.
-- expect-exit: 0
local libs = { table = table, math = math, utf8 = utf8, coroutine = coroutine, string = string }
for name, lib in pairs(libs) do
  if getmetatable(lib) ~= "cdhost: protected" then error(name .. " not sealed") end
  local ok = pcall(function() lib.injected = true end)
  if ok then error(name .. " is writable") end
  if pcall(rawset, lib, "injected", true) then error(name .. " accepts rawset") end
end
if pcall(function() math.pi = 3 end) or math.pi < 3.14 then error("math.pi changed") end
if pcall(function() coroutine.create = function(f) return f end end) then
  error("coroutine.create is replaceable")
end
local victim = require "helpers.victim"
if not victim.pcall_works() then error("victim's pcall broke") end
