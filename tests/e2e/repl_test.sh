#!/usr/bin/env bash
# repl_test.sh BYLAW — `bylaw repl` through a pipe and with --connect; closes with 'N passed, N failed'.
set -u
. "$(dirname "$0")/lib.sh"
cd "$WORK"
P=$ROOT/policies
repl() { "$BYLAW" repl --policies "$P" "$@"; }
# db_state FILE: what a session may change, in one line
db_state() { sqlite3 "$1" "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM decisions),
  (SELECT count(*) FROM ledger), (SELECT count(*) FROM events), (SELECT count(*) FROM policy_versions),
  (SELECT group_concat(state) FROM (SELECT state FROM timers ORDER BY id))"; }

# Lua at the prompt -------------------------------------------------------------------------------------
out=$(echo '1+1' | repl 2>&1); rc=$?
check "echo '1+1' | bylaw repl prints 2" "2" "$out"
check "a session without a failing line exits 0" 0 "$rc"
out=$(printf '%s\n' 'local x = 40' 'x + 2' 'local a, b = 1, 2; local c = a + b' 'c' 'y = 7' 'y * 2' | repl 2>&1)
check "locals and globals stay for the lines after" "$(printf '42\n3\n14')" "$out"
out=$(printf '%s\n' 'function f(n)' '  if n < 2 then return n end' '  return f(n - 1) + f(n - 2)' 'end' 'f(10)' | repl 2>&1)
check "a multi-line function, then a call" "55" "$out"
out=$(printf '%s\n' 't = {' '  b = 2, a = 1,' '  [10] = "x", "first" }' 't' | repl 2>&1)
check "a table on several lines; keys sorted, the list first" '{"first", [10] = "x", a = 1, b = 2}' "$out"
out=$(echo 'local t = {name = "loop"}; t.self = t; return t' | repl 2>&1)
check "a cycle is marked" '{name = "loop", self = <cycle>}' "$out"
out=$(echo 'local t = {}; for i = 1, 1000 do t[i] = i end; return t' | repl 2>&1)
has "a long list is cut, with a count" '... 970 more (1000 items)' "$out"
out=$(printf '%s\n' 'print("a", 1)' 'fmt.number(5200000)' 'calendar.format((calendar.add("2026-09-30T17:55:00+08:00", "1 working day")))' \
  'threshold ~= nil and dtable ~= nil' 'json.encode({1, 2})' | repl 2>&1)
check "print, and the helpers as in policies" "$(printf 'a\t1\n"5,200,000"\n"2026-10-08T18:00:00+08:00"\ntrue\n"[1,2]"')" "$out"

out=$(printf '%s\n' '1+1' 'nope()' '3' | repl 2>&1); rc=$?
check "a failing line makes the exit status 1" 1 "$rc"
has "its error names the input line" "stdin:2: attempt to call a nil value (global 'nope')" "$out"
has "the lines after it still run" "3" "$(echo "$out" | tail -1)"
out=$(printf '%s\n' 'local x = 1' '' 'function g()' '  return x.y.z' 'end' 'g()' | repl 2>&1)
has "an error inside a function names the line it was typed on" "stdin:4: attempt to index a number value" "$out"
out=$(printf '%s\n' 'function h()' '  return 1' | repl 2>&1); rc=$?
has "input that ends inside a chunk is an error" "the input ended inside an unfinished chunk" "$out"
check "... with exit status 1" 1 "$rc"
out=$(echo 'os.execute("true")' | repl 2>&1)
has "the sandbox applies to lines typed" "os.execute is not available" "$out"
out=$(printf '%s\n' 'string.rep("x", 64 * 1024 * 1024)' '1+1' | repl --memory-mb 8 2>&1); rc=$?
has "memory past --memory-mb is an error, the session goes on" "out of memory: the policy set and this session may use 8 MiB" "$out"
has "... and the next line runs" "2" "$(echo "$out" | tail -1)"

# .eval -------------------------------------------------------------------------------------------------
out=$(echo '.eval client {annual_revenue = 200000, region_group = 1}' | repl 2>&1); rc=$?
has ".eval shows the grade" 'set      grade = "gold"' "$out"
has ".eval shows the explanation" 'because  grade gold: annual_revenue 200,000 >= 200,000' "$out"
has ".eval names the policy and its version" 'client_grade (version ' "$out"
check ".eval succeeds" 0 "$rc"
case $out in *'"decisions"'*) fail ".eval is readable, not raw JSON: $out" ;; *) ok ".eval is readable, not raw JSON" ;; esac
out=$(printf '%s\n' 'local rev = 8500' '.eval client {' '  annual_revenue = rev,' '  region_group = 3,' '}' | repl 2>&1)
has ".eval over several lines, with a local of the session" 'grade vip: annual_revenue 8,500 >= 8,000 (10,000 × 0.8, region group 3 coefficient)' "$out"
out=$(echo '.eval client {"annual_revenue": 5000000}' | repl 2>&1)
has ".eval takes JSON too" 'grade = "diamond"' "$out"
out=$(printf '%s\n' '.json' '.eval client {annual_revenue = 10000}' | repl 2>&1)
has ".json prints the answer as raw JSON" '"changes":{"grade":"vip"}' "$out"
out=$(echo '.eval complaint {received_at = "2026-09-30T17:55:00+08:00", handler = "li", status = "open"}' | repl 2>&1)
has ".eval shows the deadlines proposed" 'deadline investigate at 2026-10-08T18:00:00+08:00' "$out"
out=$(echo '.eval contract_submission {adviser = "wang", round = 2, defective = 2, month = "2026-11"}' | repl 2>&1)
has ".eval shows the points" 'points   wang -4 in 2026-11' "$out"
out=$(echo '.eval client {annual_revenue = "lots"}' | repl 2>&1); rc=$?
has ".eval of a wrong field names it and the policy's file:line" \
  "stdin:1: field 'annual_revenue' must be a number, got string \"lots\" (needed by policy client_grade, $P/client_grade.lua:" "$out"
