-- Drives cdhost.parallel for the e2e tests (--set reg= ns= dirs=a,b,...
-- fail=DIR tag=): one native build per directory, all at once; prints
-- "RESULT <json>" (the artifacts, in order) on stderr.
local a = cdhost.args
local fns = {}
for dir in a.dirs:gmatch("[^,]+") do
  fns[#fns + 1] = function()
    if dir == a.fail then
      error("failing on purpose in " .. dir)
    end
    return cdhost.image.build {
      name = a.reg .. "/" .. a.ns .. "/" .. dir, base = "scratch",
      layers = { { from = dir, to = "/" .. dir } }, tag = a.tag or "v1",
    }
  end
end
local arts = cdhost.parallel(fns)
print("RESULT " .. cdhost.json.encode(cdhost.list(arts), { sort_keys = true }))
