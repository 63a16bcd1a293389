#!/usr/bin/env bash
# deadlines_test.sh BYLAW — deadlines as a user meets them on the service (issue 9): an overdue
# complaint saved again is penalised once, across a kill -9 and a restart and across a hot reload;
# a birthday saved on the day is greeted that day; a deadline past the calendar's holiday schedule is
# provisional and moves when the next year's schedule is added; no time a person reads ends in Z.
# Closes with 'N passed, N failed'.
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/policies"
cp "$ROOT"/policies/*.lua "$WORK/policies/"
cd "$WORK"

start() { # start [args]: serve on a free port with durable writes (the default), wait until it answers
  : > serve.log
  "$BYLAW" serve --db "$WORK/d.db" --policies policies --listen 127.0.0.1:0 --scripts "$ROOT/scripts" "$@" \
    2> serve.log &
  PID=$!
  for _ in $(seq 200); do
    PORT=$(grep -o 'serving http://127.0.0.1:[0-9]*' serve.log | grep -o '[0-9]*$')
    [ -n "$PORT" ] && curl -s "http://127.0.0.1:$PORT/health" >/dev/null && break
    sleep 0.05
  done
  URL="http://127.0.0.1:$PORT"
}
clock() { curl -s -X POST "$URL/clock" -d "$1"; }
wait_log() { # wait_log TEXT: until serve.log has it (10 s at most)
  for _ in $(seq 200); do grep -q "$1" serve.log && return 0; sleep 0.05; done
  return 1
}
escalations() { sqlite3 d.db "SELECT count(*) FROM events WHERE kind = 'escalation' AND record_id = '$1'"; }

# 1. An overdue complaint saved again is penalised once -------------------------------------------
start --virtual-clock 2026-09-30T17:55:00+08:00
K3='"received_at":"2026-09-30T17:55:00+08:00","handler":"h1","status":"open"'
curl -s -X PUT "$URL/records/complaint/k3" -d "{$K3}" > /dev/null
has "past the investigation deadline: one escalation fires" '"fired":1' "$(clock '{"set":"2026-10-08T18:05:00+08:00"}')"
check "the handler loses one point" '"total":-1' "$(curl -s "$URL/ledger/h1?month=2026-10" | grep -o '"total":-*[0-9]*')"
kill -9 "$PID"; wait "$PID" 2>/dev/null; PID=
start --virtual-clock 2026-10-08T18:06:00+08:00
out=$(curl -s -X PUT "$URL/records/complaint/k3" -d "{$K3,\"note\":\"called back\"}")
has "saved again after a kill -9: the answer says the deadline fired already" '"name":"investigate"' "$out"
has "...and when (its due time: the virtual clock fires each deadline then)" '"status":"fired","at":"2026-10-08T18:00:00+08:00"' "$out"
has "moving the clock fires nothing more" '"fired":0' "$(clock '{"advance":"5 minutes"}')"
check "still one escalation" 1 "$(escalations k3)"
check "still -1" '"total":-1' "$(curl -s "$URL/ledger/h1?month=2026-10" | grep -o '"total":-*[0-9]*')"
echo "-- an edit to the policy file" >> policies/complaint.lua
wait_log "policies active" && ok "a hot reload of complaint.lua" || fail "a hot reload of complaint.lua"
sleep 0.3
curl -s -X PUT "$URL/records/complaint/k3" -d "{$K3,\"note\":\"called again\"}" > /dev/null
clock '{"advance":"5 minutes"}' > /dev/null
check "after the reload, saved again: still one escalation" 1 "$(escalations k3)"
check "after the reload: still -1" '"total":-1' "$(curl -s "$URL/ledger/h1?month=2026-10" | grep -o '"total":-*[0-9]*')"
# two writes of the same record in one group commit
curl -s -X PUT "$URL/records/complaint/k3" -d "{$K3,\"note\":\"a\"}" > /dev/null &
curl -s -X PUT "$URL/records/complaint/k3" -d "{$K3,\"note\":\"b\"}" > /dev/null &
wait %2 %3 2>/dev/null
clock '{"advance":"5 minutes"}' > /dev/null
check "two writes at once: still one escalation" 1 "$(escalations k3)"

# 2. A birthday saved at 10:00 on the day is greeted that day --------------------------------------
clock '{"set":"2027-05-20T10:00:00+08:00"}' > /dev/null
curl -s -X PUT "$URL/records/contact/p1" -d '{"birthday":"1990-05-20"}' > /dev/null
has "the greeting fires at once" '"fired":1' "$(clock '{"advance":"1 minute"}')"
check "one greeting event" 1 "$(sqlite3 d.db "SELECT count(*) FROM events WHERE kind = 'greeting' AND record_id = 'p1'")"
has "the next greeting is next year's" '"due":"2028-05-20T09:00:00+08:00"' "$(curl -s "$URL/timers?type=contact&id=p1")"
kill -TERM "$PID"; wait "$PID"; PID=

# 3. Provisional past the calendar's last year, re-armed when the year is added --------------------
rm -f d.db*
start --virtual-clock 2026-12-31T17:55:00+08:00
out=$(curl -s -X PUT "$URL/records/complaint/k9" -d '{"received_at":"2026-12-31T17:55:00+08:00","handler":"h2","status":"open"}')
has "a complaint on 31 December is due on New Year's Day, provisionally" '"due":"2027-01-01T18:00:00+08:00"' "$out"
has "the deadline says it is provisional" '"provisional":true' "$out"
has "the decision warns in words" "deadline investigate is provisional: the calendar's holiday schedule ends 2026-12-31" "$out"
has "the log warns" "is provisional: the calendar has no holiday schedule for its year" "$(cat serve.log)"
health_has() { # health_has NEEDLE: /health holds it within 7 s (its deadline counts are made every 5 s)
  local h
  for _ in $(seq 70); do h=$(curl -s "$URL/health"); case "$h" in *"$1"*) break ;; esac; sleep 0.1; done
  echo "$h"
}
has "/health says where the calendar ends and how many deadlines are provisional" \
  '"calendar":{"covers_until":"2026-12-31","provisional":2}' "$(health_has '"provisional":2')"
: > mark.log; tail -n0 -f serve.log > mark.log & TAIL=$!
sed -i 's|^  holidays = {|  holidays = {\n    "2027-01-01..2027-01-03",       -- 元旦 2027 (a fixture: the test adds the year)|' policies/calendar.lua
for _ in $(seq 200); do grep -q "computed again" mark.log && break; sleep 0.05; done
kill $TAIL 2>/dev/null
has "the reload computes them again" "provisional deadlines computed again with the new calendar: 2 of 2 moved" "$(cat mark.log)"
timers=$(curl -s "$URL/timers?type=complaint&id=k9")
has "the investigation moves past the holiday: Mon 4 January" '"name":"investigate","policy":"complaint","due_ms":1799056800000' "$timers"
has "the reply: Tue 5 January" '"due":"2027-01-05T18:00:00+08:00"' "$timers"
has "none is provisional now" '"provisional":0' "$(health_has '"provisional":0')"
check "the history keeps the provisional ones, replaced" 2 \
  "$(sqlite3 d.db "SELECT count(*) FROM timers WHERE record_id = 'k9' AND state = 'replaced' AND provisional = 1")"

# 4. No time a person reads ends in Z --------------------------------------------------------------
clock '{"advance":"10 working days"}' > /dev/null
curl -s -X PUT "$URL/records/inquiry/q1" -d '{"received_at":"2027-01-15T10:00:00+08:00"}' > /dev/null
curl -s -X PUT "$URL/records/return_visit/v1" -d '{"visited_at":"2027-01-15T10:00:00+08:00","issues_found":true}' > /dev/null
curl -s -X PUT "$URL/records/dividend/d1" -d '{"payout_date":"2027-03-20"}' > /dev/null
curl -s -X PUT "$URL/records/monthly_forms/m1" -d '{"month":"2027-02"}' > /dev/null
curl -s -X PUT "$URL/records/project/x1" -d '{"delivered_on":"2026-12-15"}' > /dev/null
clock '{"advance":"60 days"}' > /dev/null
z=$(sqlite3 d.db "SELECT explanation FROM decisions UNION ALL SELECT reasons FROM decisions
                  UNION ALL SELECT coalesce(reason, '') FROM ledger UNION ALL SELECT payload FROM events" |
    grep -E '[0-9]T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?Z' | head -3)
check "no explanation, reason or event payload has a UTC Z time" "" "$z"
check "and there were decisions, points and events to look at" 1 \
  "$(sqlite3 d.db "SELECT (SELECT count(*) FROM decisions) > 10 AND (SELECT count(*) FROM events) > 3 AND (SELECT count(*) FROM ledger) > 0")"
api=$(curl -s "$URL/timers"; curl -s "$URL/events?after=0&limit=1000"; curl -s "$URL/records/complaint/k9/decisions")
check "the API answers local times only" "" "$(grep -oE '[0-9]T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?Z' <<< "$api" | head -1)"
kill -TERM "$PID"; wait "$PID"; PID=
finish
