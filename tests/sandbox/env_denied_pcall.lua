-- Attack: probe for the escape-marker path (an env var) inside pcall.
-- Must: uncatchable -> exit 5.
-- expect-exit: 5
-- expect-stderr: is not allowed
local ok, v = pcall(cdhost.env, "CDHOST_ESCAPE_MARK")
cdhost.log.info("probed: ", ok, v)
