-- Attack: an endless loop in a __close metamethod (runs while unwinding,
-- even after an error).
-- Must: the hook still counts -> exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
do
  local x <close> = setmetatable({}, { __close = function() while true do end end })
  error("leave the block")
end
