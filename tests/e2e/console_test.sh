#!/usr/bin/env bash
# console_test.sh BYLAW — the admin console: its files served at / and /console/... with their content
# types and the Content-Security-Policy, the Debian libraries through their fixed names, no path out of
# the served directories; then the pages in headless Chromium (console_browser.py): edit a threshold, see
# the dry run, publish, a broken edit on its line, records, the work queue, a reader's view; screenshots
# under build/console/; bylaw demo's data set (reproducible, every grade and verdict). Closes with 'N passed, N failed'.
set -u
. "$(dirname "$0")/lib.sh"

mkdir -p "$WORK/policies"
cp "$ROOT"/policies/*.lua "$WORK/policies/"
cd "$WORK"
cat > cfg.json << 'EOF2'
{"tokens": [{"token": "admin-token-0001", "role": "admin"}, {"token": "reader-token-0001", "role": "reader"}]}
EOF2
serve --config cfg.json
A='Authorization: Bearer admin-token-0001'

echo "-- files"
head() { curl -s -o /dev/null -D - "$@" | tr -d '\r'; }
code() { curl -s -o /dev/null -w '%{http_code}' --path-as-is "$@"; }
h=$(head "$URL/")
has "/ is the console's page" "HTTP/1.1 200" "$h"
has "... as HTML" "Content-Type: text/html; charset=utf-8" "$h"
has "... with the Content-Security-Policy" "Content-Security-Policy: default-src 'none'; script-src 'self'" "$h"
has "... without a token (the page signs in)" '<form id="signin"' "$(curl -s "$URL/")"
has "app.js is JavaScript" "Content-Type: text/javascript; charset=utf-8" "$(head "$URL/console/app.js")"
has "app.css is CSS" "Content-Type: text/css; charset=utf-8" "$(head "$URL/console/app.css")"
for lib in codemirror.js lua.js chart.js; do
  has "the library $lib is served" "Content-Type: text/javascript" "$(head "$URL/console/lib/$lib")"
done
has "codemirror.css is served" "Content-Type: text/css" "$(head "$URL/console/lib/codemirror.css")"
check "... the Debian package's file, as it is" "$(cat /usr/share/javascript/codemirror/mode/lua/lua.js | md5sum)" \
  "$(curl -s "$URL/console/lib/lua.js" | md5sum)"
ours=$(cat "$ROOT"/console/*.html "$ROOT"/console/*.js "$ROOT"/console/*.css | wc -c)
check "our own code is under 100 KB ($ours bytes)" 1 "$([ "$ours" -lt 102400 ] && echo 1 || echo 0)"
check "a page is no CDN's: no http(s) URL in our files" "" "$(grep -lE 'https?://' "$ROOT"/console/* || true)"

echo "-- no path out of the served directories"
for p in /console/../core/console.c /console/..%2fcore%2fconsole.c /console/%2e%2e/README.md /console/.hidden.js \
         /console/lib/../../etc/passwd /console/lib/..%2f..%2f..%2fetc%2fpasswd /console/lib/jquery.js \
         /console/lib/%2e%2e%2fcodemirror.js /console/app.js%00.png /console/index.html/x /console/../../../etc/passwd \
         /console/README.md /console/app.c; do
  c=$(code "$URL$p")
  check "$p is not served" 1 "$([ "$c" = 404 ] || [ "$c" = 400 ] && echo 1 || echo "0 ($c)")"
done
has "the refusal says what is served" "names are letters, digits" "$(curl -s "$URL/console/.hidden.js")"
check "POST / is 405" 405 "$(code -X POST "$URL/")"
check "the API still answers at its place, with the token" 200 "$(code -H "$A" "$URL/policies")"

echo "-- POST /console/try/{type}: evaluated, nothing stored"
R='Authorization: Bearer reader-token-0001'
t=$(curl -s -X POST -H "$R" "$URL/console/try/client" -d '{"annual_revenue": 2500000}')
has "a reader may try a record" '"grade":"platinum"' "$t"
has "... with the decision's explanation" 'grade platinum: annual_revenue 2,500,000 >= 2,000,000' "$t"
has "... said not stored" '"stored":false' "$t"
check "... and not stored" 404 "$(code -H "$R" "$URL/records/client/try")"
check "... nor any decision" '{"decisions":[],"next":null}' "$(curl -s -H "$R" "$URL/decisions")"
check "without a token: 401" 401 "$(code -X POST "$URL/console/try/client" -d '{}')"
has "a field a policy needs is missing: 422 naming it" "field 'annual_revenue' must be a number" \
  "$(curl -s -X POST -H "$R" "$URL/console/try/client" -d '{}')"
check "... status 422" 422 "$(code -X POST -H "$R" "$URL/console/try/client" -d '{}')"
check "a body that is no object: 400" 400 "$(code -X POST -H "$R" "$URL/console/try/client" -d '[1]')"
check "an id that is no text: 400" 400 "$(code -X POST -H "$R" "$URL/console/try/client" -d '{"id": 5}')"
has "GET /policies lists each policy's declared fields" '"name":"status","type":"enum","optional":false,"text":"enum{' \
  "$(curl -s -H "$R" "$URL/policies")"

echo "-- records the browser test reads"
for r in 'c1 1600000' 'c2 1700000' 'c3 1999999' 'c4 2500000' 'c5 100000'; do
  set -- $r
  curl -s -o /dev/null -X PUT -H "$A" "$URL/records/client/$1" -d "{\"annual_revenue\": $2}"
done
curl -s -o /dev/null -X PUT -H "$A" "$URL/records/candidate/k1" -d '{"level": "senior", "background_check": "none", "age": 30}'
curl -s -o /dev/null -X PUT -H "$A" "$URL/records/sales_month/s1" \
  -d "{\"employee\": \"li\", \"month\": \"$(date +%Y-%m)\", \"sales\": 150000, \"target\": 100000, \"minimum\": 50000}"
curl -s -o /dev/null -X PUT -H "$A" "$URL/records/complaint/q1" \
  -d "{\"received_at\": \"$(date +%Y-%m-%dT%H:%M:%S%:z)\", \"handler\": \"wang\", \"status\": \"open\"}"
has "the complaint has its deadlines" '"name":"investigate"' "$(curl -s -H "$A" "$URL/timers")"
has "the candidate is on hold" '"verdict":"hold"' "$(curl -s -H "$A" "$URL/decisions?verdict=hold")"

echo "-- the pages in headless Chromium"
shots="$ROOT/build/console"
mkdir -p "$shots"
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] && /usr/bin/python3 -c 'import selenium' 2>/dev/null; then
  /usr/bin/python3 "$ROOT/tests/e2e/console_browser.py" "$URL" "$shots" > browser.log 2>&1
  cat browser.log
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' browser.log | tail -1)
  if [ -n "$line" ]; then
    passed=$((passed + ${line%% *})); f=${line#*, }; failed=$((failed + ${f%% *}))
  else
    fail "the browser test ran to its end (see its output above)"
  fi
  for s in policies dry-run error try records record queue deadlines ledger events history reader zh phone; do
    check "screenshot console-$s.png" 1 "$([ -s "$shots/console-$s.png" ] && echo 1 || echo 0)"
  done
else
  fail "chromium, chromium-driver and python3-selenium are installed (make deps)"
fi

unserve
check "the service stops cleanly (exit 0)" 0 "$?"

echo "-- bylaw demo: the example data set"
demo() { "$BYLAW" demo --policies "$WORK/policies" --scripts "$ROOT/scripts" "$@"; }
out=$(demo --db d1.db --count 200 2>&1); rc=$?
check "bylaw demo exits 0" 0 "$rc"
for t in client investor candidate contract_submission sales_month complaint; do
  has "... imports 200 records of type $t" "imported 200 records of type $t" "$out"
done
demo --db d2.db --count 200 > /dev/null 2>&1
demo --db d3.db --count 200 --seed 7 > /dev/null 2>&1
check "the same seed gives the same records" "$("$BYLAW" export --db d1.db | md5sum)" "$("$BYLAW" export --db d2.db | md5sum)"
check "another seed, other records" 1 "$([ "$("$BYLAW" export --db d1.db | md5sum)" != "$("$BYLAW" export --db d3.db | md5sum)" ] && echo 1 || echo 0)"
serve --db d1.db --config cfg.json
for g in diamond platinum gold vip; do
  n=$(curl -s -H "$A" "$URL/records/client?grade=$g&limit=1000" | grep -o '"id"' | wc -l)
  check "clients of grade $g are there" 1 "$([ "$n" -gt 0 ] && echo 1 || echo "0 ($n)")"
done
for v in pass hold reject; do
  n=$(curl -s -H "$A" "$URL/decisions?type=candidate&verdict=$v&limit=1000" | grep -o '"decision"' | wc -l)
  check "candidates with the verdict $v are there" 1 "$([ "$n" -gt 0 ] && echo 1 || echo "0 ($n)")"
done
has "complaints have pending deadlines" '"type":"complaint"' "$(curl -s -H "$A" "$URL/timers?type=complaint&limit=5")"
has "overdue complaints were escalated" '"kind":"escalation"' "$(curl -s -H "$A" "$URL/events?limit=1000")"
has "people have points" '"policy":"sales_month"' "$(curl -s -H "$A" "$URL/decisions?type=sales_month&limit=3")"
unserve
check "bylaw demo --count 0 is refused (exit 2)" 2 "$(demo --db d4.db --count 0 > /dev/null 2>&1; echo $?)"
has "... saying why" "--count must be a whole number from 1 to 1000000" "$(demo --db d4.db --count 0 2>&1)"
check "an argument is refused (exit 2)" 2 "$(demo --db d4.db extra > /dev/null 2>&1; echo $?)"
check "no sanitizer report" "" "$(grep -E 'AddressSanitizer|LeakSanitizer|runtime error' serve.log)"
finish
