-- The recipe of test_secrets.sh: native builds and copies against the
-- authenticated registries. --set basic= bearer= (HOST:PORT), ns= (the test's
-- repository prefix), only=basic|bearer (one push, no base, no copy), and
-- print=FILE (positive control: log every line of FILE, touch no registry;
-- with env=NAME also the environment variable NAME, --allow-env NAME).
-- Prints "RESULT <json>" on stderr.
local a = cdhost.args

if a.print then
  for line in cdhost.fs.read(a.print):gmatch("[^\n]+") do
    cdhost.log.info("control: " .. line)
  end
  if a.env then cdhost.log.warn("control env: " .. tostring(cdhost.env(a.env))) end
  return
end

local function build(host, repo, base)
  return cdhost.image.build {
    name = host .. "/" .. a.ns .. "/" .. repo, builder = "native", base = base or "scratch",
    layers = { { from = "app", to = "/app" } }, env = { GREETING = "hi" },
  }
end

local out = {}
if a.only then
  out.only = build(a[a.only], "only")
else
  out.basic = build(a.basic, "scratch")
  out.bearer = build(a.bearer, "scratch")
  -- a base from the other registry: its layers stream through the blob store
  out.basic_on_bearer = build(a.basic, "based", a.bearer .. "/seed/one:v1")
  out.bearer_on_basic = build(a.bearer, "based", a.basic .. "/seed/multi:v1")
  out.copy_to_bearer = cdhost.registry.copy(out.basic.ref, a.bearer .. "/" .. a.ns .. "/copied:v1")
  out.copy_to_basic = cdhost.registry.copy(a.bearer .. "/seed/multi:v1", a.basic .. "/" .. a.ns .. "/copied:v1")
  out.resolved = cdhost.registry.resolve(a.basic .. "/" .. a.ns .. "/copied:v1")
end
print("RESULT " .. cdhost.json.encode(out, { sort_keys = true }))
