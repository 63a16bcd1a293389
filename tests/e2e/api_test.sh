#!/usr/bin/env bash
# api_test.sh BYLAW — the API's routes as a table, its queries and its refusals, against the real service:
# GET /decisions (the work queue; filters, pages, CSV parsed by an RFC 4180 reader, JSON lines), record
# conditions and orders, PATCH (merge patch, If-Match), DELETE (soft, admin only), 405 with Allow, and
# every refusal with its exact status: 400 (names, bytes, numbers, months, bodies), 401, 403 (roles, a
# proxy in open mode), 404, 414, 429 (long polls). Closes with 'N passed, N failed'.
set -u
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/policies"
cp "$ROOT"/policies/*.lua "$WORK/policies/"
cat > "$WORK/policies/note.lua" << 'EOF'
policy { name = "note", type = "note", fields = { text = "string" },
         decide = function(r, d) d:because(string.format("said %q, then left", r.text)) end }
EOF
cd "$WORK"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# csv FILE: "ROWS COLUMNS", or "ragged" when a row has another number of fields than the header (RFC 4180:
# fields split by commas, quoted fields may hold commas, CRLF and doubled quotes; each record ends in CRLF)
csv() {
  lua5.4 - "$@" << 'LUA'
local s = io.open(arg[1], "rb"):read("a")
local rows, row, field, i, quoted = {}, {}, {}, 1, false
while i <= #s do
  local c = s:sub(i, i)
  if quoted then
    if c == '"' and s:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1
    elseif c == '"' then quoted = false
    else field[#field + 1] = c end
  elseif c == '"' then quoted = true
  elseif c == "," then row[#row + 1] = table.concat(field); field = {}
  elseif c == "\r" and s:sub(i + 1, i + 1) == "\n" then
    row[#row + 1] = table.concat(field); field = {}; rows[#rows + 1] = row; row = {}; i = i + 1
  else field[#field + 1] = c end
  i = i + 1
end
if #row > 0 or #field > 0 then print("no CRLF at the end"); return end
for _, r in ipairs(rows) do if #r ~= #rows[1] then print("ragged"); return end end
if arg[2] then -- a cell: arg[2] the column's name, arg[3] the data row
  for k, name in ipairs(rows[1]) do if name == arg[2] then print(rows[tonumber(arg[3]) + 1][k]); return end end
end
print((#rows - 1) .. " " .. #rows[1])
LUA
}

serve
echo "service on $URL"

# a few records and decisions
curl -s -X PUT "$URL/records/client/c1" -d '{"annual_revenue":2000000,"region_group":1}' > /dev/null
curl -s -X PUT "$URL/records/client/c2" -d '{"annual_revenue":6000000,"region_group":1}' > /dev/null
curl -s -X PUT "$URL/records/client/c3" -d '{"annual_revenue":20000,"region_group":1}' > /dev/null
curl -s -X PUT "$URL/records/client/c4" -d '{"annual_revenue":300000,"region_group":1}' > /dev/null
curl -s -X PUT "$URL/records/candidate/p1" -d '{"age":30,"key_post":true}' > /dev/null  # hold: consent first
curl -s -X PUT "$URL/records/candidate/p2" -d '{"age":30,"level":"senior"}' > /dev/null # hold
curl -s -X PUT "$URL/records/candidate/p3" -d '{"age":16}' > /dev/null                  # reject
curl -s -X PUT "$URL/records/candidate/p4" -d '{"age":40}' > /dev/null                  # pass

echo "-- GET /decisions"
out=$(curl -s "$URL/decisions?verdict=hold")
check "the work queue lists the records on hold, newest first" "p2 p1" \
  "$(echo "$out" | grep -o '"id":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ' | sed 's/ $//')"
has "a row names the policy and its version" '"policy":"candidate_screen","version":"' "$out"
has "a row has the explanation and reasons" '"reasons":["background check required' "$out"
has "a row has the local time and at_ms" '+08:00","at_ms":' "$out"
has "a row has the record version" '"record_version":1' "$out"
curl -s -X PATCH "$URL/records/candidate/p1" -d '{"consent":true,"background_check":"done"}' > /dev/null
out=$(curl -s "$URL/decisions?verdict=hold")
check "a record that passed since leaves the queue" 1 "$(echo "$out" | grep -o '"id":"p' | wc -l)"
check "current=false keeps every decision ever held" 2 \
  "$(curl -s "$URL/decisions?verdict=hold&current=false" | grep -o '"id":"p' | wc -l)"
check "filters: policy and type" 4 "$(curl -s "$URL/decisions?policy=client_grade&type=client" | grep -o '"decision":' | wc -l)"
check "filters: trigger" 0 "$(curl -s "$URL/decisions?trigger=timer" | grep -o '"decision":' | wc -l)"
check "filters: verdict none" 4 "$(curl -s "$URL/decisions?verdict=none" | grep -o '"decision":' | wc -l)"
check "since a date in the future: nothing" '{"decisions":[],"next":null}' "$(curl -s "$URL/decisions?since=2099-01-01")"
check "until a date long past: nothing" '{"decisions":[],"next":null}' "$(curl -s "$URL/decisions?until=2000-01-01")"
check "since and until as ISO 8601" 9 \
  "$(curl -s "$URL/decisions?current=false&since=2000-01-01T00:00:00Z&until=2099-01-01T00:00:00%2B08:00" | grep -o '"decision":' | wc -l)"
page1=$(curl -s "$URL/decisions?limit=4&order=asc&current=false")
next=$(echo "$page1" | grep -o '"next":"[^"]*"' | cut -d'"' -f4)
check "oldest first: the first decision is c1's" '"id":"c1"' "$(echo "$page1" | grep -o '"id":"[^"]*"' | head -1)"
page2=$(curl -s "$URL/decisions?limit=4&order=asc&current=false&after=$next")
page3=$(curl -s "$URL/decisions?limit=4&order=asc&current=false&after=$(echo "$page2" | grep -o '"next":"[^"]*"' | cut -d'"' -f4)")
check "pages follow each other without a gap or a repeat" "1 2 3 4 5 6 7 8 9" \
  "$(echo "$page1$page2$page3" | grep -o '"decision":[0-9]*' | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
has "the last page says so" '"next":null' "$page3"
curl -s -X PUT "$URL/records/note/n1" -d '{"text":"no, thanks"}' > /dev/null # quotes and commas
curl -s -D head.txt -o decisions.csv "$URL/decisions?format=csv&current=false"
check "CSV parses (RFC 4180): 10 rows of 12 columns" "10 12" "$(csv decisions.csv)"
has "CSV is text/csv" 'Content-Type: text/csv' "$(cat head.txt)"
check "CSV keeps an explanation with quotes and commas whole" \
  'said "no, thanks", then left' \
  "$(csv decisions.csv explanation 1)"
check "CSV header" "decision,type,id,record_version,policy,version,verdict,explanation,reasons,trigger,at,at_ms" \
  "$(head -1 decisions.csv | tr -d '\r')"
curl -s -H 'Accept: text/csv' -D head.txt -o page.csv "$URL/decisions?limit=2"
check "Accept: text/csv gives CSV too" "2 12" "$(csv page.csv)"
has "a CSV page gives the next cursor in Bylaw-Next" 'Bylaw-Next: ' "$(cat head.txt)"
out=$(curl -s "$URL/decisions?format=jsonl&type=client")
check "JSON lines: one decision per line" 4 "$(echo "$out" | grep -c '^{"decision":')"

echo "-- record conditions and orders"
ids() { curl -s "$@" | grep -o '"id":"[^"]*"' | cut -d'"' -f4 | tr '\n' ' ' | sed 's/ $//'; }
check "?annual_revenue>=1000000" "c1 c2" "$(ids "$URL/records/client?annual_revenue>=1000000")"
check "?annual_revenue<5e6" "c1 c3 c4" "$(ids "$URL/records/client?annual_revenue<5e6")"
check "?annual_revenue>300000 (no =)" "c1 c2" "$(ids "$URL/records/client?annual_revenue>300000")"
check "?grade=in(gold,platinum)" "c1 c4" "$(ids "$URL/records/client?grade=in(gold,platinum)")"
check "?grade!=vip" "c1 c2 c4" "$(ids "$URL/records/client?grade!=vip")"
check "?grade=platinum (still equality)" "c1" "$(ids "$URL/records/client?grade=platinum")"
check "sort=-id" "c4 c3 c2 c1" "$(ids "$URL/records/client?sort=-id")"
check "sort=updated" "c1 c2 c3 c4" "$(ids "$URL/records/client?sort=updated")"
out=$(curl -s "$URL/records/client?sort=-updated&limit=3")
next=$(echo "$out" | grep -o '"next":"[^"]*"' | cut -d'"' -f4)
check "sort=-updated pages with a cursor" "c1" "$(ids "$URL/records/client?sort=-updated&limit=3&after=$next")"
curl -s -o records.csv "$URL/records/client?format=csv"
check "records as CSV" "4 5" "$(csv records.csv)"
check "a filter and a sort together" "c4 c1" "$(ids "$URL/records/client?annual_revenue<5000000&annual_revenue>=200000&sort=-id")"

echo "-- PATCH and DELETE"
out=$(curl -s -w ' %{http_code}' -X PATCH "$URL/records/client/c3" -d '{"annual_revenue":250000,"note":{"a":1,"b":2}}')
has "PATCH merges and evaluates like a PUT" '"grade":"gold"' "$out"
has "PATCH keeps the fields it does not name" '"region_group":1' "$out"
has "PATCH answers 200 with the new version" '"version":2} 200' "$out"
out=$(curl -s -X PATCH "$URL/records/client/c3" -H 'If-Match: "2"' -d '{"note":{"a":null}}')
has "PATCH: null removes a field, objects merge" '"note":{"b":2}' "$out"
check "PATCH with a stale If-Match is 409" 409 "$(code -X PATCH "$URL/records/client/c3" -H 'If-Match: "1"' -d '{"x":1}')"
check "PATCH of a missing record is 404" 404 "$(code -X PATCH "$URL/records/client/nobody" -d '{"x":1}')"
check "PATCH with an array body is 400" 400 "$(code -X PATCH "$URL/records/client/c3" -d '[1]')"
check "PATCH removing the id is 400" 400 "$(code -X PATCH "$URL/records/client/c3" -d '{"id":null}')"
check "PATCH naming another id is 400" 400 "$(code -X PATCH "$URL/records/client/c3" -d '{"id":"c9"}')"
out=$(curl -s -w ' %{http_code}' -X DELETE "$URL/records/client/c3")
has "DELETE answers 200 with what was deleted" '"record":{"id":"c3"' "$out"
has "DELETE says when" '"deleted":"' "$out"
check "a deleted record is gone from GET" 404 "$(code "$URL/records/client/c3")"
check "a deleted record is gone from lists" "c1 c2 c4" "$(ids "$URL/records/client")"
check "its history stays" 200 "$(code "$URL/records/client/c3/history")"
check "its decisions stay" 3 "$(curl -s "$URL/records/client/c3/decisions" | grep -o '"policy":' | wc -l)"
check "a second DELETE is 404" 404 "$(code -X DELETE "$URL/records/client/c3")"
check "DELETE with a stale If-Match is 409" 409 "$(code -X DELETE "$URL/records/client/c4" -H 'If-Match: 7')"
out=$(curl -s -X PUT "$URL/records/client/c3" -d '{"annual_revenue":1}')
has "a later PUT recreates it, its versions going on" '"version":4' "$out"
check "POST on a record is 405" 405 "$(code -X POST "$URL/records/client/c1")"
curl -s -D head.txt -o /dev/null -X OPTIONS "$URL/records/client/c1"
has "405 says Allow, from the table" 'Allow: GET, PUT, PATCH, DELETE' "$(tr -d '\r' < head.txt)"
curl -s -D head.txt -o /dev/null -X DELETE "$URL/decisions"
has "Allow for GET-only routes" 'Allow: GET' "$(tr -d '\r' < head.txt)"

echo "-- refusals: 400"
check "a control byte in an id" 400 "$(code "$URL/records/client/c%01x")"
has "... said" 'holds a control character' "$(curl -s "$URL/records/client/c%1Bx")"
check "a control byte in a type" 400 "$(code "$URL/records/cli%7Fent/c1")"
check "an id that is not UTF-8 (found by tests/fuzz/fuzz_http.c)" 400 "$(code "$URL/records/client/c%D22")"
has "... said, and the answer is JSON" '{"error":"the path is not valid UTF-8 (byte 17, decoded)' \
  "$(curl -s -X PUT "$URL/records/client/c%D22" -d '{}')"
has "a query value that is not UTF-8" "the query parameter 'grade' is not valid UTF-8 (byte 2 of its value" \
  "$(curl -s "$URL/records/client?grade=go%FFld")"
check "an id in Chinese is fine" 404 "$(code "$URL/records/client/%E5%AE%A2%E6%88%B7")"
check "a NUL in a query value" 400 "$(code "$URL/records/client?grade=go%00ld")"
has "... said" "holds a control character" "$(curl -s "$URL/records/client?grade=go%00ld")"
check "a line break in a query value" 400 "$(code "$URL/events?after=1%0A")"
check "a control byte in a query name" 400 "$(code "$URL/records/client?gr%07ade=gold")"
check "an unknown parameter" 400 "$(code "$URL/events?afterr=1")"
has "... named, with what is taken" "unknown query parameter 'afterr'; GET /events takes after, wait, limit" \
  "$(curl -s "$URL/events?afterr=1")"
check "sort on a field (no index)" 400 "$(code "$URL/records/client?sort=x")"
has "... named" "sort=x: records are ordered by id, created or updated" "$(curl -s "$URL/records/client?sort=x")"
check "a malformed condition" 400 "$(code "$URL/records/client?a.b=1")"
check "a reserved name as a field" 400 "$(code "$URL/records/client?limit%3E=3")"
check "a parameter given twice" 400 "$(code "$URL/records/client?grade=gold&grade=vip")"
check "in() empty" 400 "$(code "$URL/records/client?grade=in()")"
check ">= true" 400 "$(code "$URL/records/client?annual_revenue>=true")"
for q in "limit=0" "limit=1001" "limit=ten"; do
  check "records ?$q" 400 "$(code "$URL/records/client?$q")"
done
for q in "after=-1" "wait=301" "limit=0" "wait=1.5"; do
  check "events ?$q" 400 "$(code "$URL/events?$q")"
done
has "a number's message says the range" "wait must be a whole number from 0 to 300, got '301'" \
  "$(curl -s "$URL/events?wait=301")"
check "decisions ?limit=5000" 400 "$(code "$URL/decisions?limit=5000")"
check "decisions ?verdict=maybe" 400 "$(code "$URL/decisions?verdict=maybe")"
check "decisions ?order=up" 400 "$(code "$URL/decisions?order=up")"
check "decisions ?since=yesterday" 400 "$(code "$URL/decisions?since=yesterday")"
check "decisions ?trigger=cron" 400 "$(code "$URL/decisions?trigger=cron")"
check "decisions ?format=xml" 400 "$(code "$URL/decisions?format=xml")"
check "decisions ?after=junk" 400 "$(code "$URL/decisions?after=junk")"
check "ledger ?month=abcd-ef" 400 "$(code "$URL/ledger/wang?month=abcd-ef")"
check "ledger ?month=2026-13" 400 "$(code "$URL/ledger/wang?month=2026-13")"
has "... says what a month is" "month must be a month YYYY-MM (01 to 12), got 'abcd-ef'" \
  "$(curl -s "$URL/ledger/wang?month=abcd-ef")"
check "ledger ?month=2026-11 is fine" 200 "$(code "$URL/ledger/wang?month=2026-11")"
check "timers ?limit=0" 400 "$(code "$URL/timers?limit=0")"
check "rollback {\"version\":12345}" 400 "$(code -X POST "$URL/policies/client_grade/rollback" -d '{"version":12345}')"
has "... named" '\"version\" must be text (a JSON string), not a number' \
  "$(curl -s -X POST "$URL/policies/client_grade/rollback" -d '{"version":12345}')"
check "rollback with an unknown key" 400 "$(code -X POST "$URL/policies/client_grade/rollback" -d '{"versoin":"x"}')"
has "... named" 'unknown key \"versoin\"' "$(curl -s -X POST "$URL/policies/client_grade/rollback" -d '{"versoin":"x"}')"
check "rollback with an array" 400 "$(code -X POST "$URL/policies/client_grade/rollback" -d '[]')"
check "every error is {\"error\": ...}" '{"error":' "$(curl -s "$URL/events?limit=0" | head -c 9)"

echo "-- refusals: 414, 404"
long=$(head -c 2100 /dev/zero | tr '\0' 'a')
check "a path over 2048 bytes is 414, not cut" 414 "$(code "$URL/records/client/$long")"
check "an unknown path is 404" 404 "$(code "$URL/recordz/client")"
check "a path with too many segments is 404" 404 "$(code "$URL/records/client/c1/history/x/y/z/w/v")"

echo "-- refusals: open mode behind a proxy (403)"
check "X-Forwarded-For in open mode is 403" 403 "$(code -H 'X-Forwarded-For: 10.0.0.1' "$URL/records/client/c1")"
check "Forwarded in open mode is 403" 403 "$(code -H 'Forwarded: for=10.0.0.1' "$URL/records/client/c1")"
has "... says why" 'through a proxy every client looks like loopback' \
  "$(curl -s -H 'Forwarded: for=10.0.0.1' "$URL/records/client/c1")"
check "health needs no role, even through a proxy" 200 "$(code -H 'X-Forwarded-For: 10.0.0.1' "$URL/health")"

echo "-- long polls are capped (429)"
pids=
for _ in $(seq 16); do curl -s -o /dev/null "$URL/events?after=99999&wait=3" & pids="$pids $!"; done
sleep 0.5
curl -s -D head.txt -o body.txt "$URL/events?after=99999&wait=3"
check "the 17th long poll from one address is 429" 429 "$(head -1 head.txt | cut -d' ' -f2)"
has "... with Retry-After" 'Retry-After: 5' "$(tr -d '\r' < head.txt)"
has "... saying the cap" 'at most 16 each' "$(cat body.txt)"
check "a poll that does not wait is still served" 200 "$(code "$URL/events?after=99999")"
wait $pids
check "once they end, a long poll is served again" 200 "$(code "$URL/events?after=99999&wait=1")"
unserve
check "the service stops cleanly (exit 0)" 0 "$?"
check "no sanitizer report" "" "$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error' serve.log)"

echo "-- tokens"
cat > cfg.json << 'EOF'
{"tokens": [{"token": "admin-token-0001", "role": "admin"}, {"token": "writer-token-0001", "role": "writer"},
            {"token": "reader-token-0001", "role": "reader"}]}
EOF
serve --config cfg.json
check "'bearer' in lower case is accepted" 200 "$(code -H 'Authorization: bearer reader-token-0001' "$URL/records/client/c1")"
check "'BEARER' with a tab is accepted" 200 "$(code -H "Authorization: BEARER	reader-token-0001" "$URL/records/client/c1")"
check "a token's prefix is not the token" 401 "$(code -H 'Authorization: Bearer reader-token-000' "$URL/records/client/c1")"
check "another scheme is 401" 401 "$(code -H 'Authorization: Basic cmVhZGVy' "$URL/records/client/c1")"
check "a writer may PATCH" 200 "$(code -X PATCH -H 'Authorization: Bearer writer-token-0001' "$URL/records/client/c1" -d '{"x":1}')"
check "a reader may not PATCH" 403 "$(code -X PATCH -H 'Authorization: Bearer reader-token-0001' "$URL/records/client/c1" -d '{"x":2}')"
check "a writer may not DELETE" 403 "$(code -X DELETE -H 'Authorization: Bearer writer-token-0001' "$URL/records/client/c1")"
has "... the message names the role" 'this needs the admin role; the token has the writer role' \
  "$(curl -s -X DELETE -H 'Authorization: Bearer writer-token-0001' "$URL/records/client/c1")"
check "an admin may DELETE" 200 "$(code -X DELETE -H 'Authorization: Bearer admin-token-0001' "$URL/records/client/c1")"
check "a reader may read the work queue" 200 "$(code -H 'Authorization: Bearer reader-token-0001' "$URL/decisions?verdict=hold")"
check "no token: 401 before any query check" 401 "$(code "$URL/decisions?limit=0")"
check "with tokens, a proxy header is no reason to refuse" 200 \
  "$(code -H 'Authorization: Bearer reader-token-0001' -H 'X-Forwarded-For: 10.0.0.1' "$URL/records/client/c2")"
unserve
check "the service stops cleanly (exit 0)" 0 "$?"
check "no sanitizer report" "" "$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error' serve.log)"

finish
