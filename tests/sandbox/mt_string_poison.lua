-- Attack: change string functions so that *other* chunks (a module loaded
-- later) run the recipe's code when they call s:upper() or string.rep.
-- Must: every write is refused; the victim module still gets the real
-- functions. Exit 0 (asserted).
-- expect-exit: 0
local function evil() return "POISONED" end
for _, attempt in ipairs {
  function() string.upper = evil end,
  function() string.rep = evil end,
  function() rawset(string, "upper", evil) end,
  function() getmetatable("").__index = { upper = evil } end,
  function() getmetatable("").__index.upper = evil end,
  function() ("").upper = evil end,
} do
  if pcall(attempt) then error("a write to the string library succeeded") end
end
string = { upper = evil, rep = evil } -- only the recipe's own global
local victim = require "helpers.victim"
if victim.upper("abc") ~= "ABC" then error("victim's s:upper() was poisoned") end
if victim.string_rep("ab", 2) ~= "abab" then error("victim's string.rep was poisoned") end
if ("abc"):upper() ~= "ABC" then error("the recipe's own string methods changed") end
