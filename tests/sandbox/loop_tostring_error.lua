-- Attack: raise an error object whose __tostring never returns: the host's
-- message handler converts uncaught errors to text, in C, at the very end.
-- Must: the conversion runs under the limits -> exit 5, not a hang.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
error(setmetatable({}, { __tostring = function() while true do end end }))
