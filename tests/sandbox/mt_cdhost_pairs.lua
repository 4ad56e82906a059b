-- Attack: use pairs() on the proxies to get hold of the real tables (the
-- iterator's state or the values it yields), then modify them.
-- Must: pairs only ever hands out proxies, functions and plain data
-- (cdhost.args); a forged key to the iterator is a clean error. Exit 0.
-- expect-exit: 0
local seen = 0
for k, v in pairs(cdhost) do
  seen = seen + 1
  if type(v) == "table" and k ~= "args" then
    error("pairs(cdhost) leaked the real table of cdhost." .. tostring(k))
  end
  if type(v) == "userdata" and v ~= cdhost.null then
    if getmetatable(v) ~= "cdhost: protected" then error(k .. " is not protected") end
    for fk, fv in pairs(v) do
      if type(fv) == "table" then error("pairs(cdhost." .. k .. ") leaked table " .. fk) end
    end
  end
end
if seen < 5 then error("pairs(cdhost) saw only " .. seen .. " fields") end
local iter, state, init = pairs(cdhost.fs)
if state ~= cdhost.fs or init ~= nil then error("pairs() state is not the proxy") end
if type(iter) ~= "function" then error("odd iterator") end
local ok = pcall(iter, state, "no-such-key")
if ok then error("iterator accepted a forged key") end
local ok2, e = pcall(function() state.read = print end)
if ok2 then error("state of pairs() is writable") end
