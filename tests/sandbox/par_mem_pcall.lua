-- Attack: memory exhaustion inside a cdhost.parallel function, caught by a
-- pcall inside the function and by one around the call.
-- Must: the memory trip is sticky -> exit 5.
-- expect-exit: 5
-- expect-stderr: memory limit
-- flags: --max-memory 64M
-- within: 10
local ok, e = pcall(cdhost.parallel, {
  function()
    local ok2 = pcall(function()
      local t = {}
      for i = 1, math.huge do t[i] = ("x"):rep(1024) .. i end
    end)
    return ok2
  end,
})
cdhost.log.info("caught: ", ok, e)
local t = {}
for i = 1, 100 do t[i] = ("y"):rep(1 << 20) .. i end
