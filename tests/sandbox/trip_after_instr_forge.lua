-- Attack: run code *after* the instruction limit tripped. The trip only
-- re-arms the hook of the thread it happened in; a coroutine that was
-- already running (warmed up, so it needs no allocation) keeps its own hook
-- budget. Used as a __close metamethod it is entered from C during the
-- unwinding, receives the shared trip error object and rewrites it, and it
-- can still call primitives (cdhost.log.warn below).
-- Must: nothing runs after a trip, and the report still names the limit
-- -> exit 5 with "instruction limit" (not the forged "all fine").
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 10
local after = coroutine.wrap(function()
  local _, e = coroutine.yield()          -- warm-up stops here
  cdhost.log.warn("ran after the trip")
  e.message = "all fine"; e.code = "recipe"; e.where = ""
  coroutine.yield()
end)
after()
do
  local guard <close> = setmetatable({}, { __close = after })
  while true do end
end
