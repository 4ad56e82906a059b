-- Attack: read through a symlink inside the root that points outside it
-- (fixtures/passwd -> /etc/passwd).
-- Must: the resolved path is checked -> exit 5.
-- expect-exit: 5
-- expect-stderr: outside the project root
local s = cdhost.fs.read("fixtures/passwd")
