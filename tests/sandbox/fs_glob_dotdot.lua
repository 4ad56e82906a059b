-- Attack: list the parent directory with fs.glob("../*").
-- Must: forbidden -> exit 5.
-- expect-exit: 5
-- expect-stderr: recipes may only read inside the project root
local l = cdhost.fs.glob("../*")
