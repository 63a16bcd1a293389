#!/usr/bin/env bash
# package_test.sh BYLAW — the Debian package and `make install`, from a clean copy of the tree
# (the files git tracks or would track, as they are in the work tree) in a temporary directory:
# dpkg-buildpackage builds the .deb; dpkg installs it into a scratch root (maintainer scripts run
# outside it with DPKG_ROOT); the payload, the conffile, the first-install policies and that an
# upgrade, a purge and a new install never overwrite them; the unit (systemd-analyze verify);
# the installed `bylaw serve` (chrooted into the scratch root when run as root) answers /health
# with the example policies from /var/lib/bylaw/policies; `make install PREFIX=...` finds its
# built-in scripts directory, and `make uninstall` leaves nothing. BYLAW only gives the version.
# Without dpkg-buildpackage, debhelper or fakeroot it installs nothing and says what it skipped.
# Closes with 'N passed, N failed'.
set -u
. "$(dirname "$0")/lib.sh"

exists() { # exists NAME PATH...
  local p missing=
  for p in "${@:2}"; do [ -e "$p" ] || missing="$missing ${p#"$WORK"/}"; done
  check "$1" "" "$missing"
}

missing=
for tool in dpkg-buildpackage dh fakeroot git; do command -v "$tool" >/dev/null || missing="$missing $tool"; done
if [ -n "$missing" ]; then
  echo "skipped: the package is not built, nothing installed:$missing not installed (make deps installs them)"
  finish
fi
if ! git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1; then
  echo "skipped: $ROOT is not a git checkout, so there is no list of the tree's files to copy"
  finish
fi
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES # not the outer `make test`'s
export LC_ALL=C
repo_status() { git -C "$ROOT" status --porcelain --ignored; }
repo_before=$(repo_status)

