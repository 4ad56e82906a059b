-- Attack: a table that contains itself, passed to cdhost.json.encode
-- (an unguarded walker would recurse forever).
-- Must: a clean error -> exit 1 (no crash, no hang).
-- expect-exit: 1
-- expect-stderr: json.encode
-- within: 10
local t = {}
t.self = t
local s = cdhost.json.encode(t)
