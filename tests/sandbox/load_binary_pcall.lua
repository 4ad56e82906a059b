-- Attack: probe for bytecode loading inside pcall, so a refusal could be
-- caught and the recipe carry on.
-- Must: the violation is uncatchable -> exit 5.
-- expect-exit: 5
-- expect-stderr: binary (precompiled) chunks are not allowed
local ok, err = pcall(load, "\27Lua\x54")
cdhost.log.info("carried on after a binary load: ", ok, err)
