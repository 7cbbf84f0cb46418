#!/bin/sh
# test_install.sh: `make install DESTDIR=...` of this build lays out a host
# (docs/operations.md, "Install"): the programs, migrations, docs, the nginx
# site and its document root, encore.conf, the systemd units, sysusers.d,
# tmpfiles.d, logrotate and cron.d files, each with this build's paths; a
# second install keeps an edited encore.conf and nginx site; every unit
# passes `systemd-analyze verify` (skipped when it is absent), the site passes
# `nginx -t` inside Debian's own nginx.conf, the sysusers.d and tmpfiles.d
# entries make the user and directories in a scratch root, and logrotate
# accepts its file (each skipped when its program is absent).
set -u
no_verify=
build=${ENCORE_BUILDDIR:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/encore-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
var() { sed -n "s|^$1 = ||p" "$build/Makefile" | head -n 1; }

prefix=$(var prefix)
bindir=$(var bindir | sed "s|\${exec_prefix}|$prefix|; s|\$(exec_prefix)|$prefix|")
sysconfdir=$(var sysconfdir | sed "s|\${prefix}|$prefix|; s|\$(prefix)|$prefix|")
localstatedir=$(var localstatedir | sed "s|\${prefix}|$prefix|; s|\$(prefix)|$prefix|")
datadir=$prefix/share/encore
[ -n "$prefix" ] || { echo "FAIL: no prefix in $build/Makefile"; exit 1; }
d=$tmp/dest

install_once() {
  make -s -C "$build" install DESTDIR="$d" >"$tmp/install.log" 2>&1 ||
    { tail -20 "$tmp/install.log"; return 1; }
}
install_once || { echo "FAIL: make install DESTDIR=$d"; exit 1; }
ok "make install DESTDIR"

# --- the layout -------------------------------------------------------------

# Every program this build made, and the cron wrapper.
progs=$(find "$build/src" -type f -name 'encore-*' -perm -u+x ! -name '*.*' |
  sed 's|.*/||' | sort -u)
for p in $progs encore-cron-run; do
  [ -x "$d$bindir/$p" ] || bad "$bindir/$p is not installed"
done
echo "$progs" | grep -q '^encore-api$' || bad "no encore-api built in $build"
for f in "$datadir/migrations/0001_accounts.sql" "$datadir/docs/openapi.yaml" \
  "$datadir/www/openapi.yaml" "$datadir/www/docs/index.html" \
  "$datadir/host/encore.conf" "$datadir/nginx/encore-site.conf" \
  "$sysconfdir/encore/encore.conf" "$sysconfdir/nginx/sites-available/encore" \
  "$prefix/lib/systemd/system/encore-api.service" \
  "$prefix/lib/systemd/system/encore-live@.service" \
  "$prefix/lib/sysusers.d/encore.conf" "$prefix/lib/tmpfiles.d/encore.conf" \
  "$sysconfdir/logrotate.d/encore" "$sysconfdir/cron.d/encore"; do
  [ -f "$d$f" ] || bad "$f is not installed"
done
n=$(ls "$d$datadir/migrations"/*.sql | wc -l)
[ "$n" -eq "$(ls "$ENCORE_SRCDIR"/sql/migrations/*.sql | wc -l)" ] ||
  bad "$n migrations installed"
grep -q "^ExecStart=$bindir/encore-api -c $sysconfdir/encore/encore.conf\$" \
  "$d$prefix/lib/systemd/system/encore-api.service" ||
  bad "encore-api.service does not run $bindir/encore-api on $sysconfdir/encore/encore.conf"
grep -q "^secrets_file *= $sysconfdir/encore/secrets.conf\$" "$d$sysconfdir/encore/encore.conf" ||
  bad "encore.conf does not name $sysconfdir/encore/secrets.conf"
grep -q "^media_dir *= $localstatedir/lib/encore/media\$" "$d$sysconfdir/encore/encore.conf" ||
  bad "encore.conf does not name $localstatedir/lib/encore/media"
grep -q "^ENCORE_CONF=$sysconfdir/encore/encore.conf\$" "$d$sysconfdir/cron.d/encore" ||
  bad "the crontab does not name $sysconfdir/encore/encore.conf"
if grep -q '@[a-zA-Z_]*@' "$d$sysconfdir/encore/encore.conf" \
  "$d$prefix/lib/systemd/system/"encore* "$d$prefix/lib/tmpfiles.d/encore.conf" \
  "$d$sysconfdir/logrotate.d/encore" "$d$sysconfdir/nginx/sites-available/encore"; then
  bad "a placeholder was left in an installed file"
fi
[ "$fail" -eq 0 ] && ok "layout under $prefix, $sysconfdir, $localstatedir"

# --- an upgrade keeps the admin's files --------------------------------------

echo "workers = 3  # edited by test_install" >>"$d$sysconfdir/encore/encore.conf"
echo "# edited by test_install" >>"$d$sysconfdir/nginx/sites-available/encore"
rm -f "$d$datadir/host/encore.conf"
install_once || bad "a second make install failed"
if grep -q "edited by test_install" "$d$sysconfdir/encore/encore.conf" &&
  grep -q "edited by test_install" "$d$sysconfdir/nginx/sites-available/encore"; then
  ok "a second install keeps the edited encore.conf and nginx site"
else
  bad "a second install overwrote the edited encore.conf or nginx site"
fi
[ -f "$d$datadir/host/encore.conf" ] && ok "the new defaults beside it" ||
  bad "the second install did not put the defaults in $datadir/host"

# --- systemd-analyze verify --------------------------------------------------

if command -v systemd-analyze >/dev/null 2>&1; then
  # The units as installed, their programs looked up under DESTDIR.
  mkdir -p "$tmp/units"
  for u in encore-api.service encore-live@.service; do
    sed "s|$bindir/|$d$bindir/|g" "$d$prefix/lib/systemd/system/$u" >"$tmp/units/$u"
  done
  for u in encore-api.service encore-live@8091.service; do
    file=$tmp/units/$(echo "$u" | sed 's/@[^.]*\./@./')
    prog=$(sed -n 's|^ExecStart=\([^ ]*\).*|\1|p' "$file")
    if [ ! -x "$prog" ]; then
      echo "skip: $u: this build has no ${prog##*/}"
      continue
    fi
    out=$(systemd-analyze verify "$tmp/units/$u" 2>&1)
    if [ $? -eq 0 ] && [ -z "$out" ]; then
      ok "systemd-analyze verify $u"
    else
      bad "systemd-analyze verify $u: $out"
    fi
  done
  grep -q '^Type=notify$' "$tmp/units/encore-api.service" || bad "encore-api is not Type=notify"
else
  echo "skip: systemd-analyze is not installed"
  no_verify=1
fi

# --- sysusers.d, tmpfiles.d ----------------------------------------------------

root=$tmp/root
mkdir -p "$root/etc"
if command -v systemd-sysusers >/dev/null 2>&1; then
  # The groups the tmpfiles entries name exist on Debian (adm, www-data).
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nadm:x:4:\nwww-data:x:33:\n' >"$root/etc/group"
  if systemd-sysusers --root="$root" "$d$prefix/lib/sysusers.d/encore.conf" >"$tmp/sysusers.log" 2>&1 &&
    grep -q '^encore:' "$root/etc/passwd"; then
    ok "sysusers.d makes the encore user"
  else
    bad "systemd-sysusers: $(cat "$tmp/sysusers.log")"
  fi
  if command -v systemd-tmpfiles >/dev/null 2>&1; then
    if systemd-tmpfiles --root="$root" --create "$d$prefix/lib/tmpfiles.d/encore.conf" \
      >"$tmp/tmpfiles.log" 2>&1 && [ -d "$root$localstatedir/lib/encore/media" ] &&
      [ -d "$root$localstatedir/log/encore" ]; then
      ok "tmpfiles.d makes the log and media directories"
    else
      bad "systemd-tmpfiles: $(cat "$tmp/tmpfiles.log")"
    fi
  fi
else
  echo "skip: systemd-sysusers is not installed"
fi

# --- logrotate ----------------------------------------------------------------

if command -v logrotate >/dev/null 2>&1; then
  # On a machine without the encore user, its files as root's.
  lr=$d$sysconfdir/logrotate.d/encore
  if ! id encore >/dev/null 2>&1; then
    sed 's/ encore adm$/ root adm/' "$lr" >"$tmp/logrotate.conf"
    lr=$tmp/logrotate.conf
  fi
  if logrotate -d -s "$tmp/lr.state" "$lr" >"$tmp/lr.log" 2>&1 &&
    ! grep -qi "error" "$tmp/lr.log"; then
    ok "logrotate accepts its file"
  else
    bad "logrotate -d: $(cat "$tmp/lr.log")"
  fi
else
  echo "skip: logrotate is not installed"
fi

# --- nginx -t inside Debian's nginx.conf ---------------------------------------

nginx=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$nginx" ] && [ -f /etc/nginx/nginx.conf ] && command -v openssl >/dev/null 2>&1; then
  n=$tmp/nginx
  mkdir -p "$n/log"
  openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 2 \
    -subj /CN=test -keyout "$n/key.pem" -out "$n/cert.pem" >/dev/null 2>&1
  sed -e "s|$sysconfdir/encore/tls/fullchain.pem|$n/cert.pem|; s|$sysconfdir/encore/tls/privkey.pem|$n/key.pem|" \
    -e "s|$localstatedir/log/nginx|$n/log|g" \
    "$d$sysconfdir/nginx/sites-available/encore" >"$n/site.conf"
  # Debian's own nginx.conf, its site include pointed at this site only.
  sed -e "s|^pid .*|pid $n/nginx.pid;|; s|^user .*||" \
    -e "s|include /etc/nginx/sites-enabled/\*;|include $n/site.conf;|" \
    -e "s|include /etc/nginx/conf.d/\*.conf;||; s|^include /etc/nginx/modules-enabled/.*||" \
    -e "s|/var/log/nginx/|$n/log/|g" /etc/nginx/nginx.conf >"$n/nginx.conf"
  if "$nginx" -t -q -p "$n/" -c "$n/nginx.conf" -e "$n/log/error.log" >"$n/t.log" 2>&1 &&
    ! grep -q 'warn\|emerg' "$n/t.log"; then
    ok "nginx -t accepts the site in Debian's nginx.conf"
  else
    bad "nginx -t: $(cat "$n/t.log")"
  fi
else
  echo "skip: nginx or /etc/nginx/nginx.conf is not installed"
fi

# Without systemd-analyze the units were not verified: a skip, not a pass.
[ "$fail" -eq 0 ] && [ -n "${no_verify:-}" ] && exit 77
exit $fail
