-- Check: --allow-env HOME lets the recipe read HOME, as a string.
-- Must: exit 0 (asserted).
-- expect-exit: 0
-- flags: --allow-env HOME
local home = cdhost.env("HOME")
if type(home) ~= "string" or home == "" then error("HOME is " .. type(home)) end
if cdhost.env("HOME") ~= home then error("HOME not stable") end
