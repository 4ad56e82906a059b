-- Attack: memory bomb inside pcall (the error swallowed, the work retried):
-- doubling a string by repeated concatenation.
-- Must: the memory limit is sticky -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
for _ = 1, 3 do
  pcall(function()
    local s = "x"
    while true do s = s .. s end
  end)
end
cdhost.log.info("survived the memory bomb")
