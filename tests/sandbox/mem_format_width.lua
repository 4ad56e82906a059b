-- Attack: string.format with a huge field width, a classic way to make a C
-- library allocate far more than the arguments' size.
-- Must: Lua 5.4 refuses widths over two digits: a plain error, exit 1.
-- expect-exit: 1
-- expect-stderr: invalid conversion
-- flags: --max-memory 64M
local s = string.format("%999999999d", 1)
