-- Attack: short coroutines whose work is done inside pcall, and the limit
-- error swallowed by an outer pcall in the loop.
-- Must: the limit is sticky -> exit 5 quickly.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 200000
-- within: 5
while true do
  pcall(function()
    for _ = 1, 10 do
      coroutine.wrap(pcall)(function() return 1 end)
    end
  end)
end
