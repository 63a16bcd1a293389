#!/usr/bin/env bash
# cli_test.sh BYLAW — the command line as an administrator uses it: eval of one record and of a stream
# (with bad lines), points and events printed, --db storing, check and test exit codes, help texts.
# Closes with 'N passed, N failed'.
set -u
BYLAW=$(realpath "${1:-./bylaw}")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
passed=0 failed=0
check() {
  if [ "$2" = "$3" ]; then passed=$((passed + 1)); echo "  ok    $1"
  else failed=$((failed + 1)); echo "  FAIL  $1: expected [$2], got [$3]"; fi
}
has() {
  case "$3" in *"$2"*) passed=$((passed + 1)); echo "  ok    $1" ;;
  *) failed=$((failed + 1)); echo "  FAIL  $1: [$2] not in [${3:0:300}]" ;; esac
}

out=$("$BYLAW" eval client '{"id":"c1","annual_revenue":5000000,"region_group":1}')
has "eval: diamond at 5,000,000 with its explanation" 'grade diamond: annual_revenue 5,000,000 >= 5,000,000' "$out"
out=$("$BYLAW" eval contract_submission '{"id":"k","adviser":"wang","round":2,"defective":2,"month":"2026-11"}')
has "eval prints points" '"points":[{"subject":"wang","points":-4,"period":"2026-11"' "$out"
out=$("$BYLAW" eval contract_submission '{"id":"k","adviser":"wang","round":4,"defective":1}')
has "eval prints events" '"events":[{"kind":"decision_needed"' "$out"
out=$("$BYLAW" eval complaint '{"id":"k","received_at":"2026-09-30T17:55:00+08:00","handler":"li","status":"open"}')
has "eval prints deadlines" '"deadlines":[{"name":"investigate","due":"2026-10-08T18:00:00+08:00"' "$out"

printf '%s\n' '{"id":"a","annual_revenue":10000}' 'not json' '{"id":"b","annual_revenue":"x"}' '{"id":"c","annual_revenue":200000}' \
  > "$WORK/in.jsonl"
"$BYLAW" eval client --input "$WORK/in.jsonl" > "$WORK/out.jsonl" 2> "$WORK/err.txt"
check "--input: a failing line makes the exit status 1" 1 "$?"
check "--input: one answer per input line" 4 "$(wc -l < "$WORK/out.jsonl")"
has "--input: a bad line names its number" '{"line":2,"error":"invalid JSON' "$(sed -n 2p "$WORK/out.jsonl")"
has "--input: a mistyped field names the field" "field 'annual_revenue' must be a number" "$(sed -n 3p "$WORK/out.jsonl")"
has "--input: the stream goes on" '"grade":"gold"' "$(sed -n 4p "$WORK/out.jsonl")"
has "--input: stderr counts the failures" '2 of 4 records failed' "$(cat "$WORK/err.txt")"
cat "$WORK/in.jsonl" | "$BYLAW" eval client --input - > "$WORK/stdin.jsonl" 2>/dev/null
check "--input - reads standard input" 4 "$(wc -l < "$WORK/stdin.jsonl")"

# A stream long enough for many chunks on every thread: answers in input order, bad lines named by
# their own numbers, the same output whatever the number of threads.
lua5.4 -e '
  for i = 1, 20000 do
    if i % 4999 == 0 then print("{broken " .. i)
    elseif i == 12345 then print("{\"id\":\"big\",\"annual_revenue\":1,\"note\":\"" .. string.rep("x", 200000) .. "\"}")
    else print(string.format("{\"id\":\"c%d\",\"annual_revenue\":%d}", i, i * 37 % 6000000)) end
  end' > "$WORK/many.jsonl"
