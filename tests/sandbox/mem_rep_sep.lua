-- Attack: memory bomb: string.rep with a separator (a different size computation).
-- Must: the capped allocator trips -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
local s = string.rep("ab", 1 << 25, "cd")
