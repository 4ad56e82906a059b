#!/usr/bin/env bash
# Every ```lua block of README.md and docs/**/*.md is a recipe and runs under
# `cdhost check` (render mode, offline) in a copy of
# tests/fixtures/doc_snippets — unless its first line is `-- fragment`
# (a partial example, an options listing, a file that is not a recipe, or
# one that needs a cluster or a registry). Issue #8.
CDHOST=$1
. "$(dirname "$0")/lib.sh"
command -v git >/dev/null || { echo "FAIL: git is needed (make deps installs it)" >&2; exit 1; }

PROJ=$WORK/proj
cp -r "$CDHOST_SRC/tests/fixtures/doc_snippets" "$PROJ"
git -C "$PROJ" init -q && git -C "$PROJ" add -A &&
	git -C "$PROJ" -c user.name=t -c user.email=t@t.invalid commit -qm fixtures ||
	{ echo "FAIL: cannot make the fixture repository" >&2; exit 1; }

# extract FILE: writes each block to $WORK/snippets/<file>_<line>.lua
mkdir "$WORK/snippets"
cd "$CDHOST_SRC" || exit 1
for doc in README.md $(find docs -name '*.md' | sort); do
	awk -v out="$WORK/snippets/$(echo "$doc" | tr '/.' '__')" '
		/^```lua[ \t]*$/ { inblock = 1; start = NR + 1; f = out "_" start ".lua"; next }
		/^```/ && inblock { inblock = 0; close(f); next }
		inblock { print > f }' "$doc"
done

runnable=0 fragments=0
for s in "$WORK"/snippets/*.lua; do
	name=$(basename "$s" .lua)
	where=$(echo "$name" | sed -E 's/_md_([0-9]+)$/.md:\1/; s/^docs_/docs\//; s/^docs\/internals_/docs\/internals\//')
	if head -n 1 "$s" | grep -q '^-- fragment'; then
		fragments=$((fragments + 1))
		continue
	fi
	runnable=$((runnable + 1))
	t "$where"
	cp "$s" "$PROJ/snippet.lua"
	run "$CDHOST" check "$PROJ/snippet.lua"
	expect_rc 0
done

t "snippets were found"
[ "$runnable" -ge 8 ] && ok || bad "only $runnable runnable snippets (and $fragments fragments)"
echo "$runnable runnable snippets, $fragments fragments"
finish
