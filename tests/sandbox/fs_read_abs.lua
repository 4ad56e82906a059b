-- Attack: read an absolute path.
-- Must: forbidden -> exit 5, naming the project root.
-- expect-exit: 5
-- expect-stderr: outside the project root
local s = cdhost.fs.read("/etc/passwd")
