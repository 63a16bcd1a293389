#!/usr/bin/env bash
# man_test.sh BYLAW — the man pages keep up with the program: every option and command of
# `bylaw --help` and `bylaw help CMD` is in bylaw(1), every config key `bylaw help serve` names is in
# bylaw.json(5), and both pages render without a warning. Closes with 'N passed, N failed'.
set -u
. "$(dirname "$0")/lib.sh"

man1="$ROOT/docs/man/bylaw.1" man5="$ROOT/docs/man/bylaw.json.5"
src1=$(sed 's/\\-/-/g' "$man1") src5=$(sed 's/\\-/-/g' "$man5")
help=$("$BYLAW" --help; for c in eval check test serve repl diff replay import demo; do "$BYLAW" help "$c"; done)

# Options: --long ones anywhere in the help texts, -x ones where they are listed.
options=$({ grep -oE -- '--[a-z][a-z-]*[a-z]' <<<"$help"; grep -oE -- '^ +-[a-z],' <<<"$help" | tr -d ' ,'; } | sort -u)
[ -n "$options" ] || fail "no option found in the help texts"
for o in $options; do
  if grep -qE -- "(^|[^a-z-])$o([^a-z-]|$)" <<<"$src1"; then ok "bylaw(1) has $o"
  else fail "$o is in the help but not in docs/man/bylaw.1: add it there"; fi
done

commands=$(awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on { print $1 }' <<<"$help")
for c in $commands; do
  if grep -qE "^\.B $c( |$)" <<<"$src1"; then ok "bylaw(1) has the command $c"
  else fail "the command $c is in bylaw --help but not in docs/man/bylaw.1 (COMMANDS)"; fi
done

# Config keys: the quoted names in the description of --config.
keys=$({ "$BYLAW" help serve | grep -oE 'config "[a-z_.]+"' | sed 's/^config "//; s/"$//; s/.*\.//'; echo tokens;
        "$BYLAW" help serve | grep -oE '"(name|token|sha256|role)"' | tr -d '"'; } | sort -u)
[ -n "$keys" ] || fail "no config key found in bylaw help serve"
for k in $keys; do
  if grep -qE "^\.BR? $k( |$)" <<<"$src5"; then ok "bylaw.json(5) has the key $k"
  else fail "the config key $k is in bylaw help serve but not in docs/man/bylaw.json.5 (KEYS)"; fi
done

for page in "$man1" "$man5"; do
  name=$(basename "$page")
  if command -v groff >/dev/null; then
    w=$(groff -ww -man -Tutf8 -z "$page" 2>&1)
    if [ -z "$w" ]; then ok "groff -ww: $name renders without a warning"; else fail "groff -ww $name: $w"; fi
  else
    echo "  skip  groff is not installed (make deps installs groff-base): $name not rendered"
  fi
  if command -v man >/dev/null; then
    w=$(MANWIDTH=80 man -l "$page" 2>&1 >/dev/null)
    if [ -z "$w" ]; then ok "man -l: $name renders without a warning"; else fail "man -l $name: $w"; fi
  fi
  if LC_ALL=C grep -q '[^ -~	]' "$page"; then fail "$name has a character outside ASCII (write it as a groff escape)"
  else ok "$name is ASCII"; fi
done

finish
