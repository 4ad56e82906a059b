-- Check: a module file that is a symlink staying inside the root
-- (fixtures/goodmod.lua -> ../helpers/victim.lua) loads normally.
-- Must: exit 0 (asserted).
-- expect-exit: 0
local m = require "fixtures.goodmod"
if type(m) ~= "table" or type(m.upper) ~= "function" then error("module did not load") end
if m.upper("ok") ~= "OK" then error("module misbehaves") end
