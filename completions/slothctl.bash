# bash completion for slothctl(1)                                  -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/slothctl (loaded on demand).
# Completes commands, options, option values, and agent names: "local", "." and the name the
# local agent reports (slothctl agent info local --output json, over --socket if given).

_slothctl_agents() {
  local sock=$1 name
  local -a args=(--timeout 1s --output json)
  [[ -n $sock ]] && args+=(--socket "$sock")
  # The name field of the local agent's info; nothing when no agent answers.
  name=$(command slothctl "${args[@]}" agent info local 2>/dev/null |
         sed -n 's/^ *"name": *"\([^"]*\)".*/\1/p')
  printf '%s\n' local . $name
}

_slothctl() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion -n = || return
  else
    cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
  fi

  local global_opts="--socket --endpoint --output -o --timeout --no-color --via --help -h --version"

  # Values of options that take one.
  case $prev in
    --socket)   COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
    --output|-o) COMPREPLY=($(compgen -W "text json" -- "$cur")); return ;;
    --via)      COMPREPLY=($(compgen -W "socket dbus" -- "$cur")); return ;;
    --timeout)  COMPREPLY=($(compgen -W "500ms 5s 10s 30s 1m 5m 1h" -- "$cur")); return ;;
    --workdir)  COMPREPLY=($(compgen -d -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
    --endpoint) COMPREPLY=($(compgen -W "http://127.0.0.1:9090/" -- "$cur")); return ;;
    --interval|-n) COMPREPLY=($(compgen -W "1 2 5 10 30" -- "$cur")); return ;;
    --color)    COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
    --graph)    COMPREPLY=($(compgen -W "braille block ascii" -- "$cur")); return ;;
    --name|--group|--env|--set) return ;;
    --file|-f|--values) COMPREPLY=($(compgen -f -- "$cur")); compopt -o filenames 2>/dev/null; return ;;
    --agent)    COMPREPLY=($(compgen -W "$(_slothctl_agents "")" -- "$cur")); return ;;
  esac

  # Walk the words typed so far: the command path, positionals after it, and --socket.
  local i w path="" sock="" npos=0 after_dashdash=0
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    if ((after_dashdash)); then ((npos++)); continue; fi
    case $w in
      --) after_dashdash=1 ;;
      --socket) sock=${words[i+1]}; ((i++)) ;;
      --socket=*) sock=${w#--socket=} ;;
      --endpoint|--output|-o|--timeout|--name|--group|--workdir|--env|--interval|-n|--color|--graph|\
      --file|-f|--values|--set|--agent) ((i++)) ;;
      -*) ;;
      *)
        case "$path:$w" in
          :agent|:metrics|:run|agent:info|agent:health|agent:tasks|agent:cancel|agent:run|agent:metrics|\
          metrics:prom|"agent metrics:prom"|metrics:grafana|"agent metrics:grafana")
            path=${path:+$path }$w ;;
          *) ((npos++)) ;;
        esac ;;
    esac
  done

  local words_here="" opts=$global_opts
  case $path in
    "")            words_here="agent metrics run" ;;
    run)           opts+=" --file -f --values --set --agent --group --dry-run" ;;
    agent)         words_here="info health tasks cancel run metrics" ;;
    metrics|"agent metrics") words_here="prom grafana" ;;
    "agent info"|"agent health"|"agent tasks")
      ((npos == 0)) && words_here=$(_slothctl_agents "$sock") ;;
    "agent cancel")
      ((npos == 0)) && words_here=$(_slothctl_agents "$sock") ;;
    "agent run")
      opts+=" --name --group --workdir --env --"
      if ((npos == 0)); then words_here=$(_slothctl_agents "$sock")
      else compopt -o default 2>/dev/null; fi ;;
    "metrics prom"|"agent metrics prom")
      opts+=" --snapshot"
      ((npos == 0)) && words_here=$(_slothctl_agents "$sock") ;;
    "metrics grafana"|"agent metrics grafana")
      opts+=" --watch -w --interval -n --color --graph"
      ((npos == 0)) && words_here=$(_slothctl_agents "$sock") ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$words_here" -- "$cur"))
  fi
}
complete -F _slothctl slothctl
