-- Attack: memory bomb: creating coroutines and keeping them all alive.
-- Must: the capped allocator trips -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
local keep = {}
local i = 0
while true do
  i = i + 1
  keep[i] = coroutine.create(function() end)
end
