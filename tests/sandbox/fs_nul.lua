-- Attack: a path with an embedded NUL byte. The C side sees only the part
-- before the NUL ("cdhost.libs"), the Lua side checked the whole string:
-- whatever is validated is not what is opened.
-- Must: such a path is refused as invalid (a catchable error), never read
-- as something else. Exit 0 (asserted).
-- expect-exit: 0
for _, f in ipairs { cdhost.fs.read, cdhost.fs.exists, cdhost.fs.glob } do
  local ok, e = pcall(f, "cdhost.libs\0/../../../../etc/passwd")
  if ok then error("a path with a NUL byte was accepted (got " .. tostring(e) .. ")") end
  if type(e) ~= "table" or e.code ~= "invalid" then error("unexpected error: " .. tostring(e)) end
end
