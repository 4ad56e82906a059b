#!/usr/bin/env bash
# docs/reference.md is generated from the LuaLS stubs and committed: it must
# match what docs/gen_reference.py makes of stdlib/meta/cdhost.lua now; and
# the stubs must name exactly the functions of the running binary's cdhost
# table (tests/cli/stubs_walk.lua lists the internals left out).
CDHOST=$1
. "$(dirname "$0")/lib.sh"
GEN=$CDHOST_SRC/docs/gen_reference.py
STUBS=$CDHOST_SRC/stdlib/meta/cdhost.lua
command -v python3 >/dev/null || { echo "FAIL: python3 is needed (make deps installs it)" >&2; exit 1; }

t "the committed reference is what the stubs give"
run python3 "$GEN" --check
expect_rc 0; expect_empty_out

t "the check sees a drift"
sed 's/^--- Reads a file under the project root\./--- Reads a file (changed)./' "$STUBS" >"$WORK/changed.lua"
grep -q "changed" "$WORK/changed.lua" && ok || bad "the test's edit of the stubs did not apply"
run python3 "$GEN" --check --stubs "$WORK/changed.lua"
expect_rc 1; expect_out "+Reads a file (changed)."; expect_err "docs/reference.md differs from the stubs"

t "the reference covers every stubbed function, with parameters, returns and options"
python3 "$GEN" --stdout --out /dev/null >"$WORK/ref.md"
for f in $(grep -o '^function cdhost[a-z0-9_.]*' "$STUBS" | sed 's/^function //'); do
	grep -q "^### \`$f(" "$WORK/ref.md" && ok || bad "no section for $f"
done
run cat "$WORK/ref.md"
expect_out '## cdhost.kube'
expect_out '| `opts?` | `cdhost.kube.apply_opts` |  |'
expect_out 'Options `cdhost.kube.apply_opts`:'
expect_out '| `prune?` | `boolean` | delete set members no longer in objs (needs applyset) |'
expect_out '| `namespace?` | `string` | for objects without one and for the apply set parent |'  # inherited
expect_out 'Returns: `cdhost.kube.result[]` (see [cdhost.kube.result](#cdhostkuberesult))'
expect_out 'Returns `message`: `string?`'
expect_out '### `cdhost.yaml.decode(text, name?)`'

t "every function of the binary has a stub, and every stub a function"
mkdir "$WORK/walk" && touch "$WORK/walk/cdhost.libs"
cp "$STUBS" "$WORK/walk/stubs.lua"
cp "$CDHOST_SRC/tests/cli/stubs_walk.lua" "$WORK/walk/"
run "$CDHOST" check "$WORK/walk/stubs_walk.lua"
expect_rc 0; expect_err "each with a stub"

t "README's 'Not yet' names nothing the binary has (the stubs are what it has)"
notyet=$(sed -n '/^Not yet:/,/^$/p' "$CDHOST_SRC/README.md" | grep -o 'cdhost\.[a-z_.]*[a-z_]' | sort -u)
for f in $notyet; do
	grep -q "^function $f(" "$STUBS" && bad "README says $f is not there yet, but it is" || ok
done

t "the walk sees a missing stub and a stub without a function"
grep -v '^function cdhost.fs.glob(' "$STUBS" | sed 's/^function cdhost.env(/function cdhost.nosuch(/' >"$WORK/walk/stubs.lua"
run "$CDHOST" check "$WORK/walk/stubs_walk.lua"
expect_rc 1; expect_err "no stub for cdhost.fs.glob"; expect_err "no stub for cdhost.env"
expect_err "stub for a missing function cdhost.nosuch"

finish
