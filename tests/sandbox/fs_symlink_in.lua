-- Check: a symlink that stays inside the root is allowed (the confinement
-- must not be a blanket refusal): read it and compare with its target.
-- Must: exit 0 (asserted).
-- expect-exit: 0
local want = "inside fixture: 42\n"
if cdhost.fs.read("fixtures/inside.txt") ~= want then error("target content differs") end
if cdhost.fs.read("fixtures/inside_link.txt") ~= want then error("symlink content differs") end
if cdhost.fs.exists("fixtures/inside_link.txt") ~= true then error("exists(symlink) is not true") end
if cdhost.fs.exists("fixtures/no-such-file") ~= false then error("exists(missing) is not false") end
if cdhost.fs.read("./fixtures//inside_link.txt") ~= want then error("./ and // forms failed") end
