#!/usr/bin/env bash
# repl_tmux_test.sh BYLAW — `bylaw repl` on a terminal (tmux; skipped without it); closes with 'N passed, N failed'.
set -u
. "$(dirname "$0")/lib.sh"
if ! command -v tmux >/dev/null; then
  echo "  skip  tmux is not installed (make deps installs it): bylaw repl on a terminal is not tested"
  finish
fi
TMUX_SOCK=$WORK/tmux.sock
trap 'tmux -S "$TMUX_SOCK" kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
unset TMUX
export BYLAW_HISTORY=$WORK/history
t() { tmux -S "$TMUX_SOCK" "$@"; }
start() { # start SESSION: a repl in a new tmux session, which stays after it exits
  t new-session -d -s "$1" -x 120 -y 50 \
    "cd '$WORK' && '$BYLAW' repl --policies '$ROOT/policies'; echo \"EXITED \$?\"; sleep 600"
}
screen() { t capture-pane -p -t "$S" -S -300; }
wait_for() { # wait_for TEXT: until the pane shows TEXT (at most 15 s)
  for _ in $(seq 300); do screen | grep -qF -- "$1" && return 0; sleep 0.05; done
  return 1
}
seen() { # seen NAME TEXT
  if wait_for "$2"; then ok "$1"; else fail "$1: [$2] not on the screen:"; screen | grep -v '^$' | tail -12 | sed 's/^/        /'; fi
}
lit() { t send-keys -t "$S" -l "$1"; }
key() { t send-keys -t "$S" "$@"; }
line() { lit "$1"; key Enter; }
last_lines() { screen | grep -v '^$' | tail -"$1"; }
clean_exit() { # clean_exit NAME: no sanitizer report on the way out (the suite runs again under ASan)
  case "$(screen)" in *Sanitizer*|*"runtime error"*) fail "$1: $(screen | grep -A3 -m1 -E 'Sanitizer|runtime error')" ;; *) ok "$1" ;; esac
}

S=one
start "$S"
seen "the prompt shows the mode" 'bylaw[memory]>'
line 'function f()'
seen "an unfinished chunk gets the continuation prompt" '...>'
line '  return 42'
line 'end'
line 'f() + 1'
seen "the function runs" '43'

key Up Up
seen "up-arrow recalls the function" 'bylaw[memory]> function f()'
check "... as one entry, all its lines" "$(printf 'bylaw[memory]> function f()\n  return 42\nend')" "$(last_lines 3)"
key Enter
line 'f() * 2'
seen "the recalled function runs again as it was" '84'

lit '.exp'
key Tab
seen "Tab completes .exp to .explain" 'bylaw[memory]> .explain'
key C-c
seen "Ctrl-C drops the line being typed" '.explain^C'
lit '.eval cli'
key Tab
seen "Tab completes a record type" 'bylaw[memory]> .eval client'
key C-c
lit 'r.annual_r'
key Tab
seen "Tab completes r.annual_r to a field the policies declare" 'bylaw[memory]> r.annual_revenue'
key C-c
lit 'calendar.next_'
key Tab
seen "Tab completes a helper's function" 'bylaw[memory]> calendar.next_workday'
key C-c

line 'while true do end'
sleep 0.5
key C-c
seen "Ctrl-C stops while true do end" 'interrupted'
line '20 + 3'
seen "the prompt is back and the session goes on" '23'
key C-d
seen "Ctrl-D leaves" 'EXITED'
clean_exit "the first session ends cleanly"

S=two
start "$S"
seen "a second session starts" 'bylaw[memory]>'
key Up Up Up Up
seen "the history file keeps the function for the next session" 'bylaw[memory]> function f()'
check "... as one entry" "$(printf 'bylaw[memory]> function f()\n  return 42\nend')" "$(last_lines 3)"
key C-c
line '.quit'
seen ".quit leaves" 'EXITED 0'
clean_exit "the second session ends cleanly"
check "the history file is the user's only" 600 "$(stat -c %a "$BYLAW_HISTORY")"

finish
