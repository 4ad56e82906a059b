-- cdhost.testing — a small assertion harness for recipe and library tests.
--
--   local t = require "cdhost.testing"
--   t.test("name", function() t.eq(1 + 1, 2) end)
--   t.done()   -- logs "N passed, N failed" and raises if any failed
--
-- Tests run inside the real sandbox, by the real binary (cdhost's own
-- tests/lua/*.lua use it too).
local M = {}
local passed, failed = 0, 0

local function show(v)
  if type(v) == "string" then return ("%q"):format(v) end
  return tostring(v)
end

--- Deep equality of plain values (tables compared key by key; integer and
--- float are different types).
---@param a any
---@param b any
---@param path? string
---@return boolean equal
---@return string|nil why
function M.deep_eq(a, b, path)
  path = path or "value"
  if type(a) ~= type(b) then
    return false, ("%s: %s ~= %s"):format(path, show(a), show(b))
  end
  if type(a) ~= "table" then
    if a == b or (a ~= a and b ~= b) then
      if math.type(a) ~= math.type(b) then
        return false, ("%s: %s is %s, expected %s"):format(path, show(a),
          math.type(a), math.type(b))
      end
      return true
    end
    return false, ("%s: %s ~= %s"):format(path, show(a), show(b))
  end
  for k, v in pairs(a) do
    local ok, why = M.deep_eq(v, b[k], path .. "." .. tostring(k))
    if not ok then return false, why end
  end
  for k in pairs(b) do
    if a[k] == nil then return false, path .. "." .. tostring(k) .. ": missing" end
  end
  return true
end

local function fail(msg, level)
  error(msg, (level or 1) + 2)
end

--- Raises unless got deep-equals want.
---@param got any
---@param want any
---@param what? string
function M.eq(got, want, what)
  local ok, why = M.deep_eq(got, want)
  if not ok then fail((what and what .. ": " or "") .. why, 1) end
end

--- Raises unless v is truthy.
---@param v any
---@param what? string
function M.truthy(v, what)
  if not v then fail((what or "value") .. " is not truthy: " .. show(v), 1) end
end

--- Calls fn(...) and expects it to raise; returns the error value.
--- `want` (optional): a code of cdhost errors ({code=...}) or a plain
--- substring of the message.
---@param want string|nil
---@param fn function
---@return any err
function M.raises(want, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then fail("expected an error" .. (want and (" (" .. want .. ")") or ""), 1) end
  if want then
    local code = type(err) == "table" and err.code
    local text = tostring(err)
    if code ~= want and not text:find(want, 1, true) then
      fail(("error %s does not match %s"):format(show(text), show(want)), 1)
    end
  end
  return err
end

--- Runs one named test; a failure is logged and counted.
---@param name string
---@param fn function
function M.test(name, fn)
  local ok, err = pcall(fn)
  if ok then
    passed = passed + 1
  else
    failed = failed + 1
    cdhost.log.error(("FAIL %s: %s"):format(name, tostring(err)))
  end
end

--- Logs "N passed, N failed"; raises if any test failed.
function M.done()
  cdhost.log.info(("%d passed, %d failed"):format(passed, failed))
  if failed > 0 then error(("%d test(s) failed"):format(failed), 0) end
end

return M
