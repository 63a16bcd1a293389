#!/usr/bin/env bash
# tests/bench/queries.sh — record queries over CLIENTS stored clients (default 1,000,000) with
# client.annual_revenue indexed: the latency of an indexed equality filter (wrk, a random value per
# request), then the p99 of durable PUTs while unindexed queries (grade=platinum, a scan of the type
# on reader threads) run beside them, next to the PUT p99 with nothing else running. RUNS runs each
# (default 3), medians printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${CLIENTS:-1000000}
RUNS=${RUNS:-3}
W=$(mktemp -d)
trap 'p=$(jobs -p); [ -n "$p" ] && kill -9 $p 2>/dev/null; rm -rf "$W"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ms() { # wrk's latency ("812.00us", "3.41ms", "1.02s") in milliseconds
  awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f\n", v}'
}
echo '{"id":"seed","annual_revenue":1}' | ./bylaw eval client --db "$W/q.db" --input - >/dev/null
now=$(date +%s%3N)
sqlite3 "$W/q.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
INSERT INTO records(type, id, version, created_ms, updated_ms, body)
  SELECT 'client', printf('c%07d', i), 1, $now + i, $now + i,
         json_object('id', printf('c%07d', i), 'type', 'client', 'annual_revenue', (i * 7919) % 10000000,
                     'grade', CASE WHEN (i * 7919) % 10000000 >= 5000000 THEN 'diamond' ELSE 'gold' END) FROM n;
SQL
echo "$N client records ($(du -h "$W/q.db" | cut -f1) database), index on client.annual_revenue"
port=$((20000 + RANDOM % 20000))
s=$(date +%s%N)
./bylaw serve --db "$W/q.db" --listen 127.0.0.1:$port --indexes client.annual_revenue 2> "$W/serve.log" &
pid=$!
until curl -s "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.05; done
echo "start-up with the index made: $(( ($(date +%s%N) - s) / 1000000 )) ms ($(grep -o 'indexes: .*' "$W/serve.log"))"
URL="http://127.0.0.1:$port"

cat > "$W/eq.lua" <<'LUA'
math.randomseed(7)
request = function()
  local i = math.random(1, 1000000)
  return wrk.format("GET", "/records/client?annual_revenue=" .. ((i * 7919) % 10000000) .. "&limit=5")
end
LUA
p50s=() p99s=() rates=()
for r in $(seq "$RUNS"); do
  wrk -t1 -c4 -d4s --latency -s "$W/eq.lua" "$URL" > "$W/wrk.txt"
  p50s+=("$(awk '$1 == "50%" {print $2}' "$W/wrk.txt" | ms)") p99s+=("$(awk '$1 == "99%" {print $2}' "$W/wrk.txt" | ms)")
  rates+=("$(awk '/Requests\/sec/ {print $2}' "$W/wrk.txt")")
done
echo "indexed equality (GET /records/client?annual_revenue=V&limit=5, wrk -c4): median p50 $(printf '%s\n' "${p50s[@]}" | median) ms," \
     "p99 $(printf '%s\n' "${p99s[@]}" | median) ms, $(printf '%s\n' "${rates[@]}" | median) requests/s"
one=$(curl -s -o /dev/null -w '%{time_total}' "$URL/records/client?grade=platinum&limit=5")
echo "an unindexed filter (grade=platinum: no record matches, the whole type is read): $(echo "$one * 1000" | bc -l | cut -d. -f1) ms, off the loop"

puts() { # puts LABEL: RUNS wrk runs of durable PUTs, median p99
  local p=()
  for r in $(seq "$RUNS"); do
    wrk -t1 -c32 -d4s --latency -s tests/bench/put_client.lua "$URL" > "$W/put.txt"
    p+=("$(awk '$1 == "99%" {print $2}' "$W/put.txt" | ms)")
  done
  echo "PUT /records/client/ID $1 (wrk -c32, durable): median p99 $(printf '%s\n' "${p[@]}" | median) ms" \
       "(runs: ${p[*]})"
}
puts "alone"
for k in 1 2; do # two clients asking unindexed queries back to back
  ( while [ ! -e "$W/stop" ]; do curl -s -o /dev/null "$URL/records/client?grade=platinum&limit=5"; done ) &
done
sleep 0.5
puts "while 2 clients run unindexed queries"
touch "$W/stop"
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
kill -TERM "$pid"; wait "$pid" || true
