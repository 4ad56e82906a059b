-- A 1 GiB string under a 64 MiB cap ends the run with exit 5.
-- expect-exit: 5
-- expect-stderr: memory limit
-- flags: --max-memory 64M
local s = string.rep("x", 2^30)
print(#s)
