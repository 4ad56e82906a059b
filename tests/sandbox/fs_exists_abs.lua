-- Attack: fs.exists("/etc/passwd") as an oracle.
-- Must: forbidden -> exit 5.
-- expect-exit: 5
-- expect-stderr: outside the project root
local e = cdhost.fs.exists("/etc/passwd")
