-- Attack: memory bomb inside pcall (the error swallowed, the work retried):
-- table.concat of many references to one 1 MiB string.
-- Must: the memory limit is sticky -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
for _ = 1, 3 do
  pcall(function()
    local chunk = string.rep("x", 1 << 20)
    local parts = {}
    for i = 1, 200 do parts[i] = chunk end
    local s = table.concat(parts)
  end)
end
cdhost.log.info("survived the memory bomb")
