-- recipes/prod.lua — production web service built on the team library.
--
--   cdhost lib sync                      (in recipes/: vendors the libraries
--                                         cdhost.libs names, pinned in cdhost.lock)
--   cdhost --dry-run recipes/prod.lua    print what would be applied
--
-- `team.web` comes from .cdhost/libs/team/ (committed, so CI needs no
-- network); its tree hash is checked against cdhost.lock before it loads.
local team = require "team"
local web = require "team.web"

local args = cdhost.args
local objs = web.web_service {
  name = "shop-web",
  namespace = args.namespace or "shop",
  image = args.image or "registry.example.com/shop/web:1.4.2",
  replicas = 3,
  port = 8080,
  env = { LOG_LEVEL = "info", REGION = args.region or "eu-1" },
  team = "shop",
}
cdhost.log.info(("prod: %d objects from team library %s"):format(#objs, team.version))
