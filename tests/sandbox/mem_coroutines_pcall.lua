-- Attack: memory bomb inside pcall (the error swallowed, the work retried):
-- creating coroutines and keeping them all alive.
-- Must: the memory limit is sticky -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: memory limit of 67108864 bytes exceeded
-- flags: --max-memory 64M
-- within: 15
for _ = 1, 3 do
  pcall(function()
    local keep = {}
    local i = 0
    while true do
      i = i + 1
      keep[i] = coroutine.create(function() end)
    end
  end)
end
cdhost.log.info("survived the memory bomb")
