#!/usr/bin/env bash
# ready_test.sh BYLAW — GET /health/ready tells the truth when nothing can be written (issue 10): a
# database this user may only read (the service started as `nobody` on a 0444 file, and a file whose
# permissions changed under a running service), and a full disk (a small tmpfs filled up), each failing
# readiness with the reason, writes answered 503 with it, and readiness back once the cause is gone.
# Needs root (mount, setpriv); without it the checks are skipped and said so. Closes with
# 'N passed, N failed'.
. "$(dirname "$0")/lib.sh"
MNT=
trap '[ -n "$PID" ] && kill -9 "$PID" 2>/dev/null; wait 2>/dev/null; [ -n "$MNT" ] && umount "$MNT"; rm -rf "$WORK"' EXIT

ready() { curl -s -o /dev/null -w '%{http_code}' "$URL/health/ready"; }
put() { curl -s -o /dev/null -w '%{http_code}' -X PUT "$URL/records/client/$1" -d '{"annual_revenue":1}'; }
start_in() { # start_in DIR [ARGS]: serve DIR/r.db from DIR (copies of the program, policies, scripts)
  local dir=$1; shift
  : > "$dir/serve.log"
  "$@" "$dir/bylaw" serve --db "$dir/r.db" --policies "$dir/policies" --scripts "$dir/scripts" \
    --listen 127.0.0.1:0 --min-free-mb 1 2>> "$dir/serve.log" &
  PID=$!
  local port=
  for _ in $(seq 200); do
    port=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$dir/serve.log" | tail -1 | grep -o '[0-9]*$')
    [ -n "$port" ] && curl -s "http://127.0.0.1:$port/health" > /dev/null && break
    sleep 0.05
  done
  URL="http://127.0.0.1:$port"
}
lay_out() { # lay_out DIR: the program and what it reads, readable by any user
  mkdir -p "$1" && cp "$BYLAW" "$1/bylaw" && cp -r "$ROOT/scripts" "$1/scripts" && mkdir "$1/policies" &&
    cp "$ROOT"/policies/client_grade*.lua "$1/policies/" && chmod -R a+rX "$1"
}
until_ready() { # until_ready CODE: wait up to 10 s for /health/ready to answer CODE
  for _ in $(seq 100); do [ "$(ready)" = "$1" ] && return; sleep 0.1; done
}

if [ "$(id -u)" != 0 ]; then
  echo "  skip  read-only and full-disk readiness: they need root (mount, setpriv)"
  finish
fi

echo "-- a database this user may only read"
D="$WORK/ro"
lay_out "$D"
chmod 755 "$WORK"
start_in "$D"
check "a fresh service is ready" 200 "$(ready)"
check "...and takes writes" 200 "$(put a)"
unserve
chown -R nobody "$D"
chmod 0444 "$D/r.db"
start_in "$D" setpriv --reuid=nobody --regid=nogroup --clear-groups
check "started on a read-only database, the service answers" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/records/client/a")"
check "...and is not ready" 503 "$(ready)"
has "...saying why" '"database":"the database is read-only' "$(curl -s "$URL/health/ready")"
has "the start-up log says it too" "is read-only for this user" "$(cat "$D/serve.log")"
check "a write is 503, not 500" 503 "$(put b)"
has "...saying the database cannot take writes" "the database cannot take writes now" \
  "$(curl -s -X PUT "$URL/records/client/b" -d '{"annual_revenue":1}')"
unserve
chmod 0600 "$D/r.db"
start_in "$D" setpriv --reuid=nobody --regid=nogroup --clear-groups
check "the same user, the file writable: ready" 200 "$(ready)"
chmod 0400 "$D/r.db"
check "permissions changed under a running service: not ready" 503 "$(ready)"
has "...naming the file" "r.db cannot be written (Permission denied)" "$(curl -s "$URL/health/ready")"
chmod 0600 "$D/r.db"
check "permissions back: ready again" 200 "$(ready)"
unserve

echo "-- a full disk"
MNT="$WORK/small"
mkdir -p "$MNT"
# 6 MiB for the database, beside the copy of the program (an ASan build is over 6 MB)
if ! mount -t tmpfs -o size=$(( $(stat -c %s "$BYLAW") / 1048576 + 7 ))m tmpfs "$MNT" 2>/dev/null; then
  MNT=
  echo "  skip  full disk: cannot mount a tmpfs here"
  finish
fi
lay_out "$MNT/d"
start_in "$MNT/d"
check "on a small disk with room, ready" 200 "$(ready)"
check "...and a write goes in" 200 "$(put a)"
dd if=/dev/zero of="$MNT/fill" bs=64k 2>/dev/null
check "the disk full: not ready" 503 "$(ready)"
has "...saying the disk is below its minimum" '"status":"below the minimum' "$(curl -s "$URL/health/ready")"
printf '{"annual_revenue":1,"note":"%s"}' "$(head -c 200000 /dev/zero | tr '\0' x)" > "$WORK/big.json"
code=$(curl -s -o "$WORK/put.out" -w '%{http_code}' -X PUT "$URL/records/client/big" --data-binary @"$WORK/big.json")
check "a write that needs room is 503" 503 "$code"
has "...saying the disk is full" "full" "$(cat "$WORK/put.out")"
has "readiness names the failed commit" '"database":"the last commit failed' "$(curl -s "$URL/health/ready")"
check "reads still answer" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/records/client/a")"
check "the write acknowledged before is there" 1 \
  "$(curl -s "$URL/records/client/a" | grep -c '"annual_revenue":1')"
rm -f "$MNT/fill"
until_ready 200
check "room again: ready within seconds, with no write needed" 200 "$(ready)"
has "...and the log says writes go in again" "the database takes writes again" "$(cat "$MNT/d/serve.log")"
check "writes go in again" 200 "$(put c)"
unserve
check "the database is sound" ok "$(sqlite3 "$MNT/d/r.db" 'PRAGMA integrity_check')"
finish