check "... and the exit status is 1" 1 "$rc"
out=$(echo '.eval clinet {}' | repl 2>&1)
has ".eval of an unknown type lists the types" "no policy is bound to type 'clinet' (the types: " "$out"
has "... the one meant among them" ", client, " "$out"
has "an unknown command says so" "unknown command '.evil': .help lists them" "$(echo '.evil' | repl 2>&1)"
has ".help lists the commands" '.explain TYPE ID' "$(echo '.help' | repl 2>&1)"

# A database: read-only by default ---------------------------------------------------------------------
"$BYLAW" eval complaint --policies "$P" --db k.db \
  '{"id":"k1","received_at":"2026-09-30T17:55:00+08:00","handler":"li","status":"open"}' > /dev/null
before=$(db_state k.db)
script='.timers
.advance 2 working days
ledger.total("li", "2026-10")
.explain complaint k1'
out=$(echo "$script" | repl --db k.db --virtual-clock 2026-10-08T09:00:00+08:00 2>"$WORK/err"); rc=$?
has ".timers lists the pending deadlines" '2026-10-08T18:00:00+08:00  complaint/k1  investigate  (policy complaint)' "$out"
has ".advance shows the deadline that fell due" 'complaint/k1: deadline investigate fell due' "$out"
has ".advance shows the escalation" 'event    escalation {' "$out"
has "... with its payload" 'step = "investigation"' "$out"
has ".advance shows the point" 'points   li -1 in 2026-10: complaint k1: investigation overdue' "$out"
has ".advance shows where the clock stopped" 'the clock: 2026-10-09T18:00:00+08:00 (virtual); 2 deadlines fired' "$out"
has "Lua reads the session's writes" "$(printf -- '-2')" "$out"
has ".explain shows the stored decisions with their triggers" 'deadline reply fell due (record version 1)' "$out"
check "the session succeeds" 0 "$rc"
check "read-only: the database is unchanged afterwards" "$before" "$(db_state k.db)"
has "read-only: the session says its writes were rolled back" "the session's writes were rolled back: k.db is as it was" \
  "$(cat "$WORK/err")"
out=$(printf '%s\n' '.put client {id = "c1", annual_revenue = 2000000}' '.get client c1' '.find client {grade = "platinum"}' \
  'records.count("client")' | repl --db k.db 2>&1)
has ".put stores in the session" 'client/c1: stored as version 1 (in this session: .commit keeps it)' "$out"
has ".get reads it back" 'client/c1  version 1' "$out"
has ".find finds it" '  c1  {annual_revenue = 2000000, grade = "platinum"}' "$out"
check "read-only: still unchanged after a .put" "$before" "$(db_state k.db)"

out=$(printf '%s\n' '.advance 2 working days' '.commit' | repl --db k.db --virtual-clock 2026-10-08T09:00:00+08:00 2>&1)
has ".commit says where the writes went" "committed: the session's writes are in k.db" "$out"
check ".commit: the ledger has the two points" -2 "$(sqlite3 k.db "SELECT sum(points) FROM ledger WHERE subject = 'li'")"
check ".commit: the deadlines are done" "done,done" "$(sqlite3 k.db "SELECT group_concat(state) FROM timers")"
cp k.db w.db
out=$(echo '.put client {id = "c2", annual_revenue = 10000}' | repl --db w.db --write 2>&1)
has "--write: the prompt's mode is write" 'client/c2: stored as version 1' "$out"
check "--write: the record is stored without .commit" "c2|vip" \
  "$(sqlite3 w.db "SELECT id, json_extract(body, '$.grade') FROM records WHERE type = 'client'")"
