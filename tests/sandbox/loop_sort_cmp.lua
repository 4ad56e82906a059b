-- Attack: an endless comparator in table.sort (Lua called from a C loop),
-- with the error swallowed by pcall.
-- Must: exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
local t = {}
for i = 1, 100 do t[i] = i end
pcall(table.sort, t, function(a, b) while true do end end)
cdhost.log.info("sorted")
