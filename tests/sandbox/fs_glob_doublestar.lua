-- Attack: a pattern of 200 consecutive "**" segments over a 7-level tree
-- (fixtures/deep): the walker tries every way to split the depth among them
-- (C(207,7), about 10^12 walks), all in C, never seen by the instruction
-- limit.
-- Must: consecutive "**" collapse (or the pattern is refused as invalid);
-- the call returns promptly. The --timeout is only a guard.
-- expect-exit: 0
-- flags: --timeout 3s
-- within: 5
local ok, l = pcall(cdhost.fs.glob, "fixtures/deep/" .. string.rep("**/", 200) .. "no-such-file")
if ok and #l ~= 0 then error("matched " .. #l) end
if not ok and l.code ~= "invalid" then error(tostring(l)) end
