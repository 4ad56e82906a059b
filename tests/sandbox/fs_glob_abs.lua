-- Attack: list /etc with fs.glob("/etc/*").
-- Must: forbidden -> exit 5.
-- expect-exit: 5
-- expect-stderr: outside the project root
local l = cdhost.fs.glob("/etc/*")
