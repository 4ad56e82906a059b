-- Attack: the simplest denial of service, an endless loop.
-- Must: the instruction limit stops it -> exit 5, message names the limit.
-- expect-exit: 5
-- expect-stderr: instruction limit of 1000000 exceeded
-- flags: --max-instructions 1000000
-- within: 5
while true do end
