-- tests/cli/stubs_walk.lua — every function of the running binary's cdhost
-- table has a LuaLS stub in stubs.lua (a copy of stdlib/meta/cdhost.lua, put
-- next to this recipe by test_reference.sh), and every stub names a function
-- that exists. Raises listing the differences.
--
-- Internals without a stub, each with its reason (a planned primitive that
-- raises saying it is not there yet, for one):
local INTERNAL = {
}

local function walk(t, prefix, out, seen)
  if seen[t] then return end
  seen[t] = true
  for k, v in pairs(t) do
    local name = prefix .. "." .. tostring(k)
    if type(v) == "function" then
      out[name] = true
    elseif (type(v) == "table" or type(v) == "userdata") and v ~= cdhost.null then
      if pcall(pairs, v) then walk(v, name, out, seen) end
    end
  end
end

local live = {}
walk(cdhost, "cdhost", live, {})

local stubbed = {}
for name in cdhost.fs.read("stubs.lua"):gmatch("\nfunction (cdhost[%w_.]*)%(") do
  stubbed[name] = true
end

local problems = {}
local function sorted(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end
for _, name in ipairs(sorted(live)) do
  if not stubbed[name] and not INTERNAL[name] then
    problems[#problems + 1] = "no stub for " .. name
  end
end
for _, name in ipairs(sorted(stubbed)) do
  if not live[name] then problems[#problems + 1] = "stub for a missing function " .. name end
end
for _, name in ipairs(sorted(INTERNAL)) do
  if not live[name] then problems[#problems + 1] = "internal " .. name .. " is gone: drop it here" end
  if stubbed[name] then problems[#problems + 1] = "internal " .. name .. " has a stub: drop it here" end
end
if #problems > 0 then error(table.concat(problems, "; "), 0) end
local n = 0
for _ in pairs(live) do n = n + 1 end
assert(n >= 40, "only " .. n .. " functions found: the walk is broken")
print(("stubs: %d functions, each with a stub"):format(n))
