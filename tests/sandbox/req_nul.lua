-- Attack: a module name with an embedded NUL byte. The C side validates and
-- loads only the part before the NUL ("helpers.victim"), so
-- "helpers.victim\0/../../x" passes the name check and is cached under a
-- different name than the one asked for.
-- Must: such a name is refused as invalid. Exit 0 (asserted).
-- expect-exit: 0
local ok, e = pcall(require, "helpers.victim\0/../../../../etc/passwd")
if ok then error("a module name with a NUL byte was loaded") end
if type(e) ~= "table" or e.code ~= "invalid" then error("unexpected error: " .. tostring(e)) end
