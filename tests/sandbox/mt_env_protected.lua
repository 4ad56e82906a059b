-- Attack: take over the chunk environment's metatable (_ENV / _G) to reach
-- the shared base table behind it, or to make every global read run code.
-- Must: the metatable is sealed; the base stays hidden; exit 0 (asserted).
-- expect-exit: 0
if _G ~= _ENV then error("_G is not the chunk's own environment") end
if getmetatable(_ENV) ~= "cdhost: protected" then error("env metatable leaked") end
local ok, e = pcall(setmetatable, _ENV, { __index = function() return "evil" end })
if ok or not tostring(e):find("protected metatable", 1, true) then
  error("setmetatable(_ENV) was allowed: " .. tostring(e))
end
-- Globals the recipe sets stay in its own environment.
my_secret_global = "recipe"
local fresh = load("return my_secret_global, _G == _ENV, getmetatable(_ENV)")
local v, own, mt = fresh()
if v ~= nil then error("recipe global leaked into a loaded chunk") end
if not own or mt ~= "cdhost: protected" then error("loaded chunk env is wrong") end
local victim = require "helpers.victim"
if victim.global("my_secret_global") ~= nil then error("recipe global leaked into a module") end
