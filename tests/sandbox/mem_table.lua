-- Attack: memory bomb: growing a table without bound.
-- Must: the capped allocator trips -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
local t = {}
local i = 0
while true do i = i + 1; t[i] = i end
