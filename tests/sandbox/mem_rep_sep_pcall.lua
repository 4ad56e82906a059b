-- Attack: memory bomb inside pcall (the error swallowed, the work retried):
-- string.rep with a separator (a different size computation).
-- Must: the memory limit is sticky -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
for _ = 1, 3 do
  pcall(function()
    local s = string.rep("ab", 1 << 25, "cd")
  end)
end
cdhost.log.info("survived the memory bomb")
