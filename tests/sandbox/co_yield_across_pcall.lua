-- Check: the sandbox's own pcall/xpcall stay yieldable (a broken
-- continuation would corrupt results or the stack); values pass through.
-- Must: exit 0 with the right values (asserted).
-- expect-exit: 0
local co = coroutine.wrap(function(a)
  local ok, b = pcall(coroutine.yield, a + 1)
  local ok2, c = xpcall(coroutine.yield, function(e) return e end, b + 1)
  local ok3, e = pcall(function() coroutine.yield(c + 1); error("boom", 0) end)
  return ok and ok2 and not ok3 and e
end)
if co(1) ~= 2 then error("first yield") end
if co(10) ~= 11 then error("second yield") end
if co(20) ~= 21 then error("third yield") end
if co() ~= "boom" then error("pcall result after a yield is wrong") end
