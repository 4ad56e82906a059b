-- Attack: hide the ".." in the middle of a path that starts inside the root
-- ("fixtures/../../../../../../etc/passwd"), inside pcall.
-- Must: forbidden and uncatchable -> exit 5.
-- expect-exit: 5
-- expect-stderr: recipes may only read inside the project root
local ok, e = pcall(cdhost.fs.read, "fixtures/../../../../../../etc/passwd")
cdhost.log.info("carried on: ", ok, e)
