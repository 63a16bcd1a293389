# lib.sh — sourced by the e2e tests (`. "$(dirname "$0")/lib.sh"`): BYLAW (the program given as $1),
# ROOT (the source tree), WORK (a temporary directory; it and the process in PID go at exit), and the
# checks ok, fail, check, has; serve and unserve start and stop `bylaw serve` (URL); finish prints the
# closing 'N passed, N failed' and exits.
BYLAW=$(realpath "${1:-./bylaw}")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d)
PID=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); echo "  ok    $1"; }
fail() { failed=$((failed + 1)); echo "  FAIL  $1"; }
check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}
has() { # has NAME NEEDLE HAYSTACK
  case "$3" in *"$2"*) ok "$1" ;; *) fail "$1: [$2] not in [${3:0:400}]" ;; esac
}
serve() { # serve [ARGS]: bylaw serve on a free loopback port (WORK/e2e.db, WORK/policies); sets PID and URL
  : > "$WORK/serve.log"
  "$BYLAW" serve --db "$WORK/e2e.db" --policies "$WORK/policies" --listen 127.0.0.1:0 --scripts "$ROOT/scripts" \
    "$@" 2> "$WORK/serve.log" &
  PID=$!
  local port=
  for _ in $(seq 200); do
    port=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$WORK/serve.log" | grep -o '[0-9]*$')
    [ -n "$port" ] && curl -s "http://127.0.0.1:$port/health" > /dev/null && break
    sleep 0.05
  done
  URL="http://127.0.0.1:$port"
}
unserve() { kill -TERM "$PID"; wait "$PID"; local rc=$?; PID=; return $rc; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }
