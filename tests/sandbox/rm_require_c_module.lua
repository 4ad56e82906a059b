-- Attack: get C modules through require: "socket.core", "lpeg", ... (the
-- removed standard libraries os/io/debug/package trip the sandbox instead:
-- rm_require_os.lua).
-- Must: none of them loads; each is a plain not_found error (no C loader
-- exists), and the recipe asserts it.
-- expect-exit: 0
for _, name in ipairs { "coroutine", "string",
                        "socket.core", "lpeg", "lfs", "posix" } do
  local ok, e = pcall(require, name)
  if ok then error("require '" .. name .. "' returned a " .. type(e)) end
  if type(e) ~= "table" or e.code ~= "not_found" then
    error("require '" .. name .. "': unexpected error " .. tostring(e))
  end
end
