-- Attack: require a file outside the root with a relative path.
-- Must: module names are dotted names; a path is a forbidden capability
-- -> exit 5.
-- expect-exit: 5
-- expect-stderr: files outside the project root cannot be required
local m = require "../x"
