-- Attack: string.rep("", math.maxinteger) allocates nothing but loops 2^63
-- times inside one C call: neither the instruction hook nor the memory cap
-- ever sees it, so without --timeout (no default) the run never ends.
-- Must: the call is charged to (or refused by) the instruction limit
-- -> exit 5. The --timeout is only a guard so a hang fails fast (exit 4).
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000 --timeout 3s
-- within: 5
local s = string.rep("", math.maxinteger)
