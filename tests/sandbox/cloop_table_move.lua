-- Attack: table.move over 10^13 absent (nil) elements: a C loop of
-- lua_geti/lua_seti that allocates nothing and runs no Lua code, so neither
-- limit sees it; without --timeout the run takes hours.
-- Must: the call is charged to (or refused by) the instruction limit
-- -> exit 5. The --timeout is only a guard so a hang fails fast (exit 4).
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000 --timeout 3s
-- within: 5
local t = table.move({}, 1, 1e13, 1)
