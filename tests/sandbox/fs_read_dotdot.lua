-- Attack: read the file right outside the project root, "../CMakeLists.txt"
-- (tests/CMakeLists.txt exists, so only the confinement can stop this).
-- Must: ".." is a forbidden capability -> exit 5.
-- expect-exit: 5
-- expect-stderr: recipes may only read inside the project root
local s = cdhost.fs.read("../CMakeLists.txt")
