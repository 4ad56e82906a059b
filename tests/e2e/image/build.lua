-- Drives cdhost.image.build for the e2e tests (--set name= base= tag=
-- platform= from= mode=); prints "RESULT <json>" on stderr.
local a = cdhost.args
local spec = {
  name = a.name, builder = "native", base = a.base or "scratch",
  layers = { { from = a.from or "app", to = "/app", mode = a.mode, exclude = { "tmp" } } },
  entrypoint = { "/app/run.sh" }, env = { PORT = "8080", GREETING = "hi" },
  user = "65532", workdir = "/app", labels = { ["org.example.team"] = "shop" },
  ports = { "8080" }, platforms = a.platform and { a.platform } or nil,
}
if a.tag == "datetime" then
  spec.tag = cdhost.tag.datetime("%Y")
elseif a.tag == "template" then
  spec.tag = cdhost.tag.template("v1-{{input}}")
elseif a.tag then
  spec.tag = a.tag
end
local art = cdhost.image.build(spec)
print("RESULT " .. cdhost.json.encode(art, { sort_keys = true }))
