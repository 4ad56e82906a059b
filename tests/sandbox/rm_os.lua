-- Attack: run a shell command through os.execute to create the escape marker.
-- Must: 'os' is a forbidden capability -> exit 5, no file created.
-- expect-exit: 5
-- expect-stderr: 'os' is not available to recipes
-- flags: --allow-env CDHOST_ESCAPE_MARK
local mark = cdhost.env("CDHOST_ESCAPE_MARK")
os.execute("touch '" .. mark .. "'")