out=$(printf '%s\n' '.put client {id = "c3", annual_revenue = 1}' '.rollback' '.get client c3' | repl --db w.db 2>&1)
has ".rollback drops the session's writes" "stdin:3: no record client/c3" "$out"
cp k.db snap.db
mkfifo snap.fifo
repl --db snap.db < snap.fifo > snap.out 2>&1 &
PID=$!
exec 3> snap.fifo
echo '.get complaint k1' >&3
sleep 0.3
"$BYLAW" eval client --policies "$P" --db snap.db '{"id":"z","annual_revenue":1}' > /dev/null
echo '.put client {id = "y", annual_revenue = 1}' >&3
echo '.rollback' >&3
echo '.put client {id = "y", annual_revenue = 1}' >&3
exec 3>&-
wait "$PID"; PID=
out=$(cat snap.out)
has "read-only: a write after another writer's commit fails, and says what to do" \
  'database is locked (another connection holds the write lock, or wrote after this session began reading: .rollback, then try again)' "$out"
has "... .rollback reads the database afresh, and the write goes through" 'client/y: stored as version 1' "$out"
out=$(repl --db none.db < /dev/null 2>&1); rc=$?
has "a read-only session needs an existing database" "none.db does not exist" "$out"
check "... exit status 1, and no file made" "1 no" "$rc $([ -e none.db ] && echo yes || echo no)"
out=$(printf '%s\n' '.advance next' '.advance next' '.clock' | repl 2>&1)
has ".advance starts a virtual clock at the current time" 'the clock is virtual from now on' "$out"
has ".advance next with nothing pending says so" 'no deadline is pending: the clock stays at' "$out"
has ".clock shows the virtual clock" '(virtual: .advance moves it)' "$out"

# .test, .reload, file:line --------------------------------------------------------------------------------
out=$(echo '.test diamond at exactly' | repl 2>&1); rc=$?
has ".test PATTERN runs the matching tests" 'ok    diamond at exactly 5,000,000' "$out"
has ".test PATTERN closes with the counts" '1 passed, 0 failed' "$out"
check ".test PATTERN names only the files it ran" 1 "$(echo "$out" | grep -c '_test.lua$')"
check ".test: exit status 0" 0 "$rc"
mkdir pol && cp "$P"/*.lua pol/
sed -i 's/"diamond",  5000000/"diamond",  5000001/' pol/client_grade.lua
out=$(echo '.test diamond' | "$BYLAW" repl --policies pol 2>&1); rc=$?
has ".test shows a failing test with its file:line" 'pol/client_grade_test.lua:11: expected "diamond", got "platinum"' "$out"
check ".test with a failure: exit status 1" 1 "$rc"
cp "$P/client_grade.lua" pol/
npol=$("$BYLAW" check --policies pol 2>/dev/null | sed -n 's/^\([0-9]*\) policies loaded.*/\1/p')
mkfifo in.fifo
"$BYLAW" repl --policies pol < in.fifo > reload.out 2>&1 &
PID=$!
exec 3> in.fifo
echo 'x = 5; function g() return x end' >&3
sleep 0.3
printf 'policy { name = "broken", type = "client", decide = function(r, d) d:set("a" end }\n' > pol/broken.lua
echo '.reload' >&3
echo '.eval client {annual_revenue = 2000000}' >&3
sleep 0.5
rm pol/broken.lua
sed -i 's/"gold",      200000/"gold",      300000/' pol/client_grade.lua
echo '.reload' >&3
echo 'x' >&3
echo '.eval client {annual_revenue = 250000}' >&3
exec 3>&-
wait "$PID"; rc=$?; PID=
out=$(cat reload.out)
has ".reload of a broken file names its file:line" 'pol/broken.lua:1:' "$out"
has "... and keeps the policies before" 'the policies in pol do not load: the ones loaded before stay' "$out"
has "... which still run" 'grade platinum: annual_revenue 2,000,000 >= 2,000,000' "$out"
has ".reload names the changed policies" "reloaded $npol policies from pol; changed: client_grade" "$out"
has "... carries the session's values over, and names what it could not" "but not g (functions" "$out"
has "... and the new policy runs" 'grade vip: annual_revenue 250,000 >= 10,000' "$out"
check "a failed .reload makes the exit status 1" 1 "$rc"
printf 'policy { name = "broken", type = "client" \n' > pol/broken.lua
out=$("$BYLAW" repl --policies pol < /dev/null 2>&1); rc=$?
has "policies that do not load: file:line at start" 'pol/broken.lua:2:' "$out"
check "... and exit status 1" 1 "$rc"

