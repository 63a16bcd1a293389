#!/usr/bin/env bash
# tests/bench/lifecycle.sh — policy edits at scale. bylaw diff over CLIENTS stored clients (default
# 1,000,000, made with SQL) of an edit that lowers the platinum threshold from 2,000,000 to 1,500,000,
# its transition count checked against SQL, while `bylaw serve` runs on the same database and answers
# GET /records/client/ID at RATE a second (default 50; latency p50 and p99 of those during the diff);
# then bylaw import of CLIENTS client records from JSON lines into a new database, with their decisions.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${CLIENTS:-1000000}
RATE=${RATE:-50}
W=$(mktemp -d)
trap 'p=$(jobs -p); [ -n "$p" ] && kill -9 $p 2>/dev/null; rm -rf "$W"' EXIT

# the edit: platinum from 1,500,000 instead of 2,000,000 (the tests follow the edit: bylaw diff does not
# run them, the service would)
mkdir "$W/new"
cp policies/*.lua "$W/new/"
sed -i 's/{ "platinum", 2000000 }/{ "platinum", 1500000 }/' "$W/new/client_grade.lua"

# N clients, deterministic revenues (an LCG, as gen_clients.lua), stored as the service stores them
echo '{"id":"seed","annual_revenue":1}' | ./bylaw eval client --db "$W/c.db" --input - >/dev/null
now=$(date +%s%3N)
sqlite3 "$W/c.db" <<SQL
DELETE FROM records; DELETE FROM record_history; DELETE FROM decisions;
WITH RECURSIVE n(i, x) AS (SELECT 1, 12345 UNION ALL SELECT i + 1, (x * 1103515245 + 12345) % 2147483648 FROM n WHERE i < $N)
INSERT INTO records(type, id, version, created_ms, updated_ms, body)
  SELECT 'client', 'c' || i, 1, $now, $now, json_object('id', 'c' || i, 'type', 'client', 'annual_revenue', x % 8000000,
    'region_group', 1 + (x / 8000000) % 3) FROM n;
SQL
want=$(sqlite3 "$W/c.db" "SELECT count(*) FROM records WHERE type = 'client' AND json_extract(body, '\$.annual_revenue') >= 1500000
  AND json_extract(body, '\$.annual_revenue') < 2000000")
echo "bylaw diff: $N stored clients ($(du -h "$W/c.db" | cut -f1) database), platinum from 2,000,000 down to 1,500,000, $(nproc) cores"

port=$((20000 + RANDOM % 20000))
./bylaw serve --db "$W/c.db" --listen 127.0.0.1:$port 2> "$W/serve.log" &
spid=$!
for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
# GETs at RATE a second while the diff runs (curl's own rate limit, one connection)
urls=()
for i in $(seq 3000); do urls+=(-o /dev/null "http://127.0.0.1:$port/records/client/c$(( (i * 7919) % N + 1 ))"); done
curl -s --rate "$RATE/s" -w '%{stderr}%{time_total}\n' "${urls[@]}" 2> "$W/lat.txt" &
cpid=$!
sleep 1
s=$(date +%s.%N)
./bylaw diff --db "$W/c.db" --policies "$W/new" --type client > "$W/diff.txt"
e=$(date +%s.%N)
sleep 1
kill $cpid 2>/dev/null || true
wait $cpid 2>/dev/null || true
kill -TERM $spid
wait $spid || true
got=$(grep -o 'grade gold → platinum: [0-9,]*' "$W/diff.txt" | grep -o '[0-9,]*$' | tr -d ,)
printf '  %.2f s for %s records (%s); gold → platinum: %s, by SQL %s: %s\n' "$(echo "$e - $s" | bc -l)" "$N" \
  "$(head -1 "$W/diff.txt" | grep -o 'in [0-9.]* s')" "$got" "$want" "$([ "$got" = "$want" ] && echo exact || echo WRONG)"
sort -n "$W/lat.txt" > "$W/lat.sorted"
c=$(wc -l < "$W/lat.sorted")
if [ "$c" -gt 0 ]; then
  printf '  the service meanwhile: %d GETs, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n' "$c" \
    "$(echo "$(sed -n "$((c / 2 + 1))p" "$W/lat.sorted") * 1000" | bc -l)" \
    "$(echo "$(sed -n "$((c * 99 / 100 + 1))p" "$W/lat.sorted") * 1000" | bc -l)" \
    "$(echo "$(tail -1 "$W/lat.sorted") * 1000" | bc -l)"
fi

echo
lua5.4 tests/bench/gen_clients.lua "$N" > "$W/clients.jsonl"
echo "bylaw import: $N client records (JSON lines) into a new database, with their decisions"
./bylaw import --db "$W/i.db" client "$W/clients.jsonl" | sed 's/^/  /'
echo "  $(sqlite3 "$W/i.db" "SELECT count(*) FROM records") records, $(sqlite3 "$W/i.db" "SELECT count(*) FROM decisions") decisions stored"
