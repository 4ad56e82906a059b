-- Attack: "**" over a directory with symlink cycles (fixtures/cycle/a -> .,
-- fixtures/cycle/b -> .): each level doubles, down to the kernel's 40-link
-- limit, 2^40 directory walks inside one C call that no instruction limit
-- sees; without --timeout (which has no default) the run never ends.
-- Must: the walk does not follow symlinked directories endlessly; the call
-- returns promptly (the --timeout is only a guard so a hang fails fast).
-- expect-exit: 0
-- flags: --timeout 3s
-- within: 5
local l = cdhost.fs.glob("fixtures/cycle/**/no-such-file")
if #l ~= 0 then error("matched " .. #l) end
