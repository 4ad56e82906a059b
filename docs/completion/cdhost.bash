# bash completion for cdhost (installed by `make install` as
# share/bash-completion/completions/cdhost). Self-contained: it does not need
# the bash-completion package. tests/cli/test_man.sh checks that it knows
# every command and flag of `cdhost help`.

_cdhost_commands="run render build deploy diff delete lib health check init version help"
_cdhost_flags="--dry-run --offline --kube-context --namespace -n --kubeconfig --timeout
  --output -o --verbose -v --quiet -q --no-color --allow-env --set --default-repo
  --multi-level-repo --insecure-registry --health-dir --show-secrets --max-instructions --max-memory
  --file-output --build-artifacts -a --file -f --builtin --propagation --help -h"
# Flags that take a value (the next word is not a command or a recipe).
_cdhost_valued=" --kube-context --namespace -n --kubeconfig --timeout --output -o
  --allow-env --set --default-repo --insecure-registry --health-dir --max-instructions
  --max-memory --file-output --build-artifacts -a --file -f --propagation "

# _cdhost_files [EXT]: files (with EXT, only those) and directories.
_cdhost_files()
{
	local cur=${COMP_WORDS[COMP_CWORD]} IFS=$'\n'
	compopt -o filenames 2>/dev/null
	if [ -n "$1" ]; then
		COMPREPLY+=($(compgen -f -X "!*.$1" -- "$cur") $(compgen -d -- "$cur"))
	else
		COMPREPLY+=($(compgen -f -- "$cur"))
	fi
}

_cdhost()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local i word cmd="" npos=0
	COMPREPLY=()

	case $prev in
	--output | -o) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
	--propagation) COMPREPLY=($(compgen -W "background foreground orphan" -- "$cur")); return ;;
	--kubeconfig | --file-output | --build-artifacts | -a) _cdhost_files; return ;;
	--file | -f) _cdhost_files yaml; _cdhost_files yml; _cdhost_files json; return ;;
	--health-dir) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--kube-context)
		command -v kubectl >/dev/null &&
			COMPREPLY=($(compgen -W "$(kubectl config get-contexts -o name 2>/dev/null)" -- "$cur"))
		return ;;
	esac
	case " $_cdhost_valued " in *" $prev "*) return ;; esac   # a value: nothing to offer

	# The command (first positional word) and how many positionals follow it.
	for ((i = 1; i < COMP_CWORD; i++)); do
		word=${COMP_WORDS[i]}
		case $word in
		-*) case " $_cdhost_valued " in *" ${word%%=*} "*) [[ $word == *=* ]] || ((i++)) ;; esac ;;
		*) if [ -z "$cmd" ]; then cmd=$word; else ((npos++)); fi ;;
		esac
	done

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_cdhost_flags" -- "$cur"))
		return
	fi
	case $cmd in
	"") COMPREPLY=($(compgen -W "$_cdhost_commands" -- "$cur")); _cdhost_files lua ;;
	run | render | build | deploy | diff | delete | check) ((npos == 0)) && _cdhost_files lua ;;
	lib) ((npos == 0)) && COMPREPLY=($(compgen -W "sync update verify list" -- "$cur")) ;;
	health) ((npos == 0)) && COMPREPLY=($(compgen -W "test" -- "$cur"))
		compopt -o filenames 2>/dev/null; COMPREPLY+=($(compgen -d -- "$cur")) ;;
	help) ((npos == 0)) && COMPREPLY=($(compgen -W "$_cdhost_commands" -- "$cur")) ;;
	init) ((npos == 0)) && { compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")); } ;;
	*) ;;  # cdhost RECIPE: flags only
	esac
}
complete -F _cdhost cdhost