# A clean copy: no build/, no ./bylaw, no databases.
SRC=$WORK/src
mkdir "$SRC"
(cd "$ROOT" && git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do [ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"; done |
  tar --null -T - -cf -) | tar -xf - -C "$SRC"

# debian/control's Build-Depends and the Makefile's BUILD_DEBS: one list, written twice.
control=$(awk '/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, "") } on && (/^[A-Za-z-]+:/ || /^$/) { on = 0 }
                on && !/^#/' "$SRC/debian/control" |
  tr ',' '\n' | sed 's/(.*)//; s/^[ \t]*//; s/[ \t]*$//' | grep -v -e '^$' -e '^debhelper-compat' | sort | tr '\n' ' ')
makefile=$(make -s -C "$SRC" print-BUILD_DEBS | tr ' ' '\n' | grep -v '^$' | sort | tr '\n' ' ')
check "debian/control Build-Depends = the Makefile's BUILD_DEBS" "$makefile" "$control"
check "debian/changelog has the program's version" "$("$BYLAW" --version | awk '{print $2}')" \
  "$(cd "$SRC" && dpkg-parsechangelog -S Version)"

# Build.
s=$(date +%s)
(cd "$SRC" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" dpkg-buildpackage -us -uc -b) > "$WORK/build.log" 2>&1
rc=$?
check "dpkg-buildpackage -us -uc -b succeeds ($(($(date +%s) - s)) s)" 0 "$rc"
DEB=$(ls "$WORK"/bylaw_*.deb 2>/dev/null | head -1)
if [ "$rc" -ne 0 ] || [ -z "$DEB" ]; then tail -30 "$WORK/build.log"; finish; fi
fields=$(dpkg-deb -f "$DEB" Depends)
has "Depends: the libraries (shlibs)" "liblua5.4-0" "$fields"
has "Depends: adduser (the postinst creates the user)" "adduser" "$fields"
ctl() { dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - "./$1" 2>/dev/null; }
has "conffiles: /etc/bylaw/bylaw.json" "/etc/bylaw/bylaw.json" "$(ctl conffiles)"
check "postinst never starts the service; after an upgrade it restarts it only if running" "0 1" \
  "$(ctl postinst | grep -c 'deb-systemd-invoke start') $(ctl postinst | grep -c 'deb-systemd-invoke try-restart')"
check "prerm stops the service on removal" 1 "$(ctl prerm | grep -c 'deb-systemd-invoke stop')"

# Install into a scratch root: dpkg's database there, maintainer scripts run here with DPKG_ROOT.
R=$WORK/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
touch "$R/var/lib/dpkg/status"
asroot=; [ "$(id -u)" = 0 ] || asroot=fakeroot # dpkg sets owners; the scripts skip them with DPKG_ROOT
dpkgr() { $asroot dpkg --root="$R" --log=/dev/null --force-depends --force-script-chrootless "$@" > "$WORK/dpkg.log" 2>&1 < /dev/null; }
dpkgr -i "$DEB"; rc=$?
check "dpkg -i into a scratch root" 0 "$rc"
[ "$rc" -eq 0 ] || { cat "$WORK/dpkg.log"; finish; }
check "dpkg says it is installed" "install ok installed" "$(dpkg --root="$R" -s bylaw 2>/dev/null | sed -n 's/^Status: //p')"
exists "installed: program, unit, config, man pages, docs" "$R/usr/bin/bylaw" "$R/lib/systemd/system/bylaw.service" \
  "$R/etc/bylaw/bylaw.json" "$R/usr/share/man/man1/bylaw.1.gz" "$R/usr/share/man/man5/bylaw.json.5.gz" \
  "$R/usr/share/doc/bylaw/operations.md" "$R/usr/share/doc/bylaw/README.md" "$R/usr/share/doc/bylaw/copyright"
check "installed: every scripts/*.lua in /usr/share/bylaw/scripts" "$(cd "$SRC/scripts" && ls ./*.lua)" \
  "$(cd "$R/usr/share/bylaw/scripts" && ls ./*.lua)"
check "installed: every policies/*.lua in /usr/share/bylaw/policies" "$(cd "$SRC/policies" && ls ./*.lua)" \
  "$(cd "$R/usr/share/bylaw/policies" && ls ./*.lua)"
check "first install: the example policies copied to /var/lib/bylaw/policies" "$(cd "$SRC/policies" && ls ./*.lua)" \
  "$(cd "$R/var/lib/bylaw/policies" 2>/dev/null && ls ./*.lua)"
check "/var/lib/bylaw is not world-readable" "750" "$(stat -c %a "$R/var/lib/bylaw")"
check "the unit is installed, not enabled" "" "$(ls "$R"/etc/systemd/system/*/bylaw.service 2>/dev/null)"
check "the packaged program has the packaged scripts directory built in" "/usr/share/bylaw/scripts" \
  "$("$R/usr/bin/bylaw" --help | grep -oE '/[^ ]*/share/bylaw/scripts')"

if command -v systemd-analyze >/dev/null; then
  # The program is in the scratch root, not at /usr/bin/bylaw: point ExecStart there, verify the rest.
  mkdir "$WORK/unit"
  sed "s#/usr/bin/bylaw#$R/usr/bin/bylaw#" "$R/lib/systemd/system/bylaw.service" > "$WORK/unit/bylaw.service"
  check "systemd-analyze verify: the unit has no warning" "" "$(systemd-analyze verify --man=no "$WORK/unit/bylaw.service" 2>&1)"
else
  echo "  skip  systemd-analyze is not installed: the unit is not verified"
fi

# The installed service with the installed config. As root: chrooted into the scratch root with the
# program's libraries, so every path is the real one (/etc/bylaw, /var/lib/bylaw, the built-in
# /usr/share/bylaw/scripts). Otherwise: the same files, paths given under the scratch root.
if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null; then
  for lib in $(ldd "$R/usr/bin/bylaw" | grep -oE '/[^ ]+'); do mkdir -p "$R$(dirname "$lib")"; cp -L "$lib" "$R$lib"; done
  chroot "$R" /usr/bin/bylaw --version >/dev/null 2>&1 || echo "  note  chroot is not permitted here"
fi
if [ "$(id -u)" = 0 ] && chroot "$R" /usr/bin/bylaw --version >/dev/null 2>&1; then
  how="chrooted" at=
  (cd "$R/var/lib/bylaw" && exec chroot "$R" /usr/bin/bylaw serve --config /etc/bylaw/bylaw.json --listen 127.0.0.1:0) \
    2> "$WORK/serve.log" &
else
  how="not chrooted (not root): paths under the scratch root" at=$R
  (cd "$R/var/lib/bylaw" && BYLAW_SCRIPTS="$R/usr/share/bylaw/scripts" exec "$R/usr/bin/bylaw" serve \
    --config "$R/etc/bylaw/bylaw.json" --db "$R/var/lib/bylaw/bylaw.db" --policies "$R/var/lib/bylaw/policies" \
    --listen 127.0.0.1:0) 2> "$WORK/serve.log" &
fi
PID=$!
for _ in $(seq 100); do
  PORT=$(grep -o 'serving http://127.0.0.1:[0-9]*' "$WORK/serve.log" | grep -o '[0-9]*$')
  [ -n "$PORT" ] && curl -s "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.05
done
echo "  installed bylaw serve, $how, on port ${PORT:-?}"
npolicies=$("$BYLAW" check --policies "$SRC/policies" | sed -n 's/^\([0-9]*\) policies loaded.*/\1/p')
has "installed serve: /health answers with every example policy" "\"policies\":$npolicies,\"workers_ready\":true" \
  "$(curl -s "http://127.0.0.1:$PORT/health")"
has "installed serve: policies from /var/lib/bylaw/policies, db /var/lib/bylaw/bylaw.db" \
  "db $at/var/lib/bylaw/bylaw.db, durability full, policies $at/var/lib/bylaw/policies" \
  "$(cat "$WORK/serve.log")"
has "installed serve: an example policy decides" '"grade":"platinum"' \
  "$(curl -s -X PUT "http://127.0.0.1:$PORT/records/client/c1" -d '{"annual_revenue":2000000,"region_group":1}')"
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
check "installed serve stops cleanly on SIGTERM" 0 "$rc"
exists "the database is in /var/lib/bylaw" "$R/var/lib/bylaw/bylaw.db"

# An administrator edits a policy and the config, adds a policy; reinstall (an upgrade's path),
# purge, install again: the policies stay theirs.
echo "-- edited by the administrator" >> "$R/var/lib/bylaw/policies/client_grade.lua"
echo "return {}" > "$R/var/lib/bylaw/policies/local_rule.lua"
sed -i 's/"max_connections": 256/"max_connections": 300/' "$R/etc/bylaw/bylaw.json"
fingerprint() { (cd "$R/var/lib/bylaw/policies" && cat ./*.lua | md5sum); }
before=$(fingerprint)
dpkgr -i "$DEB"
check "reinstall: succeeds" 0 "$?"
check "reinstall: the administrator's policies are kept" "$before" "$(fingerprint)"
has "reinstall: the administrator's config is kept" '"max_connections": 300' "$(cat "$R/etc/bylaw/bylaw.json")"
dpkgr --purge bylaw
check "purge: succeeds" 0 "$?"
check "purge: the program and the config are gone" "" "$(ls "$R/usr/bin/bylaw" "$R/etc/bylaw/bylaw.json" 2>/dev/null)"
exists "purge: the database and the policies stay" "$R/var/lib/bylaw/bylaw.db" "$R/var/lib/bylaw/policies/local_rule.lua"
dpkgr -i "$DEB"
check "install after purge: succeeds" 0 "$?"
check "install after purge: the existing policies are not overwritten" "$before" "$(fingerprint)"

# The maintainer scripts as they run on a real system (adduser, owners, modes): as root, dpkg -i in
# a chroot on an overlay of / inside a mount namespace, so that nothing reaches this machine.
O=$WORK/overlay
mkdir -p "$O/upper" "$O/work" "$O/merged"
cp "$DEB" "$O/bylaw.deb"
cat > "$O/inside.sh" <<'EOF'
dpkg -i /tmp/o/bylaw.deb > /tmp/o/dpkg.log 2>&1 && dpkg -i /tmp/o/bylaw.deb >> /tmp/o/dpkg.log 2>&1 && echo installed twice
getent passwd bylaw | cut -d: -f1,6,7
stat -c '%n %U:%G %a' /var/lib/bylaw /var/lib/bylaw/policies /var/lib/bylaw/policies/client_grade.lua /etc/bylaw/bylaw.json
cd /var/lib/bylaw && su -s /bin/sh -c 'bylaw check --policies /var/lib/bylaw/policies' bylaw | tail -1
EOF
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
   unshare -m sh -c "mount -t overlay overlay -o lowerdir=/,upperdir=$O/upper,workdir=$O/work $O/merged" 2>/dev/null; then
  host() { getent passwd bylaw; ls -d /etc/bylaw /var/lib/bylaw 2>/dev/null; }
  host_before=$(host)
  real=$(unshare -m sh -c "mount -t overlay overlay -o lowerdir=/,upperdir=$O/upper,workdir=$O/work $O/merged &&
    mount --bind /proc $O/merged/proc && mount --bind /dev $O/merged/dev && mount -t tmpfs tmpfs $O/merged/tmp &&
    mkdir $O/merged/tmp/o && cp $O/inside.sh $O/bylaw.deb $O/merged/tmp/o/ && chroot $O/merged sh /tmp/o/inside.sh" 2>&1)
  has "real install: dpkg -i twice (the postinst may run again)" "installed twice" "$real"
  has "real install: the bylaw system user, home /var/lib/bylaw" "bylaw:/var/lib/bylaw:/usr/sbin/nologin" "$real"
  has "real install: /var/lib/bylaw is the user's, 0750" "/var/lib/bylaw bylaw:bylaw 750" "$real"
  has "real install: the policies are the user's" "/var/lib/bylaw/policies/client_grade.lua bylaw:bylaw" "$real"
  has "real install: the config is readable by the service only" "/etc/bylaw/bylaw.json root:bylaw 640" "$real"
  has "real install: the user can load the policies" "policies loaded from /var/lib/bylaw/policies, no errors" "$real"
  check "real install: nothing reached this machine" "$host_before" "$(host)"
else
  echo "  skip  not root, or no overlay mount here: adduser and the owners are not checked on a real system"
fi

# make install: the scripts directory built in from PREFIX (main.o rebuilt for it), uninstall.
P=$WORK/prefix
make -s -C "$SRC" install PREFIX="$P" > "$WORK/install.log" 2>&1
check "make install PREFIX=... succeeds" 0 "$?"
check "make install: another PREFIX, another built-in scripts directory" "$P/share/bylaw/scripts" \
  "$(env -u BYLAW_SCRIPTS "$P/bin/bylaw" --help | grep -oE '/[^ ]*/share/bylaw/scripts')"
has "make install: the installed program finds its scripts by itself" "policies loaded from $P/share/bylaw/policies, no errors" \
  "$(cd / && env -u BYLAW_SCRIPTS "$P/bin/bylaw" check --policies "$P/share/bylaw/policies" 2>&1)"
make -s -C "$SRC" uninstall PREFIX="$P" > "$WORK/uninstall.log" 2>&1
check "make uninstall leaves no file" "" "$(find "$P" -type f 2>/dev/null)"
check "the repository is left as it was" "$repo_before" "$(repo_status)"

finish
