-- A module loaded *after* a hostile recipe tampered with what it could reach.
-- It captures, in its own fresh environment, the functions it sees, so the
-- recipe can check that none of its tampering leaked into other chunks.
local M = {}

M.fs_read = cdhost.fs.read
M.require = require
M.pcall = pcall
M.print = print
M.load = load
M.string_rep = string.rep
M.cdhost = cdhost

function M.read(path)
  return cdhost.fs.read(path)
end

function M.upper(s)
  return s:upper()
end

function M.global(name)
  return rawget(_ENV, name)
end

function M.pcall_works()
  local ok, v = pcall(function() return "real pcall" end)
  return ok == true and v == "real pcall"
end

return M
