# bash completion for slothctl(1)                                  -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/slothctl (loaded on demand).
# slothctl answers for itself (`slothctl __complete WORDS...`, from the same table that parses
# its command line): commands, options, option values, and agent names ("local", "." and the
# name the local agent reports, over --socket if one was typed).

_slothctl() {
  local cur words cword
  if declare -F _init_completion >/dev/null; then
    local prev
    _init_completion -n =: || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
  fi
  local -a reply
  mapfile -t reply < <(command slothctl __complete "${words[@]:1:cword}" 2>/dev/null)
  case ${reply[0]} in
    files) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null ;;
    dirs) COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null ;;
    default) COMPREPLY=(); compopt -o default 2>/dev/null ;;
    *)
      local -a offered=("${reply[@]:1}")
      offered=("${offered[@]%%$'\t'*}")  # the words, without their descriptions
      COMPREPLY=($(compgen -W "${offered[*]}" -- "$cur")) ;;
  esac
}
complete -F _slothctl slothctl
