#!/usr/bin/env bash
# service_test.sh BYLAW — starts the real service on a free loopback port and talks HTTP to it:
# record round trip, decisions, history, ledger, events (long poll), policy PUT that fails and one
# that succeeds, a file edit picked up, roles, every input error, graceful stop and restart
# persistence. Closes with 'N passed, N failed'.
set -u
BYLAW=$(realpath "${1:-./bylaw}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
PID=
cleanup() { [ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
passed=0 failed=0

check() { # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "  ok    $1"
  else failed=$((failed + 1)); echo "  FAIL  $1: expected [$2], got [$3]"; fi
}
has() { # has NAME NEEDLE HAYSTACK
  case "$3" in *"$2"*) passed=$((passed + 1)); echo "  ok    $1" ;;
  *) failed=$((failed + 1)); echo "  FAIL  $1: [$2] not in [${3:0:400}]" ;; esac
}

mkdir -p "$WORK/policies"
cp "$ROOT"/policies/*.lua "$WORK/policies/"
cd "$WORK"

start() { # start [extra args]: serve on a free port, wait until it answers
  : > serve.log
  "$BYLAW" serve --db "$WORK/e2e.db" --policies policies --listen 127.0.0.1:0 --scripts "$ROOT/scripts" "$@" \
    2> serve.log &
  PID=$!
  for _ in $(seq 100); do
    PORT=$(grep -o 'serving http://127.0.0.1:[0-9]*' serve.log | grep -o '[0-9]*$')
    [ -n "$PORT" ] && curl -s "http://127.0.0.1:$PORT/health" >/dev/null && break
    sleep 0.05
  done
  URL="http://127.0.0.1:$PORT"
}
stop() { kill -TERM "$PID"; wait "$PID"; local rc=$?; PID=; return $rc; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

start
echo "service on $URL"

# records, decisions, history
out=$(curl -s -X PUT "$URL/records/client/c1" -d '{"annual_revenue":2000000,"region_group":1}')
has "PUT answers the grade" '"grade":"platinum"' "$out"
has "PUT answers the explanation" 'grade platinum: annual_revenue 2,000,000 >= 2,000,000' "$out"
has "PUT answers the version" '"version":1' "$out"
out=$(curl -s "$URL/records/client/c1")
has "GET reads it back" '"grade":"platinum"' "$out"
curl -s -X PUT "$URL/records/client/c1" -d '{"annual_revenue":5000000,"region_group":1}' >/dev/null
out=$(curl -s "$URL/records/client/c1/history")
has "history keeps version 1" '"version":1' "$out"
has "history keeps version 2" '"version":2' "$out"
out=$(curl -s "$URL/records/client/c1/decisions")
has "decisions name the policy version" '"policy":"client_grade","version":"' "$out"
has "decisions keep each explanation" '5,000,000 >= 5,000,000' "$out"
check "If-Match with a stale version is 409" 409 "$(code -X PUT "$URL/records/client/c1" -H 'If-Match: "1"' -d '{"annual_revenue":1}')"
check "If-Match with the current version is 200" 200 "$(code -X PUT "$URL/records/client/c1" -H 'If-Match: "2"' -d '{"annual_revenue":3000000}')"
check "GET of a missing record is 404" 404 "$(code "$URL/records/client/nobody")"
check "POST creates with a generated id" 201 "$(code -X POST "$URL/records/client" -d '{"annual_revenue":10000}')"
out=$(curl -s "$URL/records/client?grade=vip")
has "list filters by field" '"grade":"vip"' "$out"
out=$(curl -s "$URL/records/client?limit=1")
has "list pages with next" '"next":"' "$out"

# ledger and events
curl -s -X PUT "$URL/records/contract_submission/k1" -d '{"adviser":"wang","round":2,"defective":2,"month":"2026-11"}' >/dev/null
out=$(curl -s "$URL/ledger/wang?month=2026-11")
has "ledger totals points" '"total":-4' "$out"
(curl -s "$URL/events?after=0&wait=5" > poll.out) &
POLL=$!
sleep 0.3
curl -s -X PUT "$URL/records/contract_submission/k2" -d '{"adviser":"wang","round":4,"defective":1}' >/dev/null
wait $POLL
has "long poll wakes on a new event" '"kind":"decision_needed"' "$(cat poll.out)"
curl -s --max-time 0.3 "$URL/events?after=999&wait=30" > /dev/null # the client leaves mid-poll
curl -s -X PUT "$URL/records/contract_submission/k3" -d '{"adviser":"wang","round":4,"defective":1}' >/dev/null
check "a long-poll client that left is forgotten, the service goes on" 200 "$(code "$URL/health")"
out=$(curl -s "$URL/events?after=999&wait=1")
has "long poll times out empty" '"events":[]' "$out"

# bad input changes nothing
check "malformed JSON is 400" 400 "$(code -X PUT "$URL/records/client/c2" -d '{"annual_revenue":')"
has "malformed JSON names the byte" 'at byte' "$(curl -s -X PUT "$URL/records/client/c2" -d '{"annual_revenue":}')"
check "a wrong field type is 422" 422 "$(code -X PUT "$URL/records/client/c2" -d '{"annual_revenue":"lots"}')"
has "a wrong field type names the field" "field 'annual_revenue' must be a number" \
  "$(curl -s -X PUT "$URL/records/client/c2" -d '{"annual_revenue":"lots"}')"
check "nothing was stored for c2" 404 "$(code "$URL/records/client/c2")"
head -c 1100000 /dev/zero | tr '\0' ' ' > big.json
check "a body over 1 MiB is 413" 413 "$(code -X PUT "$URL/records/client/c3" --data-binary @big.json)"
deep=$(printf '%.0s[' $(seq 100))1$(printf '%.0s]' $(seq 100))
check "nesting too deep is 400" 400 "$(code -X PUT "$URL/records/client/c3" -d "{\"a\":$deep}")"
check "an array body is 400" 400 "$(code -X PUT "$URL/records/client/c3" -d '[1,2]')"
check "an unknown path is 404" 404 "$(code "$URL/nope")"
check "a wrong method is 405" 405 "$(code -X POST "$URL/records/client/c1")"

# policies: a broken PUT keeps the old one, a good one is activated and tested
check "a broken policy PUT is 422" 422 "$(code -X PUT "$URL/policies/client_grade" --data-binary 'policy { name = ')"
has "the 422 names file:line" 'policies/client_grade.lua:1:' \
  "$(curl -s -X PUT "$URL/policies/client_grade" --data-binary 'policy { name = ')"
has "the old policy still runs" '"grade":"diamond"' \
  "$(curl -s -X PUT "$URL/records/client/c4" -d '{"annual_revenue":5000000}')"
sed 's/"diamond",  5000000/"diamond",  5000001/' policies/client_grade.lua > failing.lua
has "a PUT whose tests fail is refused with the test failure" 'diamond at exactly 5,000,000' \
  "$(curl -s -X PUT "$URL/policies/client_grade" --data-binary @failing.lua)"
sed 's/-- client_grade.lua/-- client_grade.lua (edited)/' policies/client_grade.lua > good.lua
out=$(curl -s -X PUT "$URL/policies/client_grade" --data-binary @good.lua)
has "a good policy PUT is activated" '"version":"' "$out"
check "two versions were active" 2 "$(curl -s "$URL/policies/client_grade/versions" | grep -o '"refused":false' | wc -l)"
check "the three refused edits are logged" 3 "$(curl -s "$URL/policies/client_grade/versions" | grep -o '"refused":true' | wc -l)"
check "rollback answers 200" 200 "$(code -X POST "$URL/policies/client_grade/rollback")"
# a file edit is picked up; a broken one is logged and ignored
logged() { # logged TEXT N: waits (10 s at most) until serve.log has TEXT at least N times
  for _ in $(seq 200); do [ "$(grep -c "$1" serve.log)" -ge "$2" ] && return 0; sleep 0.05; done
}
rejected=$(grep -c 'policy edit rejected' serve.log) active=$(grep -c 'policies active' serve.log)
printf 'policy { name = "investor_tier", type = "investor", decide = function(r, d) d:set("tier", "x" end }' \
  > policies/investor_tier.lua
logged 'policy edit rejected' $((rejected + 1))
has "a broken file edit is logged with file:line" 'policies/investor_tier.lua:1:' "$(cat serve.log)"
has "the old investor policy keeps running" '"tier":"vip"' \
  "$(curl -s -X PUT "$URL/records/investor/i1" -d '{"subscribed_total":5000000}')"
cp "$ROOT/policies/investor_tier.lua" policies/investor_tier.lua
sed -i 's/"vip",        5000000/"vip",        4000000/' policies/investor_tier.lua
rm -f policies/investor_tier_test.lua
logged 'policies active' $((active + 1))
has "a good file edit is picked up" '"tier":"vip"' \
  "$(curl -s -X PUT "$URL/records/investor/i2" -d '{"subscribed_total":4000000}')"

curl -s "$URL/metrics" > metrics.txt
has "metrics count requests by method, route and status" \
  'bylaw_requests_total{method="PUT",route="/records/{type}/{id}",code="2xx"}' "$(cat metrics.txt)"
has "metrics count refusals by route" 'route="/records/{type}/{id}",code="4xx"}' "$(cat metrics.txt)"
has "metrics count decisions by policy and verdict" 'bylaw_decisions_total{policy="investor_tier",verdict="none"}' \
  "$(cat metrics.txt)"
has "metrics have a latency histogram per route" \
  'bylaw_request_seconds_bucket{method="GET",route="/records/{type}/{id}",le="+Inf"}' "$(cat metrics.txt)"
for m in bylaw_build_info bylaw_loop_lag_seconds bylaw_commit_batch_writes_bucket bylaw_fsync_seconds_count \
  bylaw_database_bytes bylaw_wal_bytes bylaw_deadlines_pending bylaw_deadlines_overdue \
  bylaw_deadline_lateness_seconds_count bylaw_connections_open bylaw_workers bylaw_policy_reloads_total; do
  has "metrics have $m" "$m" "$(cat metrics.txt)"
done
# the exposition format as Prometheus reads it (Debian's python3-prometheus-client), warnings as errors
check "Prometheus's own parser reads /metrics" ok "$(/usr/bin/python3 -W error -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
with open(sys.argv[1]) as f:
    text = f.read()
families = list(text_string_to_metric_families(text))
print("ok" if len(families) > 20 else "only %d families" % len(families))' metrics.txt 2>&1)"

# stop gracefully, restart, read back
stop
check "SIGTERM exits 0" 0 "$?"
start
has "a record survives the restart" '"annual_revenue":3000000' "$(curl -s "$URL/records/client/c1")"
stop

# roles
cat > cfg.json <<'EOF'
{"tokens": [{"token": "admin-token-0001", "role": "admin"}, {"token": "writer-token-0001", "role": "writer"},
            {"token": "reader-token-0001", "role": "reader"}]}
EOF
start --config cfg.json
check "no token is 401" 401 "$(code "$URL/records/client/c1")"
check "a wrong token is 401" 401 "$(code -H 'Authorization: Bearer nope' "$URL/records/client/c1")"
check "a reader may read" 200 "$(code -H 'Authorization: Bearer reader-token-0001' "$URL/records/client/c1")"
check "a reader may not write" 403 "$(code -X PUT -H 'Authorization: Bearer reader-token-0001' "$URL/records/client/c9" -d '{"annual_revenue":1}')"
check "a writer may write" 200 "$(code -X PUT -H 'Authorization: Bearer writer-token-0001' "$URL/records/client/c9" -d '{"annual_revenue":1}')"
check "a writer may not change policies" 403 "$(code -X PUT -H 'Authorization: Bearer writer-token-0001' "$URL/policies/client_grade" --data-binary @good.lua)"
check "an admin may" 200 "$(code -X PUT -H 'Authorization: Bearer admin-token-0001' "$URL/policies/client_grade" --data-binary @good.lua)"
check "health needs no token" 200 "$(code "$URL/health")"
stop

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