mkdir stuck
printf '%s\n' 'policy { name = "slow", type = "slow", decide = function(r, d)' \
  '  d:set("found", string.rep("a", 20000):find(".-.-.-.-b") ~= nil)' 'end }' > stuck/slow.lua
out=$(printf '%s\n' '.eval slow {}' '1+1' | "$BYLAW" repl --policies stuck 2>&1); rc=$?
has "a policy call stuck in a library call ends the session, which says so" \
  "policy 'slow' ran past its time limit of 250 ms (--timeout-ms) inside a library call" "$out"
has "... plainly" "a call stuck there cannot be stopped, so the session ends here" "$out"
check "... with exit status 1" 1 "$rc"

# The command line --------------------------------------------------------------------------------------
has "bylaw --help lists repl" 'repl    try policies at a prompt' "$("$BYLAW" --help)"
help=$("$BYLAW" help repl)
for o in --db --write --virtual-clock --connect --token; do has "bylaw help repl explains $o" "  $o" "$help"; done
"$BYLAW" repl --write < /dev/null > /dev/null 2>&1
check "--write without --db is a usage error (2)" 2 "$?"
"$BYLAW" repl --connect http://127.0.0.1:1 --db k.db < /dev/null > /dev/null 2>&1
check "--connect with --db is a usage error (2)" 2 "$?"
"$BYLAW" repl --policies "$P" --virtual-clock yesterday < /dev/null > /dev/null 2>&1
check "a --virtual-clock that is not a time is a usage error (2)" 2 "$?"

# --connect ---------------------------------------------------------------------------------------------
cat > svc.json <<'EOF'
{"tokens": [{"token": "admin-token-0001", "role": "admin"}, {"token": "writer-token-0001", "role": "writer"},
            {"token": "reader-token-0001", "role": "reader"}]}
EOF
"$BYLAW" serve --db svc.db --policies "$P" --config svc.json --listen 127.0.0.1:0 \
  --virtual-clock 2026-09-30T18:00:00+08:00 2> serve.log &
PID=$!
PORT=
for _ in $(seq 300); do
  PORT=$(grep -o 'serving http://127.0.0.1:[0-9]*' serve.log | grep -o '[0-9]*$')
  [ -n "$PORT" ] && break
  sleep 0.05
done
URL=http://127.0.0.1:$PORT
put='.put complaint {id = "k1", received_at = "2026-09-30T17:55:00+08:00", handler = "li", status = "open"}'
out=$(echo "$put" | "$BYLAW" repl --connect "$URL" --token reader-token-0001 2>&1); rc=$?
has "--connect: a reader's .put is refused by the service" 'the service answered 403: this needs the writer role' "$out"
check "... exit status 1" 1 "$rc"
out=$(printf '%s\n' "$put" '.get complaint k1' '.timers' '1+1' '.eval client {}' | "$BYLAW" repl --connect "$URL" --token writer-token-0001 2>&1)
has "--connect: a writer's .put stores" 'complaint/k1: stored as version 1' "$out"
has "--connect: .get" 'complaint/k1  version 1' "$out"
has "--connect: .timers" 'complaint/k1  investigate  (policy complaint)' "$out"
has "--connect: Lua is not run remotely, and that is said" 'Lua runs only in a local session' "$out"
has "--connect: .eval is not there, and why" '.eval is not there with --connect' "$out"
out=$(printf '%s\n' '.advance 2 working days' '.explain complaint k1' | "$BYLAW" repl --connect "$URL" --token admin-token-0001 2>&1); rc=$?
has "--connect: .advance moves the service's clock and shows what fired" 'complaint/k1: deadline investigate fell due' "$out"
has "--connect: ... with the handler's decision" 'investigation overdue: due 2026-10-08T18:00:00+08:00, escalated' "$out"
has "--connect: .explain" 'complaint/k1: 3 decisions, oldest first' "$out"
check "--connect: the admin's session succeeds" 0 "$rc"
out=$("$BYLAW" repl --connect "$URL" --token not-a-token < /dev/null 2>&1); rc=$?
has "--connect: an unknown token is refused at the start" 'the service answered 401: the token is not known' "$out"
check "... exit status 1" 1 "$rc"
kill -TERM "$PID"; wait "$PID"; PID=

finish
