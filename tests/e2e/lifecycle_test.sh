#!/usr/bin/env bash
# lifecycle_test.sh BYLAW — the life of a policy edit, end to end, on a small policy set of its own:
# bylaw import (JSON lines, CSV, bad lines by number, --dry-run, refused while the service runs), bylaw
# diff and bylaw replay (counts checked by hand), the activation log (who, why, rollback step by step
# under a virtual clock, versions, their source and diffs), bundles of policies and tests, a policy
# without tests, a refused edit in the directory (pending_error, /health degraded), a policy and its
# test edited together, POST /policies/dry-run as a job, POST /records/TYPE:import. Closes with
# 'N passed, N failed'.
set -u
. "$(dirname "$0")/lib.sh"
cd "$WORK"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
num() { grep -o "\"$1\":[0-9]*" | head -1 | grep -o '[0-9]*$'; } # num KEY < JSON: the first KEY's number

# The policy set: an item's tier (gold from LIMIT, a point to its owner then) and a task's deadline.
policy_set() { # policy_set DIR LIMIT DAYS
  mkdir -p "$1"
  cat > "$1/tier.lua" <<EOF
-- tier.lua — gold from LIMIT, silver below; a gold item gives its owner a point in its month
local LIMIT = $2
policy {
  name = "tier", type = "item", fields = { amount = "number", owner = "string?", month = "string?" },
  decide = function(r, d)
    if r.amount >= LIMIT then
      d:set("tier", "gold", "tier gold: amount " .. r.amount .. " >= " .. LIMIT)
      if r.owner then d:points(r.owner, 1, "a gold item", r.month) end
    else
      d:set("tier", "silver", "tier silver: amount " .. r.amount .. " < " .. LIMIT)
    end
  end,
}
EOF
  cat > "$1/tier_test.lua" <<EOF
test("gold from $2", function()
  eq(eval("item", { id = "i", amount = $2 }).record.tier, "gold")
  eq(eval("item", { id = "i", amount = $2 - 1 }).record.tier, "silver")
end)
EOF
  cat > "$1/task.lua" <<EOF
-- task.lua — a task is answered within DAYS days of its receipt
local DAYS = $3
policy {
  name = "task", type = "task", fields = { received_at = "string" },
  decide = function(r, d) d:deadline("answer", { after = DAYS .. " days", from = r.received_at }) end,
}
EOF
  cat > "$1/task_test.lua" <<EOF
test("answered within $3 days", function()
  eq(#eval("task", { id = "t", received_at = "2026-10-08T09:00:00+08:00" }).deadlines, 1)
end)
EOF
}
policy_set p1 100 2
policy_set p2 80 3

echo "-- bylaw import"
printf '%s\n' '{"id":"i50","amount":50,"owner":"wang","month":"2026-10"}' '{"id":"i79","amount":79,"owner":"wang","month":"2026-10"}' \
  '{"id":"i80","amount":80,"owner":"wang","month":"2026-10"}' '{"id":"i99","amount":99,"owner":"li","month":"2026-10"}' \
  '{"id":"i100","amount":100,"owner":"li","month":"2026-10"}' '{"id":"i150","amount":150,"owner":"li","month":"2026-11"}' > items.jsonl
out=$("$BYLAW" import --db d.db --policies p1 --scripts "$ROOT/scripts" item items.jsonl 2>&1)
check "import: exit 0 when every line is stored" 0 "$?"
has "import: says how many and how fast" "imported 6 records of type item from items.jsonl in" "$out"
check "import: the records are stored" 6 "$(sqlite3 d.db "SELECT count(*) FROM records WHERE type = 'item'")"
check "import: with their decisions" 6 "$(sqlite3 d.db "SELECT count(*) FROM decisions WHERE policy = 'tier'")"
check "import: the policies applied (i100 gold)" gold "$(sqlite3 d.db "SELECT json_extract(body, '\$.tier') FROM records WHERE id = 'i100'")"
check "import: points given (li, 2026-10)" 1 "$(sqlite3 d.db "SELECT sum(points) FROM ledger WHERE subject = 'li' AND period = '2026-10'")"
check "import: the database is in WAL mode again" wal "$(sqlite3 d.db "PRAGMA journal_mode")"
printf 'id,received_at,note\nt1,2026-10-08T09:00:00+08:00,"a, b"\nt2,2026-10-09T09:00:00+08:00,\nt3,not a time,\n' > tasks.csv
out=$("$BYLAW" import --db d.db --policies p1 --scripts "$ROOT/scripts" task tasks.csv 2>&1)
check "import CSV: a failed line makes exit 1" 1 "$?"
has "import CSV: the bad line is named with its number" "tasks.csv line 4:" "$out"
check "import CSV: the other lines of its batch are stored" 2 "$(sqlite3 d.db "SELECT count(*) FROM records WHERE type = 'task'")"
check "import CSV: a quoted value with a comma stays whole" "a, b" "$(sqlite3 d.db "SELECT json_extract(body, '\$.note') FROM records WHERE id = 't1'")"
check "import CSV: an empty value leaves the field out" "" "$(sqlite3 d.db "SELECT json_extract(body, '\$.note') FROM records WHERE id = 't2'")"
check "import CSV: the deadlines proposed are stored" 2 "$(sqlite3 d.db "SELECT count(*) FROM timers WHERE state = 'pending'")"
printf '{"id":"x1","amount":1}\n{broken\n\n{"amount":2}\n' > bad.jsonl
out=$("$BYLAW" import --db d.db --policies p1 --scripts "$ROOT/scripts" --dry-run item bad.jsonl 2>&1)
has "import --dry-run: says it stores nothing" "would import 1 record of type item" "$out"
has "import: bad JSON is named by line" "bad.jsonl line 2: invalid JSON" "$out"
has "import: a record without id is named by line" "bad.jsonl line 4: field 'id'" "$out"
check "import --dry-run: nothing stored" 0 "$(sqlite3 d.db "SELECT count(*) FROM records WHERE id = 'x1'")"
out=$("$BYLAW" import --db d.db --policies p1 item items.txt 2>&1)
check "import: an unknown file kind is a usage error (2)" 2 "$?"
has "... saying what it takes" "give a .jsonl file (JSON lines) or a .csv file" "$out"

echo "-- bylaw diff, by hand: LIMIT 100 -> 80 makes i80 and i99 gold; 2 -> 3 days moves both deadlines"
out=$("$BYLAW" diff --db d.db --policies p2 --current p1 --scripts "$ROOT/scripts" 2>&1)
check "diff: exit 0" 0 "$?"
has "diff: records evaluated" "8 records (item, task) evaluated" "$out"
has "diff: outcomes changed" "outcomes changed: 4 of 8" "$out"
has "diff: the transition table" "tier silver → gold: 2" "$out"
has "diff: an example with both explanations" "before: tier silver: amount 80 < 100" "$out"
has "... and after" "after:  tier gold: amount 80 >= 80" "$out"
has "diff: points per subject and month" "wang 2026-10: 0 → 1 (+1)" "$out"
has "... li's too" "li 2026-10: 1 → 2 (+1)" "$out"
has "diff: deadlines that move" "deadlines: 2 move, 0 new, 0 no longer proposed" "$out"
has "diff: the moved deadline before and after" "answer due 2026-10-11T09:00:00+08:00" "$out"
json=$("$BYLAW" diff --db d.db --policies p2 --current p1 --scripts "$ROOT/scripts" --type item --format json)
check "diff --type item --format json: records" 6 "$(num records <<<"$json")"
check "... changed" 2 "$(num changed <<<"$json")"
has "... the transition as data" '"field":"tier","from":"silver","to":"gold","count":2' "$json"
out=$("$BYLAW" diff --db d.db --policies p1 --scripts "$ROOT/scripts" 2>&1)
check "diff without --current on a database no service ran: exit 1" 1 "$?"
has "... saying what to give" "give the running policies with --current DIR" "$out"
out=$("$BYLAW" diff --db d.db --policies p2 --current p1 --scripts "$ROOT/scripts" --type nosuch 2>&1)
has "diff --type of no policy: named" "no policy of either set is bound to type 'nosuch'" "$out"
policy_set broken 80 2
echo 'policy { name = ' > broken/tier.lua
out=$("$BYLAW" diff --db d.db --policies broken --current p1 --scripts "$ROOT/scripts" 2>&1)
has "diff: a candidate that does not load says file:line" "broken/tier.lua:2:" "$out"
out=$("$BYLAW" diff --db d.db --policies p2 --current p1 --scripts "$ROOT/scripts" --format xml 2>&1)
check "diff --format xml: usage error" 2 "$?"

echo "-- bylaw replay"
out=$("$BYLAW" replay --db d.db --policies p2 --since 2020-01-01 --type item --scripts "$ROOT/scripts" 2>&1)
check "replay: exit 0" 0 "$?"
has "replay: the decisions replayed" "6 record versions (6 decisions made by writes since 2020-01-01T00:00:00+08:00" "$out"
has "replay: the same transitions as the diff" "tier silver → gold: 2" "$out"
has "replay: points differ" "wang 2026-10: 0 → 1 (+1)" "$out"
out=$("$BYLAW" replay --db d.db --policies p2 --since 2999-01-01 --scripts "$ROOT/scripts" 2>&1)
has "replay: nothing since a later date" "outcomes changed: 0 of 0" "$out"
out=$("$BYLAW" replay --db d.db --policies p2 --scripts "$ROOT/scripts" 2>&1)
check "replay without --since: usage error" 2 "$?"
has "... naming it" "--since DATE is missing" "$out"

echo "-- the activation log, under a virtual clock"
rm -rf policies && policy_set policies 100 2
cat > cfg.json <<'EOF'
{"tokens": [{"name": "alice", "token": "alice-token-00001", "role": "admin"},
            {"name": "bob", "token": "bob-token-0000001", "role": "reader"}]}
EOF
cp d.db e2e.db
serve --config cfg.json --virtual-clock 2026-10-08T09:00:00+08:00
A=(-H 'Authorization: Bearer alice-token-00001')
R=(-H 'Authorization: Bearer bob-token-0000001')
sed 's/^-- tier.lua/-- tier.lua (A)/' policies/tier.lua > A.lua
sed 's/^-- tier.lua/-- tier.lua (B)/' policies/tier.lua > B.lua
orig=$(curl -s "${R[@]}" "$URL/policies/tier" | grep -o '"version":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
check "PUT A" 200 "$(code "${A[@]}" -X PUT "$URL/policies/tier?message=first%20edit" --data-binary @A.lua)"
check "PUT B" 200 "$(code "${A[@]}" -X PUT "$URL/policies/tier" --data-binary @B.lua)"
log=$(curl -s "${R[@]}" "$URL/policies/tier/versions")
has "versions: by whom (the token's name)" '"by":"alice","why":"put","message":"first edit"' "$log"
has "versions: the start-up entry" '"by":"start-up","why":"start-up"' "$log"
check "versions: one is active" 1 "$(grep -o '"active":true' <<<"$log" | wc -l)"
has "versions: the active one is B" "$(curl -s "${R[@]}" "$URL/policies/tier" | grep -o '"version":"[0-9a-f]*"' | head -1)" \
  "$(grep -o '"active":"[0-9a-f]*"' <<<"$log" | sed 's/active/version/')"
check "rollback 1" 200 "$(code "${A[@]}" -X POST "$URL/policies/tier/rollback")"
has "... runs A" "(A)" "$(curl -s "${R[@]}" "$URL/policies/tier")"
check "rollback 2" 200 "$(code "${A[@]}" -X POST "$URL/policies/tier/rollback")"
has "... runs the original" "\"version\":\"$orig\"" "$(curl -s "${R[@]}" "$URL/policies/tier")"
check "rollback 3: nothing earlier" 404 "$(code "${A[@]}" -X POST "$URL/policies/tier/rollback")"
has "... said so" "has no earlier version to roll back to" "$(curl -s "${A[@]}" -X POST "$URL/policies/tier/rollback")"
has "rollbacks are logged with why" '"why":"rollback","message":"rollback from' "$(curl -s "${R[@]}" "$URL/policies/tier/versions")"
check "rollback needs the admin role" 403 "$(code "${R[@]}" -X POST "$URL/policies/tier/rollback")"
vB=$(grep -o '"version":"[0-9a-f]*","at":"[^"]*","by":"alice","why":"put","message":null' <<<"$log" | head -1 | cut -d'"' -f4)
src=$(curl -s "${R[@]}" "$URL/policies/tier/versions/$vB")
has "a version's source" '-- tier.lua (B)' "$src"
check "an unknown version: 404" 404 "$(code "${R[@]}" "$URL/policies/tier/versions/0123456789abcdef")"
check "a malformed version: 400" 400 "$(code "${R[@]}" "$URL/policies/tier/versions/nothex")"
diff=$(curl -s "${R[@]}" "$URL/policies/tier/versions/$vB/diff")
has "diff against the active version: unified" "--- tier.lua $orig" "$diff"
has "... the changed line" '+-- tier.lua (B) — gold from LIMIT' "$diff"
check "... as text/x-diff" "text/x-diff; charset=utf-8" \
  "$(curl -s -o /dev/null -w '%{content_type}' "${R[@]}" "$URL/policies/tier/versions/$vB/diff")"
check "diff against itself: empty" "" "$(curl -s "${R[@]}" "$URL/policies/tier/versions/$vB/diff?against=$vB")"
check "diff ?against= a malformed version: 400" 400 "$(code "${R[@]}" "$URL/policies/tier/versions/$vB/diff?against=zz")"

echo "-- bundles, tests, warnings"
cat > bundle.lua <<'EOF'
-- bundle.lua POLICY TEST [test]: {"files": {"tier.lua": POLICY's text[, "tier_test.lua": TEST's]}} as JSON
local function read(path) local f = assert(io.open(path)) local s = f:read("a") f:close() return s end
local function q(s) return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"' end
io.write('{"files": {"tier.lua": ', q(read(arg[1])), arg[3] == "test" and (', "tier_test.lua": ' .. q(read(arg[2]))) or "", "}}")
EOF
bundle() { # bundle LIMIT [test]: the bundle of a tier.lua with that LIMIT (and its test)
  policy_set "b$1" "$1" 2
  lua5.4 bundle.lua "b$1/tier.lua" "b$1/tier_test.lua" "${2:-}"
}
bundle 90 > only.json
check "a policy edit its tests refuse: 422" 422 "$(code "${A[@]}" -X PUT "$URL/policies" -d @only.json)"
bundle 90 test > both.json
out=$(curl -s "${A[@]}" -X PUT "$URL/policies" -d @both.json)
has "the policy with its test, as one: accepted" '"tier":{"file":' "$out"
has "... its test too" '"tier_test":{"file":' "$out"
has "... no warning" '"warnings":[]' "$out"
has "the new limit runs" '"tier":"gold"' "$(curl -s "${A[@]}" -X PUT "$URL/records/item/n1" -d '{"amount":90}')"
has "the running test file's source" 'gold from 90' "$(curl -s "${R[@]}" "$URL/policies/tier_test")"
check "PUT /policies/tier_test works" 200 "$(code "${A[@]}" -X PUT "$URL/policies/tier_test" --data-binary @b90/tier_test.lua)"
out=$(curl -s "${A[@]}" -X PUT "$URL/policies" -d '{"files": {"extra.lua": "policy { name = \"extra\", type = \"x\", decide = function(r, d) end }"}}')
has "a policy without tests: accepted with a warning" 'extra.lua has no tests (no extra_test.lua in the set)' "$out"
has "... in the log too" 'warn extra.lua has no tests' "$(cat "$WORK/serve.log")"
check "a bundle removes a file with null" 200 "$(code "${A[@]}" -X PUT "$URL/policies" -d '{"files": {"extra.lua": null}}')"
check "... gone from the directory" no "$([ -e policies/extra.lua ] && echo yes || echo no)"
check "a bundle with a bad file name: 400" 400 "$(code "${A[@]}" -X PUT "$URL/policies" -d '{"files": {"../x.lua": "x"}}')"
has "... named" "'../x.lua' is not a policy file name" "$(curl -s "${A[@]}" -X PUT "$URL/policies" -d '{"files": {"../x.lua": "x"}}')"
check "a bundle with a number for a source: 400" 400 "$(code "${A[@]}" -X PUT "$URL/policies" -d '{"files": {"x.lua": 1}}')"
check "a bundle with an unknown key: 400" 400 "$(code "${A[@]}" -X PUT "$URL/policies" -d '{"file": {}}')"
check "an empty bundle: 400" 400 "$(code "${A[@]}" -X PUT "$URL/policies" -d '{"files": {}}')"

echo "-- the directory: a refused edit, then a policy and its test edited together"
rejected=$(grep -c 'policy edit rejected' serve.log) active=$(grep -c 'policies active' serve.log)
waitlog() { for _ in $(seq 200); do [ "$(grep -c "$1" serve.log)" -ge "$2" ] && return 0; sleep 0.05; done; }
printf -- '-- tier.lua\npolicy { name = "tier", type = "item",\n' > policies/tier.lua
waitlog 'policy edit rejected' $((rejected + 1))
p=$(curl -s "${R[@]}" "$URL/policies/tier")
has "pending_error names the file and the line" 'policies/tier.lua","line":3' "$(grep -o '"pending_error":{.*' <<<"$p")"
has "... and the refused version" '"version":"' "$(grep -o '"pending_error":{.*' <<<"$p")"
has "... while the running source is the last good one" 'gold from LIMIT' "$p"
has "/health is degraded" '"status":"degraded"' "$(curl -s "$URL/health")"
has "the refused edit is logged, by file edit" '"by":"file edit","why":"file edit","message":"the policies do not load' \
  "$(curl -s "${R[@]}" "$URL/policies/tier/versions")"
cp b70/tier.lua policies/tier.lua 2>/dev/null || policy_set b70 70 2
cp b70/tier.lua policies/tier.lua && cp b70/tier_test.lua policies/tier_test.lua # within the settle time
waitlog 'policies active' $((active + 1))
sleep 0.5
check "a policy and its test edited together reload as one: no refusal" $((rejected + 1)) "$(grep -c 'policy edit rejected' serve.log)"
has "... the new limit runs" '"tier":"gold"' "$(curl -s "${A[@]}" -X PUT "$URL/records/item/n2" -d '{"amount":70}')"
check "... nothing pending" "" "$(curl -s "${R[@]}" "$URL/policies/tier" | grep -o pending_error)"

echo "-- POST /policies/dry-run"
bundle 50 test > dry.json
out=$(curl -s "${A[@]}" -X POST "$URL/policies/dry-run?type=item" -d @dry.json)
has "dry run: done within the wait, the report" '"status":"done"' "$out"
has "... the transition (70 -> 50: i50, i79 ... gold)" '"field":"tier","from":"silver","to":"gold","count":' "$out"
check "... nothing written: i50 is still silver" silver \
  "$(curl -s "${R[@]}" "$URL/records/item/i50" | grep -o '"tier":"[a-z]*"' | cut -d'"' -f4)"
check "dry run ?wait=0: 202 with the job" 202 "$(code "${A[@]}" -X POST "$URL/policies/dry-run?wait=0" -d @dry.json)"
job=$(curl -s -D - "${A[@]}" -X POST "$URL/policies/dry-run?wait=0" -d @dry.json 2>/dev/null | tr -d '\r')
loc=$(grep -i '^Location:' <<<"$job" | awk '{print $2}')
if [ -z "$loc" ]; then loc=$(grep -o '"href":"[^"]*"' <<<"$job" | cut -d'"' -f4); fi # (409: one runs still)
for _ in $(seq 100); do st=$(curl -s "${R[@]}" "$URL$loc"); case "$st" in *'"status":"running"'*) sleep 0.1 ;; *) break ;; esac; done
has "GET /jobs/ID: the report when done" '"report":{' "$st"
has "... with its progress" '"progress":{"done":' "$st"
check "an unknown job: 404" 404 "$(code "${R[@]}" "$URL/jobs/999")"
check "a job id that is no number: 400" 400 "$(code "${R[@]}" "$URL/jobs/abc")"
echo '{"files": {"tier.lua": "policy { name = "}}' > broken.json
check "a candidate that does not load: 422" 422 "$(code "${A[@]}" -X POST "$URL/policies/dry-run" -d @broken.json)"
has "... with file:line" 'policies/tier.lua:1:' "$(curl -s "${A[@]}" -X POST "$URL/policies/dry-run" -d @broken.json)"
check "a dry run needs the admin role" 403 "$(code "${R[@]}" -X POST "$URL/policies/dry-run" -d @dry.json)"