"$BYLAW" eval client --input "$WORK/many.jsonl" > "$WORK/many.out" 2> "$WORK/many.err"
"$BYLAW" eval client --threads 1 --input "$WORK/many.jsonl" > "$WORK/many1.out" 2>/dev/null
"$BYLAW" eval client --threads 3 --input - < "$WORK/many.jsonl" > "$WORK/many3.out" 2>/dev/null
check "--input: 20,000 lines, 20,000 answers" 20000 "$(wc -l < "$WORK/many.out")"
check "--input: answers in input order" "c19998" "$(sed -n 19998p "$WORK/many.out" | sed 's/.*"id":"\([^"]*\)".*/\1/')"
check "--input: bad lines named by their own numbers" "4999 9998 14997 19996" \
  "$(grep -o '"line":[0-9]*' "$WORK/many.out" | cut -d: -f2 | tr '\n' ' ' | sed 's/ $//')"
has "--input: a 200 KB line is one record" '"id":"big"' "$(sed -n 12345p "$WORK/many.out")"
has "--input: the summary counts every line" '4 of 20000 records failed (first: line 4999:' "$(cat "$WORK/many.err")"
check "--input: one thread or three, the same answers" "" "$(cmp "$WORK/many.out" "$WORK/many1.out"; cmp "$WORK/many.out" "$WORK/many3.out")"
printf '{"id":"a","annual_revenue":10000}\r\n{"id":"b","annual_revenue":200000}' | "$BYLAW" eval client --input - > "$WORK/crlf.out"
check "--input: CRLF line ends, and a last line without one" "2 vip gold" \
  "$(wc -l < "$WORK/crlf.out" | tr -d ' ') $(sed -n 's/^{"record":{[^}]*"grade":"\([a-z]*\)".*/\1/p' "$WORK/crlf.out" | tr '\n' ' ' | sed 's/ $//')"
# A pipe gets each answer as its line arrives, not when the input ends: the second line is sent
# only once the first answer is out (or after 20 s). The first line comes a second late, when both
# threads wait for input: the one left waiting must not hold up the other's answer.
mkfifo "$WORK/fifo"
"$BYLAW" eval client --threads 2 --input - < "$WORK/fifo" > "$WORK/stream.out" 2>/dev/null &
bp=$!
exec 7> "$WORK/fifo"
sleep 1
printf '{"id":"a","annual_revenue":10000}\n' >&7
for _ in $(seq 200); do [ -s "$WORK/stream.out" ] && break; sleep 0.1; done
before_end=$(wc -l < "$WORK/stream.out")
printf '{"id":"b","annual_revenue":1}\n' >&7
exec 7>&-
wait "$bp"
check "--input -: the first answer comes out before the input ends" 1 "$before_end"
check "--input -: and the second after it" 2 "$(wc -l < "$WORK/stream.out")"

"$BYLAW" eval client --db "$WORK/c.db" '{"id":"c1","annual_revenue":2000000}' > /dev/null
"$BYLAW" eval client --db "$WORK/c.db" '{"id":"c1","annual_revenue":5000000}' > /dev/null
check "--db stores every version" 2 "$(sqlite3 "$WORK/c.db" "SELECT count(*) FROM record_history WHERE id='c1'")"
check "--db stores the policy source" 1 "$(sqlite3 "$WORK/c.db" "SELECT count(*) > 0 FROM policy_versions WHERE name='client_grade'")"
"$BYLAW" eval client --db "$WORK/c.db" '{"annual_revenue":1}' > /dev/null 2>&1
check "--db without an id fails" 1 "$?"

out=$("$BYLAW" check 2>&1)
has "check lists the policies" 'policies loaded from policies, no errors' "$out"
mkdir -p "$WORK/bad"
printf 'policy { name = "x", type = "t", decide = function(r, d) if r then end }\n' > "$WORK/bad/x.lua"
out=$("$BYLAW" check --policies "$WORK/bad" 2>&1); rc=$?
check "check fails on a broken policy" 1 "$rc"
has "check names file:line" "$WORK/bad/x.lua:1:" "$out"
"$BYLAW" test "$WORK/bad" > /dev/null 2>&1
check "test fails when the policies do not load" 1 "$?"
# A calendar whose holiday schedule ends within 60 days is a warning, not an error (the end here is set
# from today, so the test does not age).
mkdir -p "$WORK/cal"
printf 'calendar { name = "soon", zone = "UTC", holidays = { "2026-10-01" }, covers_until = "%s" }\n' "$(date -u -d '+30 days' +%F)" \
  > "$WORK/cal/calendar.lua"
printf 'calendar { name = "later", holidays = { "2026-10-01" }, covers_until = "%s" }\n' "$(date -u -d '+90 days' +%F)" \
  >> "$WORK/cal/calendar.lua"
printf 'calendar { name = "plain" }\n' >> "$WORK/cal/calendar.lua"
out=$("$BYLAW" check --policies "$WORK/cal" 2>&1); rc=$?
check "check: a calendar ending soon is a warning (exit 0)" 0 "$rc"
has "check: names the calendar, its end and what to do" \
  "warning: calendar 'soon' covers holidays only until $(date -u -d '+30 days' +%F) (in 30 days): add $(date -u -d '+30 days' +%Y | awk '{print $1 + 1}')'s schedule to $WORK/cal/calendar.lua (docs/calendar.md §9)" "$out"
check "check: one warning, not for a calendar ending later nor one without holidays" 1 "$(echo "$out" | grep -c '^warning')"
has "check: counts it" "no errors, 1 warning" "$out"
printf 'calendar { name = "soon" }\n' > "$WORK/cal/other.lua"
out=$("$BYLAW" check --policies "$WORK/cal" 2>&1); rc=$?
check "check: a calendar defined twice is an error" 1 "$rc"
has "check: ... naming both places" "$WORK/cal/other.lua:1: calendar 'soon' is defined twice: here and at $WORK/cal/calendar.lua:1" "$out"
"$BYLAW" eval 2>/dev/null; check "a wrong command line exits 2" 2 "$?"
has "help names every command" 'serve' "$("$BYLAW" --help)"
has "per-command help" 'Usage: bylaw serve' "$("$BYLAW" help serve)"

mkdir -p "$WORK/logp"
printf 'policy { name = "p", type = "p", decide = function(r, d) print("hello", 42); log.warn("careful", r.id) end }\n' \
  > "$WORK/logp/p.lua"
err=$("$BYLAW" eval --policies "$WORK/logp" p '{"id":"x"}' 2>&1 >/dev/null)
check "print writes its arguments and nothing else, with policy and line" \
  "print policy=p at=$WORK/logp/p.lua:1: hello 42" "$(echo "$err" | grep '^print')"
check "log.warn likewise" "warn policy=p at=$WORK/logp/p.lua:1: careful x" "$(echo "$err" | grep '^warn')"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
