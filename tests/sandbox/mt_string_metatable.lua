-- Attack: getmetatable("").__index is the classic way to reach (and poison)
-- the real string table that every chunk's string methods use.
-- Must: the string metatable is sealed; nothing reachable changes. Exit 0.
-- expect-exit: 0
local mt = getmetatable("")
if mt ~= "cdhost: protected" then error("string metatable leaked: " .. tostring(mt)) end
if getmetatable("").__index ~= nil then error("string __index reachable") end
if ("x").__index ~= nil or ("x").__metatable ~= nil then error("metafields reachable through a string") end
local ok = pcall(setmetatable, "", {})
if ok then error("setmetatable on a string was allowed") end
if getmetatable(string) ~= "cdhost: protected" then error("string library proxy not sealed") end
if ("abc"):upper() ~= "ABC" then error("string methods broke") end
