-- Attack: glob a directory holding symlinks that leave the root
-- (fixtures/passwd, fixtures/evilmod.lua, fixtures/up3) and glob through
-- the outward directory link itself.
-- Must: outward links are silently left out, inward ones kept. Exit 0.
-- expect-exit: 0
local l = cdhost.fs.glob("fixtures/*")
local got = table.concat(l, " ")
if got ~= "fixtures/goodmod.lua fixtures/inside.txt fixtures/inside_link.txt" then
  error("fixtures/* gave: " .. got)
end
if #cdhost.fs.glob("fixtures/up3/*") ~= 0 then error("glob went through fixtures/up3") end
if #cdhost.fs.glob("fixtures/up3/**/*.c") ~= 0 then error("** went through fixtures/up3") end
-- (not "**" from the root: fixtures/cycle is the symlink-cycle trap of
-- fs_glob_cycle.lua)
local deep = cdhost.fs.glob("fixtures/deep/**/*")
if #deep ~= 1 or deep[1] ~= "fixtures/deep/d1/d2/d3/d4/d5/d6/leaf.txt" then
  error("fixtures/deep/**/* gave: " .. table.concat(deep, " "))
end
for _, p in ipairs(cdhost.fs.glob("*/*")) do
  if p:find("up3", 1, true) or p:find("passwd", 1, true) or p:find("evilmod", 1, true) then
    error("**/* listed " .. p)
  end
end
