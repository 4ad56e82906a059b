-- Attack: trip an endless loop (instruction limit) in a block with a to-be-closed
-- variable whose __close tries to recover (pcall, more work, a new error).
-- Must: exit 5; the __close cannot turn the limit into something else.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 10
local ok = pcall(function()
  local guard <close> = setmetatable({}, { __close = function()
    pcall(function() return 1 end)
    error("replaced by __close", 0)
  end })
  while true do end
end)
cdhost.log.info("survived: ", ok)
