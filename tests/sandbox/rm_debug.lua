-- Attack: remove the instruction hook with debug.sethook, then loop forever.
-- Must: 'debug' is a forbidden capability -> exit 5 (the loop is never reached).
-- expect-exit: 5
-- expect-stderr: 'debug' is not available to recipes
-- flags: --max-instructions 1000000
debug.sethook()
while true do end
