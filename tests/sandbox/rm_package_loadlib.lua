-- Attack: load a C function from libc with package.loadlib and call system().
-- Must: 'package' is a forbidden capability -> exit 5, nothing executed.
-- expect-exit: 5
-- expect-stderr: 'package' is not available to recipes
-- flags: --allow-env CDHOST_ESCAPE_MARK
local system = package.loadlib("libc.so.6", "system")
system("touch '" .. cdhost.env("CDHOST_ESCAPE_MARK") .. "'")
