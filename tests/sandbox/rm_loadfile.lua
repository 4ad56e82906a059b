-- Attack: load (possibly precompiled) code from any path with loadfile.
-- Must: 'loadfile' is removed and forbidden -> exit 5.
-- expect-exit: 5
-- expect-stderr: 'loadfile' is not available to recipes
local f = loadfile("/etc/passwd", "b")
