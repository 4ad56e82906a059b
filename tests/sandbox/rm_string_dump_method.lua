-- Attack: reach string.dump through the string metatable (("").dump), which
-- bypasses the read-only 'string' proxy, and by a computed name.
-- Must: still forbidden -> exit 5.
-- expect-exit: 5
-- expect-stderr: 'string.dump' is not available to recipes
local name = "du" .. "mp"
local dump = ("")[name]
local bc = dump(print)
