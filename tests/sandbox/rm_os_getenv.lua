-- Attack: read the environment behind --allow-env's back with os.getenv,
-- inside pcall so that a plain error would be swallowed.
-- Must: the forbidden capability is uncatchable -> exit 5.
-- expect-exit: 5
-- expect-stderr: 'os' is not available to recipes
local ok, home = pcall(function() return os.getenv("HOME") end)
cdhost.log.info("pcall swallowed the violation: ", ok, home)
