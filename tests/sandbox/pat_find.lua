-- Attack: a pathological pattern in string.find: 30 "a*" items before an
-- impossible "b" backtrack exponentially, inside one C call that the
-- instruction hook never sees (and the instruction limit is high).
-- Must: the wall-clock watchdog ends the run at --timeout plus its grace
-- second -> exit 4, naming --timeout.
-- expect-exit: 4
-- expect-stderr: --timeout
-- flags: --timeout 2s
-- within: 4
local s = string.rep("a", 30)
local pat = string.rep("a*", 30) .. "b"
local r = s:find(pat)
