-- Attack: memory bomb: doubling a string by repeated concatenation.
-- Must: the capped allocator trips -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
local s = "x"
while true do s = s .. s end
