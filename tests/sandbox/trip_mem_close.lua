-- Attack: trip a 1 GiB string (memory limit) in a block with a to-be-closed
-- variable whose __close tries to recover (pcall, more work, a new error).
-- Must: exit 5; the __close cannot turn the limit into something else.
-- expect-exit: 5
-- expect-stderr: memory limit
-- flags: --max-memory 64M
-- within: 10
local ok = pcall(function()
  local guard <close> = setmetatable({}, { __close = function()
    pcall(function() return 1 end)
    error("replaced by __close", 0)
  end })
  local s = string.rep("x", 2^30)
end)
cdhost.log.info("survived: ", ok)
