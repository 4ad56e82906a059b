-- Attack: --allow-env HOME is given; read another variable (PATH) too.
-- Must: only the named variable is allowed -> exit 5 for PATH.
-- expect-exit: 5
-- expect-stderr: environment variable 'PATH' is not allowed
-- flags: --allow-env HOME
local home = cdhost.env("HOME")
if type(home) ~= "string" then error("HOME is " .. type(home)) end
local path = cdhost.env("PATH")
