-- Attack: trip a 1 GiB string (memory limit) inside pcall, swallow the error and carry on
-- (retrying, and trying to do useful work afterwards).
-- Must: the limit is sticky and uncatchable -> exit 5, message names it.
-- expect-exit: 5
-- expect-stderr: memory limit
-- flags: --max-memory 64M
-- within: 10
for _ = 1, 3 do
  local ok, e = pcall(function() local s = string.rep("x", 2^30) end)
end
cdhost.log.info("survived the limit")
