-- cdhost.args from --set (given by the CTest command line below is none, so
-- this file checks the empty case; tests/cli/test_cli.sh checks --set).
local t = require "cdhost.testing"
t.test("args is an empty table without --set", function()
  t.eq(type(cdhost.args), "table")
  t.eq(next(cdhost.args), nil)
end)
t.test("env needs --allow-env", function()
  -- reading an allowed-but-unset name would be nil; without the flag the
  -- sandbox trips (checked in tests/sandbox), so only the type is checked here
  t.eq(type(cdhost.env), "function")
end)
t.done()
