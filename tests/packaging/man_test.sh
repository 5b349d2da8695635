#!/usr/bin/env bash
# man -l renders a generated man page without groff warnings, with its NAME line and every
# section the page promises. Usage: man_test.sh PAGE_FILE NAME SECTION...
set -euo pipefail
page=$1 name=$2; shift 2
[[ -s $page ]] || { echo "FAIL: $page is missing or empty (is scdoc installed? cmake --build)"; exit 1; }
out=$(MANWIDTH=100 MAN_KEEP_FORMATTING= man --warnings -l "$page" 2>"$page.err" | col -b)
if [[ -s $page.err ]]; then echo "FAIL: man/groff warnings:"; cat "$page.err"; exit 1; fi
rm -f "$page.err"
grep -q "^ *$name - " <<<"$out" || { echo "FAIL: no '$name - ...' NAME line"; exit 1; }
for section in "$@"; do
  grep -q "^$section\$" <<<"$out" || { echo "FAIL: no section $section"; exit 1; }
done
echo "ok: $page renders ($(wc -l <<<"$out") lines)"
