-- Attack: ping-pong between the main thread and a coroutine, yielding across
-- pcall each time, so each side only runs a few instructions per switch.
-- Must: the instructions are still counted -> exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
local co = coroutine.wrap(function()
  while true do pcall(coroutine.yield) end
end)
while true do co() end
