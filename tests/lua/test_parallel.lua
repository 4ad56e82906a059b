-- cdhost.parallel as recipes see it (docs/parallel.md): results in order,
-- the first error, bad input, nesting, coroutines of the recipe's own
-- inside, pcall inside. The builds it overlaps are tested end to end in
-- tests/e2e/image/test_parallel.sh; limits in tests/cli/test_cli.sh.
local t = require "cdhost.testing"
local P = cdhost.parallel

t.test("results come back in order, one value each", function()
  local r = P {
    function() return 1 end,
    function() return "two", "dropped" end,
    function() end,
    function() return { x = 4 } end,
  }
  t.eq(r[1], 1)
  t.eq(r[2], "two")
  t.eq(r[3], nil)
  t.eq(r[4].x, 4)
  t.eq(#P {}, 0)
end)

t.test("every function runs, each once", function()
  local seen = {}
  local fns = {}
  for i = 1, 50 do
    fns[i] = function() seen[#seen + 1] = i; return i * i end
  end
  local r = P(fns)
  t.eq(#seen, 50)
  for i = 1, 50 do t.eq(r[i], i * i) end
end)

t.test("the first error is raised; later functions do not start", function()
  local started = {}
  local e = t.raises("boom in 2", P, {
    function() started[1] = true end,
    function() error("boom in 2") end,
    function() started[3] = true end,
  })
  t.truthy(tostring(e):find("test_parallel.lua:", 1, true), tostring(e))
  t.eq(started[1], true)
  t.eq(started[3], nil)
  -- a cdhost error keeps its code
  local ok, err = pcall(P, { function() cdhost.fs.read("no/such/file") end })
  t.eq(ok, false)
  t.eq(err.code, "not_found")
end)

t.test("bad input", function()
  t.raises("item 2 is a number, not a function", P, { function() end, 42 })
  t.raises("item 1 is a string, not a function", P, { "f" })
  t.raises("table expected", P, nil)
  local many = {}
  for i = 1, 257 do many[i] = function() end end
  t.raises("257 functions; at most 256 at once", P, many)
  t.raises("function 1 called coroutine.yield outside a coroutine of its own",
           P, { function() coroutine.yield(1) end })
end)

t.test("nesting, coroutines of its own, pcall inside", function()
  local r = P {
    function()
      local inner = P { function() return 2 end, function() return 3 end }
      return inner[1] + inner[2]
    end,
    function()
      local gen = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i) end end)
      return gen() + gen() + gen()
    end,
    function()
      local ok, e = pcall(error, { code = "mine" })
      return ok == false and e.code
    end,
  }
  t.eq(r[1], 5)
  t.eq(r[2], 6)
  t.eq(r[3], "mine")
end)

t.done()