echo "-- POST /records/TYPE:import, and the CLI beside a running service"
printf '{"id":"h1","amount":500}\n{oops\n{"id":"h2","amount":5}\n' > h.jsonl
out=$(curl -s "${A[@]}" -X POST "$URL/records/item:import" --data-binary @h.jsonl)
has "import over HTTP: stored" '"stored":2' "$out"
has "... the bad line by number" '"failures":[{"line":2,"error":"invalid JSON' "$out"
has "... the records are there, evaluated" '"tier":"gold"' "$(curl -s "${R[@]}" "$URL/records/item/h1")"
has "import ?dry_run=true stores nothing" '"would_store":2' \
  "$(curl -s "${A[@]}" -X POST "$URL/records/item:import?dry_run=true" --data-binary @h.jsonl)"
check "import needs the writer role" 403 "$(code "${R[@]}" -X POST "$URL/records/item:import" --data-binary @h.jsonl)"
out=$("$BYLAW" import --db e2e.db --policies policies item items.jsonl 2>&1)
check "bylaw import while the service runs: refused (1)" 1 "$?"
has "... pointing at the API" "POST /records/item:import" "$out"
out=$("$BYLAW" diff --db e2e.db --policies b50 --scripts "$ROOT/scripts" --type item 2>&1)
check "bylaw diff beside the running service, on the set it runs" 0 "$?"
has "... a transition" "tier silver → gold:" "$out"
has "the service still answers" '"status":"' "$(curl -s "$URL/health")"
unserve
check "the service stops cleanly (exit 0)" 0 "$?"
has "no sanitizer report" "" "$(grep -l 'AddressSanitizer\|runtime error' serve.log 2>/dev/null)"

finish
