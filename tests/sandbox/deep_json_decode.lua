-- Attack: JSON text nested 100,000 arrays deep given to cdhost.json.decode.
-- Must: a clean error -> exit 1 (no crash).
-- expect-exit: 1
-- expect-stderr: json.decode
-- within: 10
local s = string.rep("[", 100000) .. string.rep("]", 100000)
local v = cdhost.json.decode(s)
