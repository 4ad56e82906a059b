-- Attack: feed the binary signature through a reader function, one byte at a
-- time, hoping only the string form of load() is checked.
-- Must: the assembled chunk is checked too -> exit 5.
-- expect-exit: 5
-- expect-stderr: binary (precompiled) chunks are not allowed
local pieces = { "\27", "L", "u", "a", "\x54", "\0" }
local i = 0
local f = load(function() i = i + 1; return pieces[i] end, "=reader", "bt")
