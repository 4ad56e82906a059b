-- Attack: a table nested 100,000 deep passed to cdhost.json.encode (a
-- recursive C walker would overflow the C stack).
-- Must: a clean error about the depth -> exit 1.
-- expect-exit: 1
-- expect-stderr: nesting deeper than
-- within: 10
local t = {}
for _ = 1, 100000 do t = { t } end
local s = cdhost.json.encode(t)
