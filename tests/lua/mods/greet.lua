-- A module of the test project: required as "mods.greet".
local M = {}
M.loaded_as = ...
function M.hello(who) return "hello " .. who end
-- Module globals stay in the module's own environment.
module_private_global = "mine"
M.sees_own_global = function() return module_private_global end
M.real_read = cdhost.fs.read
return M
