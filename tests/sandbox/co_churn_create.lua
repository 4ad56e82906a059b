-- Attack: hook evasion. Each new coroutine starts with a fresh instruction
-- count, so a loop of short-lived coroutines (each under the hook interval)
-- could run forever without the count hook ever firing.
-- Must: creating coroutines is charged -> instruction limit, exit 5, fast.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 200000
-- within: 5
local function short() return 1 end
while true do
  local co = coroutine.create(short)
  coroutine.resume(co)
end
