-- Attack: probe string.format's width limit inside pcall, then use the
-- widest allowed width many times over.
-- Must: huge widths are plain (catchable) errors; the widest allowed field
-- (99) is bounded. Exit 0 (asserted).
-- expect-exit: 0
-- flags: --max-memory 64M
for _, fmt in ipairs { "%999999999d", "%100d", "%.999999999f", "%-999999999s" } do
  local ok, e = pcall(string.format, fmt, 1)
  if ok or not tostring(e):find("invalid conversion", 1, true) then
    error(fmt .. " was accepted: " .. tostring(e))
  end
end
if #string.format("%99d", 1) ~= 99 then error("%99d is not 99 wide") end
if #string.format(string.rep("%99d", 200), table.unpack(table.pack(string.rep("1", 200):byte(1, -1)))) ~= 99 * 200 then
  error("200 fields of width 99 misformatted")
end
