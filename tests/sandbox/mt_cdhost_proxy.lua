-- Attack: reach the real tables behind `cdhost` and its modules with the raw
-- functions and metatable functions, to swap a primitive for every chunk.
-- Must: every attempt fails (the recipe asserts it) -> exit 0.
-- expect-exit: 0
local function refused(what, f, ...)
  local ok = pcall(f, ...)
  if ok then error(what .. " was allowed") end
end
for name, mod in pairs { cdhost = cdhost, fs = cdhost.fs, log = cdhost.log, json = cdhost.json } do
  if type(mod) ~= "userdata" then error(name .. " is a " .. type(mod) .. ", not a proxy") end
  if getmetatable(mod) ~= "cdhost: protected" then error(name .. ": metatable leaked") end
  refused("rawget(" .. name .. ")", rawget, mod, "read")
  refused("rawset(" .. name .. ")", rawset, mod, "read", print)
  refused("rawlen(" .. name .. ")", rawlen, mod)
  refused("next(" .. name .. ")", next, mod)
  refused("setmetatable(" .. name .. ")", setmetatable, mod, {})
  refused("assignment to " .. name, function() mod.read = print end)
end
local real_read = cdhost.fs.read
refused("assignment to cdhost.fs.read", function() cdhost.fs.read = function() return "fake" end end)
refused("assignment to cdhost.fs", function() cdhost.fs = { read = print } end)
if cdhost.fs.read ~= real_read then error("cdhost.fs.read changed") end
if require("cdhost") ~= cdhost then error("require 'cdhost' differs from the global") end
