-- Attack: a pathological pattern inside pcall, followed by an endless loop
-- with the instruction limit off: neither the pcall nor the loop may get
-- past the deadline.
-- Must: exit 4, naming --timeout.
-- expect-exit: 4
-- expect-stderr: --timeout
-- flags: --timeout 2s --max-instructions 0
-- within: 4
pcall(string.find, string.rep("a", 30), string.rep(".-", 30) .. "b")
while true do end
