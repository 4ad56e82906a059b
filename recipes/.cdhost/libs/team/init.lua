-- team — the platform team's recipe library (an example of SPEC section 8).
--
-- Projects pin it in their cdhost.libs:
--   return { team = { git = URL, ref = "v1.0.0", path = "recipes/lib" } }
-- and `cdhost lib sync` vendors it under .cdhost/libs/team/. Modules:
--   require "team"      this table (version, the helpers below)
--   require "team.web"  web_service{...}: Deployment + Service, applied and waited on
local M = { version = "1.0.0" }
M.web = require "team.web"
return M
