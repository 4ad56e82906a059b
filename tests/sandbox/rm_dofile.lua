-- Attack: execute a file outside the project root with dofile.
-- Must: 'dofile' is removed and forbidden -> exit 5.
-- expect-exit: 5
-- expect-stderr: 'dofile' is not available to recipes
dofile("/etc/passwd")
