-- Attack: as loop_tostring_error.lua, with the instruction limit off: only
-- the wall clock can stop the handler's conversion.
-- Must: exit 4 at the --timeout deadline.
-- expect-exit: 4
-- expect-stderr: --timeout
-- flags: --max-instructions 0 --timeout 2s
-- within: 4
error(setmetatable({}, { __tostring = function() while true do end end }))
