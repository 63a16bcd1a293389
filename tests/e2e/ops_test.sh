#!/usr/bin/env bash
# ops_test.sh BYLAW — the service as an operator runs it (issue 10): the WAL stays bounded under
# 100,000 durable writes and the data reaches the database file; one service per database; files for
# this user only; a backup taken under a write load holds every acknowledged write and restores;
# POST /admin/backup likewise; export, erase (command and API), retention, vacuum; settings refused by
# name; SIGHUP. Closes with 'N passed, N failed'.
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/policies"
cp "$ROOT"/policies/*.lua "$WORK/policies/"
cd "$WORK"
case "$BYLAW" in *asan*) WRITES=20000 ;; *) WRITES=100000 ;; esac

start() { # start [args]
  : > serve.log
  "$BYLAW" serve --db "$WORK/o.db" --policies policies --listen 127.0.0.1:0 --scripts "$ROOT/scripts" "$@" \
    2>> serve.log &
  PID=$!
  for _ in $(seq 200); do
    PORT=$(grep -o 'serving http://127.0.0.1:[0-9]*' serve.log | tail -1 | grep -o '[0-9]*$')
    [ -n "$PORT" ] && curl -s "http://127.0.0.1:$PORT/health" >/dev/null && break
    sleep 0.05
  done
  URL="http://127.0.0.1:$PORT"
}
stop() { kill -TERM "$PID"; wait "$PID"; PID=; }
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

start --access-log=false
# 1. the WAL stays under its limit (64 MiB) while WRITES durable writes go in
# (wrk's main thread sleeps for all of -d whatever its threads do: once WRITES answers are in, the
# script leaves a file and the shell interrupts wrk, which then prints its summary)
cat > count.lua <<EOF
local n, answered, max = 0, 0, $WRITES
response = function()
  answered = answered + 1
  if answered == max then io.open("wrk.done", "w"):close() wrk.thread:stop() end
end
request = function()
  n = n + 1
  local body = string.format('{"annual_revenue":%d,"region_group":%d}', (n * 7919) % 8000000, n % 3 + 1)
  return wrk.format("PUT", "/records/client/w" .. (n % 10000), { ["Content-Type"] = "application/json" }, body)
end
EOF
: > wal.sizes
( while kill -0 "$PID" 2>/dev/null && [ ! -e wal.stop ]; do size o.db-wal >> wal.sizes; sleep 0.2; done ) &
SAMPLER=$!
if command -v wrk >/dev/null; then
  wrk -t1 -c16 -d600s -s count.lua "$URL" > wrk.out 2>&1 &
  WRK=$!
  while kill -0 $WRK 2>/dev/null && [ ! -e wrk.done ]; do sleep 0.1; done
  kill -INT $WRK 2>/dev/null; wait $WRK
else
  for i in $(seq 2000); do curl -s -o /dev/null -X PUT "$URL/records/client/w$i" -d '{"annual_revenue":1}'; done
fi
touch wal.stop; wait $SAMPLER
versions=$(sqlite3 o.db "SELECT count(*) FROM record_history WHERE type = 'client'")
check "the writes were acknowledged and stored (record versions)" 1 "$(( versions >= (WRITES < 2000 ? WRITES : 2000) ))"
maxwal=$(sort -n wal.sizes | tail -1)
check "the WAL stayed under its 64 MiB limit (largest seen: $maxwal bytes)" 1 "$(( ${maxwal:-0} <= 67108864 ))"
for _ in $(seq 50); do [ "$(size o.db-wal)" = 0 ] && break; sleep 0.1; done
check "idle, the WAL is cut back to nothing" 0 "$(size o.db-wal)"
check "the data is in the database file itself (a plain copy holds every record)" 10000 \
  "$(cp o.db plain.db && sqlite3 plain.db "SELECT count(*) FROM records WHERE type = 'client'")"

# 2. one service per database; files for this user only
out=$("$BYLAW" serve --db "$WORK/o.db" --policies policies --listen 127.0.0.1:0 --scripts "$ROOT/scripts" 2>&1)
rc=$?
check "a second service on the same database exits non-zero" 1 "$rc"
has "...naming the first" "in use (bylaw serve, pid $PID, listening on 127.0.0.1:0)" "$out"
check "the database is created for this user only" 600 "$(stat -c %a o.db)"
check "so is its WAL" 600 "$(stat -c %a o.db-shm)"

# 3. a backup under a write load holds every write acknowledged before it began, and restores
( i=0; while [ ! -e load.stop ]; do i=$((i + 1))
    [ "$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$URL/records/client/b$i" -d '{"annual_revenue":1}')" = 200 ] &&
      echo "$i" > acked
  done ) &
LOAD=$!
sleep 1
before=$(cat acked)
"$BYLAW" backup "$WORK/backup.db" --db "$WORK/o.db" > backup.out 2>&1
check "bylaw backup under load succeeds" 0 "$?"
sleep 0.3
before_api=$(cat acked)
api=$(curl -s -X POST "$URL/admin/backup" -d '{"name":"api-backup.db"}')
has "POST /admin/backup under load answers where the copy is" "\"backup\":\"$WORK/api-backup.db\"" "$api"
check "a second backup of that name is refused (409)" 409 \
  "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/admin/backup" -d '{"name":"api-backup.db"}')"
has "a backup name may not leave the backup directory" "must be a file name" \
  "$(curl -s -X POST "$URL/admin/backup" -d '{"name":"../elsewhere.db"}')"
sleep 0.3
touch load.stop; wait $LOAD
check "the API's backup passes integrity_check" ok "$(sqlite3 api-backup.db 'PRAGMA integrity_check')"
check "the API's backup holds every write acknowledged before it began (b1..b$before_api)" "$before_api" \
  "$(sqlite3 api-backup.db "SELECT count(*) FROM records WHERE type = 'client' AND id LIKE 'b%' AND CAST(substr(id, 2) AS INTEGER) <= $before_api")"
check "the API's backup is for this user only" 600 "$(stat -c %a api-backup.db)"
b=$(curl -s -X POST "$URL/admin/backup")
has "without a name, the copy is named after the database and the local time" "\"backup\":\"$WORK/o.db-backup-" "$b"
check "the backup passes integrity_check" ok "$(sqlite3 backup.db 'PRAGMA integrity_check')"
check "the backup holds every write acknowledged before it began (b1..b$before)" "$before" \
  "$(sqlite3 backup.db "SELECT count(*) FROM records WHERE type = 'client' AND id LIKE 'b%' AND CAST(substr(id, 2) AS INTEGER) <= $before")"
check "the backup is for this user only" 600 "$(stat -c %a backup.db)"
check "a backup never overwrites a file" 1 "$("$BYLAW" backup "$WORK/backup.db" --db "$WORK/o.db" >/dev/null 2>&1; echo $?)"
has "restore refuses while the service runs" "in use (bylaw serve" "$("$BYLAW" restore backup.db --db o.db 2>&1)"

# 4. export, erase (through the store, the service stopped), retention and vacuum
stop
n=$("$BYLAW" export --type client --db o.db | wc -l)
check "export writes one line per record" "$(sqlite3 o.db "SELECT count(*) FROM records WHERE type = 'client'")" "$n"
has "an exported line is the record's fields" '"id":"b1","type":"client"' "$("$BYLAW" export --type client --db o.db | grep '"id":"b1"')"
out=$("$BYLAW" erase client w7 --reason "the client asked (个人信息保护法 art. 47)" --by dpo --db o.db)
has "erase deletes the record and its history" '"versions":' "$out"
check "nothing of w7 is left" 0 "$(sqlite3 o.db "SELECT (SELECT count(*) FROM records WHERE id = 'w7') + (SELECT count(*) FROM record_history WHERE id = 'w7') + (SELECT count(*) FROM decisions WHERE record_id = 'w7')")"
check "the erasure is recorded: who, why, counts, not the data" "dpo|the client asked (个人信息保护法 art. 47)" \
  "$(sqlite3 o.db "SELECT by, reason FROM erasures WHERE record_id = 'w7'")"
has "an erasure needs a reason" "--reason TEXT is required" "$("$BYLAW" erase client w8 --db o.db 2>&1)"
check "restore puts the backup in place" 0 "$("$BYLAW" restore backup.db --db restored.db >/dev/null 2>&1; echo $?)"
check "the restored database is sound" ok "$(sqlite3 restored.db 'PRAGMA integrity_check')"
sqlite3 restored.db "UPDATE records SET body = json_set(body, '$.marker', 'replaced') WHERE id = 'b1'"
out=$("$BYLAW" restore backup.db --db restored.db 2>&1)
has "restore over a database keeps the one it replaced" "the database it replaced is kept as restored.db.before-restore-" "$out"
aside=$(ls restored.db.before-restore-* | head -1)
check "...whole, with what it held" 1 "$(sqlite3 "$aside" "SELECT count(*) FROM records WHERE body LIKE '%replaced%'")"
head -c 4096 backup.db > broken.db; head -c 100000 /dev/urandom >> broken.db
sleep 1 # a new name for the copy kept aside
out=$("$BYLAW" restore backup.db --db broken.db 2>&1)
check "restore over a broken database succeeds" "0" "$?"
has "...and moves the broken one aside as it is" "the database it replaced is kept as broken.db.before-restore-" "$out"
check "...byte for byte" 104096 "$(stat -c %s "${out##*kept as }")"
has "restore refuses a file that is not a bylaw database" "not a bylaw database" \
  "$(sqlite3 other.db 'CREATE TABLE t(x)'; "$BYLAW" restore other.db --db restored.db 2>&1)"
check "the database restored in its place is sound" ok "$(sqlite3 broken.db 'PRAGMA integrity_check')"
printf '{"retention": {"history_versions": 2, "timers_days": 1}}\n' > retention.json
start --config retention.json
for _ in $(seq 100); do
  left=$(sqlite3 o.db "SELECT count(*) FROM record_history h JOIN records r USING (type, id) WHERE h.version <= r.version - 2")
  [ "$left" = 0 ] && break
  sleep 0.2
done
check "retention keeps 2 versions per record" 0 "$left"
stop
before=$(size o.db)
out=$("$BYLAW" vacuum --db o.db)
has "vacuum compacts" "compacted" "$out"
check "the file is smaller" 1 "$(( $(size o.db) < before ))"

# 5. settings: refused by name; SIGHUP reads the config again
check "a listen given as a number is refused" 2 \
  "$(echo '{"listen":18707}' > bad.json; "$BYLAW" serve --config bad.json >/dev/null 2>&1; echo $?)"
has "a nested typo is named with the closest key" 'unknown setting "limits.budgett" (did you mean "limits.budget"?)' \
  "$(echo '{"limits":{"budgett":1}}' > bad.json; "$BYLAW" serve --config bad.json 2>&1)"
has "a negative limit is refused by range" 'must be a whole number from 1 to 3600000' \
  "$(echo '{"limits":{"timeout_ms":-5}}' > bad.json; "$BYLAW" serve --config bad.json 2>&1)"
has "a key given twice is refused" 'duplicate key "db"' \
  "$(echo '{"db":"a.db","db":"b.db"}' > bad.json; "$BYLAW" serve --config bad.json 2>&1)"
has "--check-config says where each value came from" '"from":	"BYLAW_WORKERS"' \
  "$(BYLAW_WORKERS=3 "$BYLAW" serve --check-config 2>/dev/null)"
has "serve takes the limits every command takes" '"value":	5000' "$("$BYLAW" serve --budget 5000 --check-config 2>/dev/null)"
# 6. erasure through the API: an admin's token, a reason, recorded under the token's name
printf '{"tokens": [{"name": "dpo", "token": "dpo-token-000001", "role": "admin"}, {"name": "clerk", "token": "clerk-token-00001", "role": "writer"}]}\n' > tokens.json
start --config tokens.json
A="Authorization: Bearer dpo-token-000001"
curl -s -o /dev/null -H "$A" -X PUT "$URL/records/client/gone" -d '{"annual_revenue":7314159,"name":"Erased Client Ltd"}'
check "a writer may not erase" 403 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer clerk-token-00001' \
  -X POST "$URL/records/client/gone/erase" -d '{"reason":"asked"}')"
has "an erasure through the API needs a reason" '"reason\" is required' \
  "$(curl -s -H "$A" -X POST "$URL/records/client/gone/erase" -d '{}')"
out=$(curl -s -H "$A" -X POST "$URL/records/client/gone/erase" -d '{"reason":"the client asked"}')
has "POST .../erase says what went" '"erased":"client/gone","deleted":{"versions":1,"decisions":1' "$out"
check "the record is gone" 404 "$(curl -s -o /dev/null -w '%{http_code}' -H "$A" "$URL/records/client/gone")"
check "its history is gone" 404 "$(curl -s -o /dev/null -w '%{http_code}' -H "$A" "$URL/records/client/gone/history")"
check "the erasure is recorded under the token's name" "dpo|the client asked" \
  "$(sqlite3 o.db "SELECT by, reason FROM erasures WHERE record_id = 'gone'")"
check "erasing it again is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' -H "$A" -X POST "$URL/records/client/gone/erase" -d '{"reason":"again"}')"
stop
check "the erased fields are not left in the database file (secure_delete)" 0 \
  "$(cat o.db o.db-wal 2>/dev/null | grep -ac "Erased Client Ltd")"

printf '{"limits": {"timeout_ms": 250}}\n' > hup.json
start --config hup.json
printf '{"limits": {"timeout_ms": 500}, "access_log": false}\n' > hup.json
kill -HUP "$PID"
for _ in $(seq 100); do grep -q 'SIGHUP' serve.log && break; sleep 0.05; done
has "SIGHUP reads the config again and says what changed" "limits.timeout_ms: 250 -> 500" "$(cat serve.log)"
check "the service still answers" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/health")"
stop
finish
