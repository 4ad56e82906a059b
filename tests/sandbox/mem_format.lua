-- Attack: memory bomb: doubling a string through string.format("%s%s").
-- Must: the capped allocator trips -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
local s = "x"
while true do s = string.format("%s%s", s, s) end
