-- Drives cdhost.image.build with an external builder for the e2e tests
-- (--set builder= name= base= greeting= tag= dockerfile= platforms=);
-- prints "RESULT <json>" on stderr.
local a = cdhost.args
local art = cdhost.image.build {
  name = a.name, builder = a.builder, context = ".", dockerfile = a.dockerfile,
  build_args = { BASE = a.base, GREETING = a.greeting or "hi" },
  tag = a.tag,
  platforms = a.platforms and { a.platforms:match("^([^,]+),?(.*)$") } or nil,
}
print("RESULT " .. cdhost.json.encode(art, { sort_keys = true }))
