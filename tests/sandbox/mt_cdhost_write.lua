-- Attack: replace a primitive (cdhost.fs.read) for every other chunk.
-- Must: the module is read-only -> plain error naming it, exit 1.
-- expect-exit: 1
-- expect-stderr: 'cdhost.fs' is read-only in the cdhost sandbox
cdhost.fs.read = function() return "forged" end
