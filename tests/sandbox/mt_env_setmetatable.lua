-- Attack: strip the environment's metatable (setmetatable(_ENV, nil)) so
-- that reads no longer fall back to the sandbox's base.
-- Must: refused with a plain error -> exit 1.
-- expect-exit: 1
-- expect-stderr: cannot change a protected metatable
setmetatable(_ENV, nil)
