#!/usr/bin/env bash
# i18n_test.sh — explanations in the reader's language: bylaw eval --lang, the service's Accept-Language
# (PUT answer, a record's decisions, the decision queue, field errors), the lang setting, stored decisions
# keeping the English explanation and the messages; load errors of catalogs and decide-time errors of messages.
. "$(dirname "$0")/lib.sh"
mkdir -p "$WORK/policies"
cp "$ROOT"/policies/*.lua "$WORK/policies/"
export BYLAW_SCRIPTS="$ROOT/scripts"

echo "-- bylaw eval --lang"
out=$("$BYLAW" eval --policies "$WORK/policies" --lang zh-CN client '{"id":"c1","annual_revenue":5000000}')
has "eval --lang zh-CN explains in Chinese" '"explanation":"钻石客户:年业务收入 5,000,000 ≥ 5,000,000"' "$out"
has "the grade stays a code" '"grade":"diamond"' "$out"
has "the message's key is kept" '"key":"threshold.reach"' "$out"
out=$("$BYLAW" eval --policies "$WORK/policies" --lang en client '{"id":"c1","annual_revenue":5000000}')
has "eval --lang en: today's English" '"explanation":"grade diamond: annual_revenue 5,000,000 >= 5,000,000"' "$out"
out=$("$BYLAW" eval --policies "$WORK/policies" client '{"id":"c1","annual_revenue":5000000}')
has "eval without --lang: English" '"explanation":"grade diamond: annual_revenue 5,000,000 >= 5,000,000"' "$out"
out=$("$BYLAW" eval --policies "$WORK/policies" --lang zh-CN complaint '{"id":"k1","status":"lost"}' 2>/dev/null)
has "eval --lang zh-CN: a missing field in Chinese" "字段 'handler' 应为字符串,实际为空(缺少这个字段)(策略 complaint 需要" "$out"
has "eval --lang zh-CN: an enum in Chinese" '应为\"open\"、\"investigated\"、\"replied\"或\"closed\"之一,实际为\"lost\"' "$out"
out=$("$BYLAW" eval --policies "$WORK/policies" --lang fr client '{"id":"c1"}' 2>&1); rc=$?
check "--lang fr: exit 2" 2 "$rc"
has "--lang fr: says which languages" "--lang takes en or zh-CN, got 'fr'" "$out"
out=$("$BYLAW" check --policies "$WORK/policies" --lang zh-CN 2>&1); rc=$?
check "--lang is refused by check" 2 "$rc"
has "check names --lang" "--lang is not an option of bylaw check" "$out"
"$BYLAW" eval --policies "$WORK/policies" --db "$WORK/cli.db" --lang zh-CN client \
  '{"id":"c1","annual_revenue":8000,"region_group":3}' > "$WORK/out.json"
has "eval --db --lang zh-CN: the answer in Chinese" "VIP客户:年业务收入 8,000 ≥ 8,000(10,000 × 0.8, 第3组系数)" "$(cat "$WORK/out.json")"
check "the stored explanation stays English" "grade vip: annual_revenue 8,000 >= 8,000 (10,000 × 0.8, region group 3 coefficient)" \
  "$(sqlite3 "$WORK/cli.db" "SELECT explanation FROM decisions")"
has "the stored decision keeps the message" '"key":"group_note"' "$(sqlite3 "$WORK/cli.db" "SELECT i18n FROM decisions")"
out=$("$BYLAW" eval --policies "$WORK/policies" client '{"id":"c2","annual_revenue":8000,"region_group":3}')
has "eval in English without --db: the English text" '"explanation":"grade vip: annual_revenue 8,000 >= 8,000' "$out"
check "...and no i18n member (nothing is stored)" 0 "$(grep -c '"i18n"' <<< "$out")"
out=$("$BYLAW" eval --policies "$WORK/policies" --db "$WORK/cli2.db" client '{"id":"c2","annual_revenue":8000}')
has "eval in English with --db keeps the i18n member" '"i18n":' "$out"

# a policy's own message, made at load and changed by its code between records, reads as it is now
mkdir -p "$WORK/own"
cat > "$WORK/own/m.lua" <<'LUA'
local M = message { "seen", n = 0 }
policy { name = "m", type = "m", messages = { en = { seen = "seen {n}" }, ["zh-CN"] = { seen = "见 {n}" } },
  decide = function(r, d) M.n = r.n; d:because(M) end }
LUA
printf '{"id":"a","n":1}\n{"id":"b","n":2}\n' > "$WORK/own.jsonl"
out=$("$BYLAW" eval --policies "$WORK/own" --threads 1 m --input "$WORK/own.jsonl")
has "a policy's message changed between records reads as it is now" '"explanation":"seen 2"' "$out"

echo "-- the service: Accept-Language"
serve
put() { curl -s -X PUT -H 'Content-Type: application/json' "$@"; }
out=$(put -H 'Accept-Language: zh-CN' -d '{"annual_revenue":5000000}' "$URL/records/client/c1")
has "PUT answer with Accept-Language: zh-CN" '"explanation":"钻石客户:年业务收入 5,000,000 ≥ 5,000,000"' "$out"
has "PUT answer: the grade stays a code" '"grade":"diamond"' "$out"
# reads NAME ACCEPT-LANGUAGE NEEDLE [PATH]: GET PATH (default c1's decisions) with that header has NEEDLE
reads() { has "$1" "$3" "$(curl -s -H "Accept-Language: $2" "$URL${4:-/records/client/c1/decisions}")"; }
EN='"explanation":"grade diamond: annual_revenue 5,000,000 >= 5,000,000"'
ZH='"explanation":"钻石客户:年业务收入 5,000,000 ≥ 5,000,000"'
reads "stored decision in English (Accept-Language: en)" "en" "$EN"
reads "stored decision in Chinese (Accept-Language: zh-CN)" "zh-CN" "$ZH"
reads "q-values: zh-Hans (0.8) over en (0.5), fr unknown" "fr;q=1, zh-Hans;q=0.8, en;q=0.5" "$ZH"
reads "q-values: en-GB (1) over zh (0.3)" "zh;q=0.3, en-GB" "$EN"
reads "q=0 refuses a language" "zh-CN;q=0, *;q=0.1" "$EN"
reads "an unknown language: the default (en)" "de" "$EN"
reads "the decision queue in Chinese" "zh" '钻石客户' "/decisions?type=client"
out=$(put -H 'Accept-Language: zh-CN' -d '{"annual_revenue":"5m"}' "$URL/records/client/c3")
has "a field error in Chinese (422, Accept-Language: zh-CN)" "字段 'annual_revenue' 应为数字,实际为字符串" "$out"
out=$(put -d '{"annual_revenue":"5m"}' "$URL/records/client/c3")
has "a field error in English by default" "field 'annual_revenue' must be a number, got string" "$out"
out=$(put -d '{"annual_revenue":100}' "$URL/records/client/c2")
has "no Accept-Language: the default (en)" '"explanation":"no grade: annual_revenue 100 < 10,000"' "$out"
unserve

echo "-- the lang setting"
serve --lang zh-CN
reads "serve --lang zh-CN: Chinese when the header names no language it knows" "fr" "$ZH"
reads "serve --lang zh-CN: Accept-Language en still wins" "en" "$EN"
unserve

echo "-- catalogs checked at load, messages at decide time"
mkdir -p "$WORK/bad"
cat > "$WORK/bad/m.lua" << 'P'
policy { name = "m", type = "t",
  messages = { en = { a = "value {v}" }, ["zh-CN"] = { a = "数值" } },
  decide = function(r, d) d:because({ "a", v = 1 }) end }
P
out=$("$BYLAW" check --policies "$WORK/bad" 2>&1)
has "a parameter missing in zh-CN: load error at the line" "m.lua:1: policy 'm': message 'a' has parameters {v} in en but {} in zh-CN" "$out"
cat > "$WORK/bad/m.lua" << 'P'
policy { name = "m", type = "t",
  messages = { en = { a = "A", b = "B" }, ["zh-CN"] = { a = "甲" } },
  decide = function(r, d) d:because({ "a" }) end }
P
out=$("$BYLAW" check --policies "$WORK/bad" 2>&1)
has "a key missing in zh-CN: load error" "message 'b' has no zh-CN text" "$out"
cat > "$WORK/bad/m.lua" << 'P'
policy { name = "m", type = "t",
  messages = { en = { a = "value {v}" }, ["zh-CN"] = { a = "数值 {v}" } },
  decide = function(r, d)
    if r.k == 1 then d:because({ "nope" }) else d:because({ "a" }) end
  end }
P
out=$("$BYLAW" eval --policies "$WORK/bad" t '{"k":1}' 2>&1)
has "an unknown key: error at the policy's line" "m.lua:4: unknown message 'nope' (the policy's: a)" "$out"
out=$("$BYLAW" eval --policies "$WORK/bad" t '{"k":2}' 2>&1)
has "a missing parameter: error at the policy's line" "m.lua:4: message 'a' needs the parameter 'v'" "$out"
finish
