#!/bin/sh
# backup.sh: how long `encore-admin backup` and `restore` take on the demo
# world (the small generated world encore-stack loads into a stack that is
# not a test stack: 200 users, 10,000 tracks, 100,000 listens, with its
# first recommendation model and trends). A stack of its own in a fresh
# directory on free ports, stopped at the end.
#
#   sh tests/bench/backup.sh [BUILDDIR]
#
# Prints the backup's size and time, and the time of a restore of it into
# the same database (dropped and loaded again, --force), with their ratio.
set -eu
build=$(cd "${1:-${ENCORE_BUILDDIR:-build}}" && pwd)
dir=$(mktemp -d "$build/tests/bench-backup.XXXXXX")
stack=$build/src/stack/encore-stack
admin="$build/src/admin/encore-admin -c $dir/encore.conf"
trap '"$stack" stop --purge-data "$dir" >/dev/null 2>&1; rm -rf "$dir"' EXIT

env -u ENCORE_STACK_TEST ENCORE_HTTPS_PORT=0 ENCORE_HTTP_PORT=0 \
  "$stack" start "$dir" >"$dir/start.log" 2>&1 ||
  { tail -20 "$dir/start.log"; exit 1; }
now() { date +%s.%N; }
listens=$(mariadb --no-defaults --socket="$(sed -n 's/^ENCORE_DB_SOCKET=//p' "$dir/stack.env")" \
  -uroot -N -B -e 'SELECT COUNT(*) FROM encore.listens')
echo "world: $listens listens; load: $(uptime | sed 's/.*load average: //')"

t0=$(now)
$admin backup "$dir/backup"
t1=$(now)
for f in "$dir"/encore-api.pid "$dir"/encore-live-*.pid; do
  [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || :
done
sleep 2
t2=$(now)
$admin restore "$dir/backup" --force | head -n 1
t3=$(now)
echo "load: $(uptime | sed 's/.*load average: //')"
awk -v b="$(echo "$t1 - $t0" | bc)" -v r="$(echo "$t3 - $t2" | bc)" \
  -v mb="$(du -sm "$dir/backup" | cut -f1)" 'BEGIN {
    printf "backup %.1f s, restore %.1f s (%.1f x the backup), %d MB\n", b, r, r / b, mb }'
