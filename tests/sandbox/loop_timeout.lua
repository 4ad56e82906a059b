-- Attack: an endless loop with the instruction limit switched off.
-- Must: --timeout (checked by the hook) ends it -> exit 4 by the deadline.
-- expect-exit: 4
-- expect-stderr: --timeout
-- flags: --max-instructions 0 --timeout 2s
-- within: 4
while true do end
