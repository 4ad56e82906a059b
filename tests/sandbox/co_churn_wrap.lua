-- Attack: the same hook evasion with coroutine.wrap (a different C entry).
-- Must: exit 5 (instruction limit) quickly.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 200000
-- within: 5
while true do
  coroutine.wrap(function() local x = 1 end)()
end
