-- Attack: fs.exists through a symlink that points outside the root.
-- Must: exit 5 (no answer about the outside file).
-- expect-exit: 5
-- expect-stderr: outside the project root
local e = cdhost.fs.exists("fixtures/passwd")
