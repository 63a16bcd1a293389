#!/usr/bin/env bash
# tests/bench/timers.sh — durable deadlines at scale: TIMERS pending deadlines (default 1,000,000) on
# inquiry records, FIRE of them overdue at start-up (default 200,000), then: start-up time, how soon
# /health answers once the service listens, the firing rate with the Lua handler, the slowest answer
# to GET /health and GET /records/... while they fire, RSS, and the lateness of deadlines due on the
# real clock.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${TIMERS:-1000000}
FIRE=${FIRE:-200000}
W=$(mktemp -d)
trap 'p=$(jobs -p); [ -n "$p" ] && kill -9 $p 2>/dev/null; rm -rf "$W"' EXIT
echo '{"id":"seed","received_at":"2026-01-01T00:00:00+08:00"}' | ./bylaw eval inquiry --db "$W/t.db" --input - >/dev/null
now=$(date +%s%3N)
far=$((now + 86400000 * 365))
# N records and N pending deadlines: FIRE of them already due, the rest a year away
sqlite3 "$W/t.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO records(type, id, version, created_ms, updated_ms, body)
  SELECT 'inquiry', 'q' || i, 1, $now, $now, '{"id":"q' || i || '","type":"inquiry","received_at":"2026-01-01T00:00:00+08:00"}' FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO timers(type, record_id, name, policy, due_ms, payload, created_ms)
  SELECT 'inquiry', 'q' || i, 'answer', 'inquiry', CASE WHEN i <= $FIRE THEN $now - 1000 ELSE $far + i END, '{}', $now FROM n;
SQL
echo "$N pending deadlines ($(du -h "$W/t.db" | cut -f1) database); $FIRE of them overdue"
port=$((20000 + RANDOM % 20000))
s=$(date +%s%N)
./bylaw serve --db "$W/t.db" --listen 127.0.0.1:$port 2> "$W/serve.log" &
pid=$!
until grep -q 'serving http' "$W/serve.log"; do sleep 0.001; done
l=$(date +%s%N)
until curl -s "http://127.0.0.1:$port/health" >/dev/null; do :; done
e=$(date +%s%N)
echo "start-up (open, load and test the policies, listen) to first answer: $(( (e - s) / 1000000 )) ms;" \
     "listening to the first /health answer: $(( (e - l) / 1000000 )) ms"
# while they fire: GET /health and GET of a record, one after the other, each timed, ten pairs a second
# (a client that loops without pause, or counting the done rows with sqlite3, would take a core of
# this 2-core machine from the service); the end is read from the service's own counter
( while [ ! -e "$W/stop" ]; do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/health" \
      -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/records/inquiry/q$((RANDOM + 1))"
    sleep 0.1
  done > "$W/probe.txt" ) &
fired() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^bylaw_deadlines_fired_total/ {print int($2)}'; }
until [ "$(fired)" -ge "$FIRE" ] 2>/dev/null; do sleep 0.2; done
touch "$W/stop"; sleep 0.2
echo "answers while they fired: $(wc -l < "$W/probe.txt"), slowest $(sort -n "$W/probe.txt" | tail -1 | awk '{printf "%.1f", $1 * 1000}') ms," \
     "p50 $(sort -n "$W/probe.txt" | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}') ms"
f=$(sqlite3 "$W/t.db" "SELECT min(done_ms), max(done_ms) FROM timers WHERE state='done'")
first=${f%|*} last=${f#*|}
echo "fired $FIRE overdue deadlines with the Lua handler in $((last - first)) ms: $(( FIRE * 1000 / (last - first + 1) )) per second"
echo "RSS with $N pending: $(awk '/VmRSS/ {print $2 " " $3}' /proc/$pid/status)"
# lateness: 2,000 deadlines due over the next 2 seconds on the real clock
now=$(date +%s%3N)
sqlite3 "$W/t.db" "UPDATE timers SET due_ms = $now + 1000 + (id % 2000) WHERE id BETWEEN $FIRE + 1 AND $FIRE + 2000"
curl -s -X PUT "http://127.0.0.1:$port/records/inquiry/wake" -d '{"received_at":"2026-01-01T00:00:00+08:00","answered":true}' >/dev/null
sleep 4
sqlite3 "$W/t.db" "SELECT done_ms - due_ms FROM timers WHERE id BETWEEN $FIRE + 1 AND $FIRE + 2000 AND state = 'done' ORDER BY 1" > "$W/late.txt"
cnt=$(wc -l < "$W/late.txt")
[ "$cnt" -gt 0 ] && echo "lateness of $cnt deadlines due on the real clock: p50 $(sed -n "$((cnt / 2 + 1))p" "$W/late.txt") ms, p99 $(sed -n "$((cnt * 99 / 100 + 1))p" "$W/late.txt") ms"
kill -TERM $pid; wait $pid || true
