-- Attack: require a module file that is a symlink leaving the root
-- (fixtures/evilmod.lua -> /etc/passwd).
-- Must: the resolved path is checked -> exit 5.
-- expect-exit: 5
-- expect-stderr: outside the project root
local m = require "fixtures.evilmod"
