-- Attack: go through a symlinked directory that leaves the root
-- (fixtures/up3 -> ../../.., the repository root) to an existing file.
-- Must: exit 5.
-- expect-exit: 5
-- expect-stderr: outside the project root
local s = cdhost.fs.read("fixtures/up3/CMakeLists.txt")
