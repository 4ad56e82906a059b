-- recipes/gitops.lua — GitOps: commit the rendered manifests to a deploy
-- repository and point Argo CD at them.
--
--   cdhost --dry-run recipes/gitops.lua      show the commit it would make
--                                            and print the Application
--   cdhost recipes/gitops.lua --set repo=git@git.example.com:shop/deploy.git
--
-- The manifests come from the team library (recipes/cdhost.libs). The commit
-- goes to branch env/prod (created from main if missing) under prod/; an
-- unchanged render makes no commit. Argo CD's Application is applied to the
-- cluster Argo CD runs in.
local web = require "team.web"
local argocd = require "cdhost.argocd"

local args = cdhost.args
local repo = args.repo or "https://git.example.com/shop/deploy.git"
local image = args.image or "registry.example.com/shop/web:1.4.2"

local objs = web.objects { name = "shop-web", namespace = "shop", image = image,
                           replicas = 3, team = "shop" }
local res = cdhost.git.commit {
  repo = repo, branch = "env/prod", base = "main", path = "prod/",
  files = cdhost.manifest.files(objs),
  message = "shop-web " .. image,
  author = "cdhost <cdhost@example.com>",
  -- HTTPS: the token comes from a variable the operator allows with
  -- --allow-env GIT_TOKEN; SSH uses CDHOST_GIT_SSH_KEY or the agent.
  auth = args.token_env and { username = "cdhost", password_env = args.token_env } or nil,
}
if res.changed then cdhost.log.info("gitops: committed " .. tostring(res.commit)) end

cdhost.kube.apply {
  argocd.application { name = "shop-prod", repo = repo, revision = "env/prod",
                       path = "prod", dest_namespace = "shop" },
}
