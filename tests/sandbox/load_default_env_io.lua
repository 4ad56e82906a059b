-- Attack: read 'io' from inside a chunk made by load() (its default
-- environment falls back to the same base).
-- Must: same forbidden capability as in the recipe itself -> exit 5.
-- expect-exit: 5
-- expect-stderr: 'io' is not available to recipes
local get = load("return io")
local io = get()
