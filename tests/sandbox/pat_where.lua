-- Attack: get stuck in a pathological pattern right at the start, before
-- the count hook has fired once (it fires every 1000 instructions and is
-- what records the "last recipe line seen").
-- Must: exit 4 at the deadline, and, as SPEC section 2 says, the message
-- says where the run was: this file and line, not "unknown".
-- expect-exit: 4
-- expect-stderr: --timeout
-- expect-stderr: pat_where.lua:
-- flags: --timeout 2s
-- within: 4
local s = string.rep("a", 30)
local r = s:find(string.rep("a*", 30) .. "b")
