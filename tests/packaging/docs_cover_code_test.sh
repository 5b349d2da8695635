#!/usr/bin/env bash
# The man pages (and README for slothd's flags) name what the programs accept: every flag of
# slothd and of every slothctl command in --help, every slothctl command, and every key the
# shipped configuration files document. A flag, command or key added without its documentation
# fails here. Usage: docs_cover_code_test.sh SOURCE_DIR SLOTHD SLOTHCTL
set -euo pipefail
src=$1 slothd=$2 slothctl=$3
man=$src/doc/man
missing=()

# The option column of a --help text: "  -w,--watch", "  --telemetry{true}".
flags_in_help() { sed -n 's/^ \{1,4\}\(-[A-Za-z],\)\{0,1\}\(--[a-z][a-z0-9.-]*\).*/\2/p'; }
# The subcommands a --help text lists.
subcommands_in_help() { sed -n '/^Subcommands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p'; }

for flag in $("$slothd" --help | flags_in_help); do
  grep -qF -- "*$flag*" "$man/slothd.8.scd" || missing+=("slothd.8: $flag")
  grep -qF -- "$flag" "$src/README.md" || missing+=("README.md: slothd $flag")
done

walk() {  # walk COMMAND-WORDS...: checks this command's flags, then its subcommands'
  local help
  help=$("$slothctl" "$@" --help)
  for flag in $(flags_in_help <<<"$help"); do
    grep -qF -- "*$flag*" "$man/slothctl.1.scd" || missing+=("slothctl.1: ${*:-slothctl} $flag")
  done
  for sub in $(subcommands_in_help <<<"$help"); do
    # "*agent list*", "*metrics grafana*", "*agent metrics prom*": as the page's COMMANDS name them.
    if (($#)) && ! grep -qF -- "*$* $sub" "$man/slothctl.1.scd"; then missing+=("slothctl.1: command '$* $sub'"); fi
    walk "$@" "$sub"
  done
}
walk

for file in slothd.toml master.toml; do
  for key in $(sed -n 's/^\([a-z_]*\) = .*/\1/p' "$src/etc/$file" | sort -u); do
    grep -qF -- "*$key*" "$man/slothd.toml.5.scd" || missing+=("slothd.toml.5: $file key $key")
  done
done

if ((${#missing[@]})); then
  printf 'FAIL: not documented: %s\n' "${missing[@]}"
  exit 1
fi
echo "ok: every flag, command and configuration key is in the man pages"
