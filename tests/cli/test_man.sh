#!/usr/bin/env bash
# The man page (docs/cdhost.1) renders and covers every command and flag of
# `cdhost help`; the bash completion (docs/completion/cdhost.bash) knows them
# and completes; `cmake --install` puts both where man and bash look.
CDHOST=$1
. "$(dirname "$0")/lib.sh"
MAN=$CDHOST_SRC/docs/cdhost.1
COMP=$CDHOST_SRC/docs/completion/cdhost.bash

"$CDHOST" help >"$WORK/help.txt" || { echo "FAIL: cdhost help" >&2; exit 1; }
COMMANDS=$(sed -n '/^Commands:/,/^$/p' "$WORK/help.txt" | awk 'NR > 1 && NF { print $1 }')
FLAGS=$(sed -n '/^Global flags:/,/^$/p' "$WORK/help.txt" | grep -oE -- '(^| )-{1,2}[a-z][a-z-]*' | tr -d ' ' | sort -u)
[ "$(echo "$COMMANDS" | wc -w)" -ge 10 ] && [ "$(echo "$FLAGS" | wc -w)" -ge 25 ] ||
	{ echo "FAIL: could not read the commands and flags of cdhost help" >&2; exit 1; }

t "the man page renders without warnings"
if command -v groff >/dev/null; then
	run groff -man -Tutf8 -ww -z "$MAN"
	expect_rc 0; [ ! -s "$WORK/.err" ] && ok || bad "groff warns"
	groff -man -Tutf8 "$MAN" 2>/dev/null | sed 's/.\x08//g' >"$WORK/man.txt"
elif command -v mandoc >/dev/null; then
	run mandoc -T lint -W warning "$MAN"
	expect_rc 0
	mandoc -T utf8 "$MAN" | sed 's/.\x08//g' >"$WORK/man.txt"
else
	echo "FAIL: neither groff nor mandoc is installed: cannot render docs/cdhost.1" >&2
	exit 1
fi
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" ENVIRONMENT FILES; do
	grep -q "^$s\$" "$WORK/man.txt" && ok || bad "no $s section"
done

t "the man page names every command and flag of cdhost help"
for c in $COMMANDS; do
	grep -qE "^ {7}$c( |$)" "$WORK/man.txt" && ok || bad "man page: no entry for command $c"
done
for f in $FLAGS; do
	grep -qE -- "(^| )$f([ ,]|$)" "$WORK/man.txt" && ok || bad "man page: no flag $f"
done
for code in 0 1 2 3 4 5; do
	grep -qE "^ {7}$code  " "$WORK/man.txt" && ok || bad "man page: no exit code $code"
done

t "the completion knows every command and flag"
# shellcheck source=/dev/null
. "$COMP"
for c in $COMMANDS; do
	case " $_cdhost_commands " in *" $c "*) ok ;; *) bad "completion: no command $c" ;; esac
done
for f in $FLAGS; do
	case " $(echo $_cdhost_flags) " in *" $f "*) ok ;; *) bad "completion: no flag $f" ;; esac
done

t "completion: cdhost he<TAB>"
cd "$WORK" || exit 1
complete -p cdhost | grep -q -- '-F _cdhost' && ok || bad "no complete -F _cdhost cdhost"
COMP_WORDS=(cdhost he) COMP_CWORD=1; _cdhost
[ "${COMPREPLY[*]}" = "health help" ] && ok || bad "cdhost he -> '${COMPREPLY[*]}'"
mkdir -p proj/k8s && touch proj/deploy.lua proj/notes.txt
cd proj || exit 1
COMP_WORDS=(cdhost --dry-run "") COMP_CWORD=2; _cdhost
case " ${COMPREPLY[*]} " in *" deploy.lua "*) ok ;; *) bad "no recipe offered: '${COMPREPLY[*]}'" ;; esac
case " ${COMPREPLY[*]} " in *" notes.txt "*) bad "a non-recipe offered" ;; *) ok ;; esac
COMP_WORDS=(cdhost check "") COMP_CWORD=2; _cdhost
[ "${COMPREPLY[*]}" = "deploy.lua k8s" ] && ok || bad "check <TAB> -> '${COMPREPLY[*]}'"
COMP_WORDS=(cdhost -o "") COMP_CWORD=2; _cdhost
[ "${COMPREPLY[*]}" = "text json" ] && ok || bad "-o <TAB> -> '${COMPREPLY[*]}'"
COMP_WORDS=(cdhost lib u) COMP_CWORD=2; _cdhost
[ "${COMPREPLY[*]}" = "update" ] && ok || bad "lib u -> '${COMPREPLY[*]}'"
COMP_WORDS=(cdhost --set a=b run deploy.lua --of) COMP_CWORD=5; _cdhost
[ "${COMPREPLY[*]}" = "--offline" ] && ok || bad "--of -> '${COMPREPLY[*]}'"

t "the zsh completion knows every command and flag and loads in zsh"
ZC=$CDHOST_SRC/docs/completion/_cdhost
for c in $COMMANDS; do grep -q "^		'$c:" "$ZC" && ok || bad "zsh completion: no command $c"; done
for f in $FLAGS; do grep -qE "(^|[{,'* ])$f([],}\[]|')" "$ZC" && ok || bad "zsh completion: no flag $f"; done
command -v zsh >/dev/null || { echo "FAIL: zsh is needed (make deps)" >&2; exit 1; }
run zsh -n "$ZC"
expect_rc 0
run zsh -fc "fpath=('$CDHOST_SRC/docs/completion' \$fpath); autoload -Uz compinit && compinit -u -d '$WORK/zcompdump' && print -r -- \${_comps[cdhost]}"
expect_rc 0
expect_out "_cdhost"

t "cmake --install puts the man page and the completion in place"
command -v cmake >/dev/null || { echo "FAIL: cmake is needed" >&2; exit 1; }
run cmake --install "$(dirname "$CDHOST")" --prefix "$WORK/inst"
expect_rc 0
[ -x "$WORK/inst/bin/cdhost" ] && ok || bad "no bin/cdhost"
cmp -s "$MAN" "$WORK/inst/share/man/man1/cdhost.1" && ok || bad "no share/man/man1/cdhost.1"
cmp -s "$COMP" "$WORK/inst/share/bash-completion/completions/cdhost" && ok ||
	bad "no share/bash-completion/completions/cdhost"
cmp -s "$CDHOST_SRC/docs/completion/_cdhost" "$WORK/inst/share/zsh/site-functions/_cdhost" && ok ||
	bad "no share/zsh/site-functions/_cdhost"

finish
