-- Attack: string.dump to produce bytecode (then load it to forge upvalues).
-- Must: string.dump is removed and forbidden -> exit 5.
-- expect-exit: 5
-- expect-stderr: 'string.dump' is not available to recipes
local bc = string.dump(function() return 1 end)
