#!/usr/bin/env bash
# timers_test.sh BYLAW — durable deadlines across crashes: 3,000 complaints received long ago have
# 6,000 overdue deadlines; the service fires them at start-up, is killed with SIGKILL part-way, and
# on restart fires the rest: every timer once, none twice (counted in the ledger and the events).
# Also the virtual clock over HTTP (POST /clock) and GET /timers. Closes with 'N passed, N failed'.
set -u
BYLAW=$(realpath "${1:-./bylaw}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
passed=0 failed=0
check() {
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "  ok    $1"
  else failed=$((failed + 1)); echo "  FAIL  $1: expected [$2], got [$3]"; fi
}
cd "$WORK"
N=3000
for i in $(seq $N); do
  printf '{"id":"k%d","received_at":"2026-09-30T17:55:00+08:00","handler":"h%d","status":"open"}\n' "$i" $((i % 7))
done > complaints.jsonl
"$BYLAW" eval complaint --policies "$ROOT/policies" --db crash.db --input complaints.jsonl > /dev/null
check "6,000 deadlines are pending" $((2 * N)) "$(sqlite3 crash.db "SELECT count(*) FROM timers WHERE state='pending'")"

start() {
  : > serve.log
  "$BYLAW" serve --db crash.db --policies "$ROOT/policies" --listen 127.0.0.1:0 "$@" 2> serve.log &
  PID=$!
}
wait_port() {
  for _ in $(seq 200); do
    PORT=$(grep -o 'serving http://127.0.0.1:[0-9]*' serve.log | grep -o '[0-9]*$')
    [ -n "$PORT" ] && curl -s "http://127.0.0.1:$PORT/health" >/dev/null && return 0
    sleep 0.02
  done
  return 1
}

start
wait_port
sleep 0.05
kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
done1=$(sqlite3 crash.db "SELECT count(*) FROM timers WHERE state='done'")
echo "  ..    killed with SIGKILL after $done1 of $((2 * N)) timers fired"
start
wait_port
for _ in $(seq 300); do
  left=$(sqlite3 crash.db "SELECT count(*) FROM timers WHERE state='pending'" 2>/dev/null)
  [ "$left" = 0 ] && break
  sleep 0.1
done
kill -TERM "$PID"; wait "$PID"; PID=
check "after the restart no deadline is pending" 0 "$(sqlite3 crash.db "SELECT count(*) FROM timers WHERE state='pending'")"
check "every deadline fired once" $((2 * N)) "$(sqlite3 crash.db "SELECT count(*) FROM timers WHERE state='done'")"
check "one escalation event per deadline, none twice" $((2 * N)) \
  "$(sqlite3 crash.db "SELECT count(*) FROM events WHERE kind='escalation'")"
check "one penalty point per deadline, none twice" "-$((2 * N))" \
  "$(sqlite3 crash.db "SELECT sum(points) FROM ledger WHERE policy='complaint'")"
check "each timer decision says the timer made it" $((2 * N)) \
  "$(sqlite3 crash.db "SELECT count(*) FROM decisions WHERE trigger LIKE 'timer:%'")"
check "timer decisions explain the overdue step" 1 \
  "$(sqlite3 crash.db "SELECT count(*) > 0 FROM decisions WHERE explanation LIKE '%overdue%'")"

# the virtual clock over HTTP
rm -f v.db*
start --db v.db --virtual-clock 2026-09-30T17:55:00+08:00
wait_port
URL="http://127.0.0.1:$PORT"
curl -s -X PUT "$URL/records/complaint/v1" -d '{"received_at":"2026-09-30T17:55:00+08:00","handler":"li","status":"open"}' >/dev/null
out=$(curl -s "$URL/timers?type=complaint&id=v1")
check "GET /timers lists both deadlines" 2 "$(echo "$out" | grep -o '"name"' | wc -l)"
out=$(curl -s -X POST "$URL/clock" -d '{"advance":"1 working day"}')
check "advancing 1 working day fires the investigation deadline" '"fired":1' "$(echo "$out" | grep -o '"fired":1')"
check "the clock stands at the close of 8 October" '"now":"2026-10-08T18:00:00+08:00"' \
  "$(echo "$out" | grep -o '"now":"[^"]*"')"
out=$(curl -s -X POST "$URL/clock" -d '{"advance":"next"}')
check "advancing to the next due timer fires the reply deadline" '"fired":1' "$(echo "$out" | grep -o '"fired":1')"
check "a bad duration is a 400 naming it" 400 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/clock" -d '{"advance":"3 wrking days"}')"
kill -TERM "$PID"; wait "$PID"; PID=
start --db v.db
wait_port
check "without --virtual-clock there is no /clock" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/clock" -d '{"advance":"1 day"}')"
kill -TERM "$PID"; wait "$PID"; PID=

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
