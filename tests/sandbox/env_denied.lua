-- Attack: read an environment variable that was not allowed.
-- Must: forbidden capability -> exit 5, telling how to allow it.
-- expect-exit: 5
-- expect-stderr: environment variable 'HOME' is not allowed
-- expect-stderr: --allow-env HOME
local home = cdhost.env("HOME")
