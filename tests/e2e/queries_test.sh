#!/usr/bin/env bash
# queries_test.sh BYLAW — record lists and the decision queue answered by reader threads (issue 12):
# indexes from the settings (made at start-up, dropped when no longer named, said in the log), the
# same answers with and without an index, in(...) lists through the index, a query past
# query_timeout_ms refused with the index to add, the queue off the loop, a bad index setting refused
# by name. Closes with 'N passed, N failed'.
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/policies"
cp "$ROOT"/policies/client_grade*.lua "$WORK/policies/"
N=20000
echo '{"id":"seed","annual_revenue":1}' | "$BYLAW" eval client --db "$WORK/e2e.db" --policies "$WORK/policies" \
  --scripts "$ROOT/scripts" --input - > /dev/null
sqlite3 "$WORK/e2e.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
  INSERT INTO records(type, id, version, created_ms, updated_ms, body)
  SELECT 'client', printf('c%05d', i), 1, i, i, json_object('id', printf('c%05d', i), 'type', 'client',
    'annual_revenue', i % 1000, 'region', CASE i % 3 WHEN 0 THEN 'north' WHEN 1 THEN 'south' ELSE 'east' END) FROM n"
q() { curl -s "$URL/records/client?$1"; }
ids() { q "$1" | grep -o '"id":"c[0-9]*"' | tr -d '"' | sed 's/id://' | tr '\n' ' ' | sed 's/ $//'; }

echo "-- without an index"
serve
plain_eq=$(ids 'annual_revenue=7&limit=50') plain_in=$(ids 'annual_revenue=in(7,8)&region=north&limit=50')
plain_range=$(ids 'annual_revenue>=998&sort=-created&limit=7')
check "an equality filter finds its 20 records" 20 "$(wc -w <<<"$plain_eq")"
unserve

echo "-- with client.annual_revenue indexed"
serve --indexes client.annual_revenue,client.region
has "the indexes are made at start-up and said" "indexes: client.annual_revenue indexed ($((N + 1)) records" "$(cat "$WORK/serve.log")"
check "the index exists" 1 "$(sqlite3 "$WORK/e2e.db" "SELECT count(*) FROM sqlite_schema WHERE name = 'bylaw_field:client:annual_revenue'")"
check "an equality through the index: the same records" "$plain_eq" "$(ids 'annual_revenue=7&limit=50')"
check "in(...) with another condition: the same records" "$plain_in" "$(ids 'annual_revenue=in(7,8)&region=north&limit=50')"
check "a range in another order: the same records" "$plain_range" "$(ids 'annual_revenue>=998&sort=-created&limit=7')"
check "pages follow on through the index" "$(ids 'annual_revenue=7&limit=50' | cut -d' ' -f11-20)" \
  "$(ids "annual_revenue=7&limit=10&after=$(ids 'annual_revenue=7&limit=10' | awk '{print $10}')")"
check "a number is not the text of it" "" "$(ids 'annual_revenue=in("7")')"
check "CSV through a reader thread" "id,type,annual_revenue,region" "$(curl -s "$URL/records/client?annual_revenue=7&format=csv" | head -1 | tr -d '\r')"
has "the queue is answered too" '"decisions":[' "$(curl -s "$URL/decisions?type=client&limit=5")"
unserve

echo "-- a query past query_timeout_ms"
serve --indexes client.annual_revenue --query-timeout-ms 1
body=$(q 'name=nobody&region!=north')
has "is refused with the index to add" "took longer than query_timeout_ms (1 ms): no index serves its conditions; add client.name,client.region to the setting indexes" "$body"
check "...as 422" 422 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/records/client?name=nobody")"
has "the index named no longer is dropped, and said" "index on client:region dropped (no longer in the settings)" "$(cat "$WORK/serve.log")"
check "the service goes on" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/records/client?annual_revenue=7")"
unserve

echo "-- settings"
out=$("$BYLAW" serve --db "$WORK/e2e.db" --indexes client --check-config 2>&1)
has "an index that is not TYPE.FIELD is refused by name" "indexes: 'client' is not TYPE.FIELD" "$out"
has "a reader count out of range is refused" "readers" "$("$BYLAW" serve --readers 0 --check-config 2>&1)"
finish
