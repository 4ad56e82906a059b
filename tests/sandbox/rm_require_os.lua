-- Attack: require "os" directly, and inside pcall.
-- Must: the removed standard libraries are forbidden capabilities, as
-- reading the global `os` is: exit 5, uncatchable; os is never returned.
-- expect-exit: 5
-- expect-stderr: not available to recipes
local ok = pcall(require, "os")
local os = require "io"
os.execute("true")
