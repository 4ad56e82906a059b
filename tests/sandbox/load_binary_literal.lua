-- Attack: load a hand-made binary chunk (a "\27Lua" string literal); crafted
-- bytecode can read and write arbitrary memory in Lua 5.4.
-- Must: binary chunks are a forbidden capability -> exit 5.
-- expect-exit: 5
-- expect-stderr: binary (precompiled) chunks are not allowed
local bc = "\27Lua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08\x78\x56\0\0\0\0\0\0\0\0\0\0\0\x28\x77\x40"
local f = load(bc, "=forged", "b")
