-- Attack: overwrite string.format directly (no pcall).
-- Must: the library is read-only -> plain error, exit 1.
-- expect-exit: 1
-- expect-stderr: 'string' is read-only in the cdhost sandbox
string.format = function() return "forged" end
