-- Attack: leave the root with dots only, which a dotted-name -> path
-- translation would turn into "/" and "..": require ".x", "a..b",
-- "....etc.passwd" (-> "////etc/passwd.lua").
-- Must: refused as invalid names before any path is built -> exit 1.
-- expect-exit: 1
-- expect-stderr: invalid module name '....etc.passwd'
for _, name in ipairs { ".x", "x.", "a..b", "fixtures..passwd" } do
  local ok, e = pcall(require, name)
  if ok or e.code ~= "invalid" then error("'" .. name .. "' was not refused: " .. tostring(e)) end
end
local m = require "....etc.passwd"
