-- The host as recipes see it: cdhost table, fs, require, errors, modes.
local t = require "cdhost.testing"

t.test("mode is run", function()
  t.eq(cdhost.mode, "run")
  t.eq(require("cdhost").mode, "run")
  t.eq(type(cdhost.version), "string")
end)

t.test("fs.read reads inside the root", function()
  t.eq(cdhost.fs.read("data/hello.txt"), "line one\nline two\n")
end)

t.test("fs.read of a missing file is a catchable not_found", function()
  local e = t.raises("not_found", function() return cdhost.fs.read("data/none.txt") end)
  t.eq(e.op, "fs.read")
  t.truthy(e.message:find("data/none.txt", 1, true), "names the file")
  t.truthy(tostring(e):find("test_host.lua:%d+:"), "where: " .. tostring(e))
  t.truthy(tostring(e):find("[not_found]", 1, true))
end)

t.test("fs.exists and fs.glob", function()
  t.eq(cdhost.fs.exists("data/hello.txt"), true)
  t.eq(cdhost.fs.exists("data/nope"), false)
  local files = cdhost.fs.glob("data/*.yaml")
  t.eq(#files, 2)
  t.eq(files[1], "data/x.yaml")
  t.eq(files[2], "data/y.yaml")
  t.eq(getmetatable(files), "cdhost.list")
  t.eq(#cdhost.fs.glob("**/greet.lua"), 1)
  t.eq(#cdhost.fs.glob("data/*.json"), 0)
end)

t.test("argument errors name the argument", function()
  t.raises("bad argument #1", cdhost.fs.read)
  t.raises("bad argument #1", cdhost.fs.read, {})
end)

t.test("require finds project modules, once", function()
  local g = require "mods.greet"
  t.eq(g.hello("x"), "hello x")
  t.eq(g.loaded_as, "mods.greet")
  t.eq(require "mods.greet", g)
  t.eq(require("mods.pkg").name, "pkg via init.lua")
end)

t.test("module globals stay in the module", function()
  local g = require "mods.greet"
  t.eq(g.sees_own_global(), "mine")
  t.eq(module_private_global, nil)
end)

t.test("require errors", function()
  t.raises("not_found", require, "mods.absent")
  t.raises("broken module", require, "mods.broken")
  t.raises("broken module", require, "mods.broken") -- not cached as loaded
  t.raises("invalid module name", require, "mods..x.")
end)

t.test("recipe globals do not leak into the base", function()
  my_global = 42
  local f = load("return my_global")
  t.eq(f(), nil) -- load gets a fresh environment by default
  local env = { my_global = 7 }
  t.eq(load("return my_global", "chunk", "t", env)(), 7)
  t.eq(_G.my_global, 42)
end)

t.test("protected tables cannot be changed", function()
  t.raises("read-only", function() cdhost.fs.read = print end)
  t.raises("read-only", function() cdhost.kube = {} end)
  t.raises("read-only", function() string.trim = function() end end)
  t.raises("table expected", rawset, cdhost, "fs", {})
  t.eq(getmetatable(cdhost), "cdhost: protected")
  t.eq(getmetatable("x"), "cdhost: protected")
  t.raises("protected metatable", setmetatable, _ENV, {})
  -- the module saw the real primitive, whatever this recipe tried
  t.eq(require("mods.greet").real_read, cdhost.fs.read)
end)

t.test("pairs over a protected module lists its functions", function()
  local names = {}
  for k in pairs(cdhost.fs) do names[#names + 1] = k end
  table.sort(names)
  t.eq(names, { "exists", "glob", "read" })
  t.eq(#string.format("%5s", "x"), 5)
end)

t.test("structured errors", function()
  local e = t.raises("invalid", cdhost.parallel, { 1 })
  t.eq(e.op, "parallel")
  t.truthy(e.message:find("item 1 is a number", 1, true))
  t.eq(getmetatable(e), "cdhost.error")
end)

t.test("print and log go to stderr", function()
  print("a printed line", 1, true, nil)
  cdhost.log.info("an info line")
  cdhost.log.warn("a warning")
end)

t.test("standard libraries are there", function()
  t.eq(math.max(1, 5, 3), 5)
  t.eq(table.concat({ "a", "b" }, ","), "a,b")
  t.eq(utf8.len("héllo"), 5)
  t.eq(("abc"):upper(), "ABC")
  t.eq(select("#", 1, 2, 3), 3)
  local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1); return b * 2 end)
  t.eq(co(1), 2)
  t.eq(co(5), 10)
  -- yields across pcall inside coroutines still work
  local co2 = coroutine.create(function()
    local ok, v = pcall(function() return coroutine.yield("in pcall") end)
    return ok, v
  end)
  local _, y = coroutine.resume(co2)
  t.eq(y, "in pcall")
  local _, ok, v = coroutine.resume(co2, "back")
  t.eq(ok, true)
  t.eq(v, "back")
  t.eq(collectgarbage("count") > 0, true)
  t.raises("not available", collectgarbage, "stop")
end)

t.test("xpcall passes the handler's result", function()
  local ok, msg = xpcall(function() error("x", 0) end, function(m) return "handled " .. m end)
  t.eq(ok, false)
  t.eq(msg, "handled x")
  t.eq(select("#", xpcall(function() return 1, 2 end, print)), 3)
end)

t.done()
