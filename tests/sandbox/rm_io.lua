-- Attack: write the escape marker with the io library.
-- Must: reading the global 'io' is a forbidden capability -> exit 5, nothing written.
-- expect-exit: 5
-- expect-stderr: 'io' is not available to recipes
-- flags: --allow-env CDHOST_ESCAPE_MARK
local mark = cdhost.env("CDHOST_ESCAPE_MARK")
local f = io.open(mark, "w")
f:write("escaped")
f:close()
