-- Attack: trip an endless loop (instruction limit) inside pcall, swallow the error and carry on
-- (retrying, and trying to do useful work afterwards).
-- Must: the limit is sticky and uncatchable -> exit 5, message names it.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 10
for _ = 1, 3 do
  local ok, e = pcall(function() while true do end end)
end
cdhost.log.info("survived the limit")
