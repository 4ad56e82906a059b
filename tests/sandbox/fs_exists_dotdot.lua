-- Attack: use fs.exists as an oracle for files outside the root via "..".
-- Must: forbidden -> exit 5 (no true/false answer).
-- expect-exit: 5
-- expect-stderr: recipes may only read inside the project root
local e = cdhost.fs.exists("../../../../../../etc/passwd")
