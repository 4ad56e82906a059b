-- Attack: existence oracle outside the root. A path through the outward
-- symlink fixtures/up3 (-> the repository root) that does NOT exist answers
-- "not found"/false, while one that exists is a violation: a recipe can
-- probe the outside file system name by name.
-- Must: any path through a symlink that leaves the root is refused the same
-- way, existing or not -> exit 5.
-- expect-exit: 5
-- expect-stderr: outside the project root
local ok, e = pcall(cdhost.fs.exists, "fixtures/up3/no-such-file-here")
cdhost.log.info("oracle answered: ", ok, e)
local ok2, e2 = pcall(cdhost.fs.read, "fixtures/up3/no-such-dir/x")
cdhost.log.info("oracle answered: ", ok2, e2)
