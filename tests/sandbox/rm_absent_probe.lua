-- Attack: probe for the removed libraries without tripping the sandbox:
-- rawget on the environment, pairs() over it, a chunk loaded with an empty
-- environment, and the other removed/limited base functions.
-- Must: nothing is reachable; the recipe asserts it and exits 0.
-- expect-exit: 0
for _, name in ipairs { "io", "os", "debug", "package", "dofile", "loadfile",
                        "loadstring", "module", "jit", "ffi", "warn" } do
  if rawget(_ENV, name) ~= nil then error("rawget(_ENV) found " .. name) end
  if rawget(_G, name) ~= nil then error("rawget(_G) found " .. name) end
end
for k, v in pairs(_ENV) do
  if k ~= "_G" then error("fresh environment holds " .. tostring(k)) end
end
local probe = load("return io, os, debug, package, dofile, loadfile", "probe", "t", {})
if select("#", probe()) ~= 6 or probe() ~= nil then error("empty env reached a library") end
-- collectgarbage is limited to harmless options.
for _, opt in ipairs { "stop", "restart", "incremental", "generational", "setpause" } do
  local ok, e = pcall(collectgarbage, opt)
  if ok then error("collectgarbage('" .. opt .. "') is allowed") end
  if not tostring(e):find("not available in the sandbox", 1, true) then error(tostring(e)) end
end
if type(collectgarbage("count")) ~= "number" then error("collectgarbage('count') broke") end
