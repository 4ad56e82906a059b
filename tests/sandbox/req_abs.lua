-- Attack: require an absolute path (would run /etc/passwd as Lua).
-- Must: exit 5.
-- expect-exit: 5
-- expect-stderr: files outside the project root cannot be required
local m = require "/etc/passwd"
