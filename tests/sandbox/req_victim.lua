-- Attack: replace what a module loaded later will use: the globals require,
-- pcall, print, load, cdhost (and cdhost.fs.read itself).
-- Must: globals are per chunk and the cdhost modules are read-only, so the
-- victim module sees the real functions. Exit 0 (asserted).
-- expect-exit: 0
local real = { require = require, pcall = pcall, print = print, load = load,
               cdhost = cdhost, read = cdhost.fs.read }
local fake = function() return true, "forged" end
pcall(function() cdhost.fs.read = fake end)
require, pcall, print, load = fake, fake, fake, fake
cdhost = { fs = { read = fake } }
local victim = real.require "helpers.victim"
if victim.require ~= real.require then error("victim sees a forged require") end
if victim.pcall ~= real.pcall or not victim.pcall_works() then error("victim sees a forged pcall") end
if victim.print ~= real.print then error("victim sees a forged print") end
if victim.load ~= real.load then error("victim sees a forged load") end
if victim.cdhost ~= real.cdhost then error("victim sees a forged cdhost") end
if victim.fs_read ~= real.read then error("victim sees a forged cdhost.fs.read") end
if victim.read("fixtures/inside.txt") ~= "inside fixture: 42\n" then error("victim read forged data") end
