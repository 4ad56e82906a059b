-- Attack: read an absolute path inside pcall and carry on if refused.
-- Must: the violation is uncatchable -> exit 5.
-- expect-exit: 5
-- expect-stderr: outside the project root
local ok, e = pcall(cdhost.fs.read, "//etc//passwd")
cdhost.log.info("carried on: ", ok, e)
