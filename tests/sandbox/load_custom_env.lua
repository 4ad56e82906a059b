-- Attack: load() with a custom environment, trying to reach the shared base
-- (or the forbidden libraries) from inside: through the empty env, a nil
-- env, an env whose __index is the recipe's _ENV, and the default env.
-- Must: a chunk sees exactly the env it is given (nothing more). Exit 0.
-- expect-exit: 0
local probe = "return print, require, cdhost, io, os, getmetatable"
local got = table.pack(load(probe, "empty", "t", {})())
for i = 1, got.n do
  if got[i] ~= nil then error("empty env reached value #" .. i) end
end
local f = load("return x", "nilenv", "t", nil)
if pcall(f) then error("nil env chunk read a global") end
local bridged = load("return io, rawget(_ENV, 'print')", "bridge", "t",
  setmetatable({}, { __index = function(_, k) if k ~= "io" then return _ENV[k] end end }))
local io_v, raw_print = bridged()
if io_v ~= nil or raw_print ~= nil then error("bridged env reached io") end
-- The default env is a fresh one over the base: its own _G, sealed.
local env = load("return _ENV")()
if env == _ENV or getmetatable(env) ~= "cdhost: protected" then error("default env is not fresh") end
for k in pairs(env) do
  if k ~= "_G" then error("default env is not empty: " .. tostring(k)) end
end
