-- Attack: the same endless __tostring through print (routed to the log).
-- Must: exit 5.
-- expect-exit: 5
-- expect-stderr: instruction limit
-- flags: --max-instructions 1000000
-- within: 5
print("x", setmetatable({}, { __tostring = function() while true do end end }))
