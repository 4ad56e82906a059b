-- Attack: string.rep("", math.maxinteger) (see cloop_rep_empty.lua) with a
-- --timeout set.
-- With the instruction limit off, the charge cannot trip it either.
-- Must: the wall-clock watchdog ends it at the deadline + grace -> exit 4.
-- expect-exit: 4
-- expect-stderr: --timeout
-- flags: --max-instructions 0 --timeout 2s
-- within: 4
local s = string.rep("", math.maxinteger)
