-- Attack: YAML flow sequences nested 100,000 deep given to cdhost.yaml.decode,
-- and a 100,000-deep table given to cdhost.yaml.encode (recursive C walkers).
-- Must: clean errors about the depth (the first one caught and checked, the
-- second uncaught) -> exit 1, no crash.
-- expect-exit: 1
-- expect-stderr: yaml.encode
-- expect-stderr: nesting deeper than 200 levels
-- within: 10
local ok, e = pcall(cdhost.yaml.decode, string.rep("[", 100000) .. string.rep("]", 100000))
if ok or not tostring(e):find("nesting deeper than", 1, true) then error("decode: " .. tostring(e)) end
local t = {}
for _ = 1, 100000 do t = { t } end
local s = cdhost.yaml.encode(t)
