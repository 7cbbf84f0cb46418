#!/bin/sh
# test_cron.sh: the batch jobs' crontab and their wrapper. The crontab
# (cron/encore.cron, built from cron/encore.cron.in) must be a valid
# /etc/cron.d file whose commands are programs this build installs, with
# options its programs accept; encore-cron-run must keep a second job out
# while one holds the lock (exit 75, the job not run), wait for the lock
# with -w, pass on a failing job's exit status, stop a job past -t, and log
# start and end.
set -u
src=${ENCORE_SRCDIR:-.}
build=${ENCORE_BUILDDIR:-.}
run=$src/cron/encore-cron-run
tab=$build/cron/encore.cron
tmp=$(mktemp -d "${TMPDIR:-/tmp}/encore-cron.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }
# verdict STATUS GOOD BAD: ok GOOD when STATUS is 0, else bad BAD.
verdict() { if [ "$1" -eq 0 ]; then ok "$2"; else bad "$3"; fi; }

# --- the crontab ------------------------------------------------------------

[ -f "$tab" ] || { echo "FAIL: $tab not built"; exit 1; }
# field_ok FIELD LO HI: a cron time field: *, N, N-M, lists of those, /STEP.
field_ok() {
  printf '%s\n' "$1" | awk -F, -v lo="$2" -v hi="$3" '
    function num(s) { return s ~ /^[0-9]+$/ && s + 0 >= lo && s + 0 <= hi }
    { for (i = 1; i <= NF; i++) {
        n = split($i, st, "/")
        if (n > 2 || (n == 2 && !(st[2] ~ /^[0-9]+$/ && st[2] > 0))) exit 1
        r = st[1]
        if (r == "*") continue
        m = split(r, ab, "-")
        if (m == 1 && num(ab[1])) continue
        if (m == 2 && num(ab[1]) && num(ab[2]) && ab[1] + 0 <= ab[2] + 0) continue
        exit 1 } }'
}
jobs=0
while IFS= read -r line; do
  case $line in ''|'#'*) continue ;; esac
  if printf '%s\n' "$line" | grep -Eq '^[A-Z_][A-Z0-9_]*='; then continue; fi
  set -f
  # shellcheck disable=SC2086
  set -- $line
  set +f
  if [ $# -lt 7 ]; then bad "fewer than 7 fields: $line"; continue; fi
  if ! { field_ok "$1" 0 59 && field_ok "$2" 0 23 && field_ok "$3" 1 31 &&
          field_ok "$4" 1 12 && field_ok "$5" 0 7; }; then
    bad "bad time fields: $line"
  fi
  [ "$6" = encore ] || bad "runs as '$6', not encore: $line"
  shift 6
  # Every absolute path among the command words must be a program of this
  # build (cron/ scripts or any built program of that name).
  for w in "$@"; do
    case $w in
      /var/log/*|/run/*) continue ;;
      /*) b=${w##*/}
          if [ -x "$src/cron/$b" ] || [ -n "$(find "$build/src" -name "$b" -type f -perm -u+x 2>/dev/null | head -1)" ]; then
            :
          else
            bad "$w is not a program of this build"
          fi ;;
    esac
  done
  [ "${1##*/}" = encore-cron-run ] || bad "not run through encore-cron-run: $line"
  # The job's own command line: what follows "--".
  while [ $# -gt 0 ] && [ "$1" != -- ]; do shift; done
  [ $# -gt 1 ] || { bad "no -- COMMAND: $line"; continue; }
  shift
  prog=$(find "$build/src/batch" -name "${1##*/}" -type f -perm -u+x 2>/dev/null | head -1)
  shift
  if [ -x "$prog" ] && "$prog" --help 2>&1 | grep -Eq '^  (train|run)'; then
    # Options the program does not know are usage errors (2); with no
    # configuration at all the run fails (1) without touching anything.
    ENCORE_CONF=$tmp/none.conf ENCORE_DB_SOCKET=$tmp/none.sock \
      ENCORE_KV_SERVERS=$tmp/none.sock "$prog" "$@" >"$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -eq 2 ] || [ "$rc" -eq 0 ]; then
      bad "${prog##*/} $* exits $rc: $(head -3 "$tmp/out")"
    fi
  else
    echo "skip: ${prog##*/} has no train command in this build"
  fi
  jobs=$((jobs + 1))
done <"$tab"
# every job line was read as one (each batch program adds its own)
lines=$(grep -c '^[0-9*]' "$tab")
[ "$jobs" -ge 3 ] && [ "$jobs" -eq "$lines" ]
verdict $? "crontab: $jobs jobs, fields and commands checked" \
  "expected $lines jobs (3 or more) in $tab, found $jobs"
grep -q -- 'recs-full .*-- .*encore-recs train$' "$tab" || bad "no nightly full train"
grep -q -- 'recs-light .*-- .*encore-recs train --light$' "$tab" || bad "no light refresh"
grep -q -- '^\* .*-n push -l /run/lock/encore-push.lock .*-- .*encore-push$' "$tab" || bad "no push run every minute under its own lock"
grep -q -- '^15 .*trends .*-- .*encore-trends run$' "$tab" || bad "no hourly trends run"
[ "$(grep -c -- "-l \|ENCORE_CRON_LOCK=" "$tab")" -ge 1 ] || bad "no shared lock"

# --- the wrapper --------------------------------------------------------------

lock=$tmp/lock log=$tmp/cron.log
wrap() { "$run" -l "$lock" -o "$log" "$@"; }
# wait_for FILE: up to 10 s.
wait_for() {
  i=0
  while [ ! -e "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -e "$1" ]
}

wrap -n long -- sh -c "touch '$tmp/started'; sleep 3; touch '$tmp/finished'" &
first=$!
wait_for "$tmp/started" || bad "the first job never started"
wrap -n second -- touch "$tmp/second-ran"
rc=$?
[ "$rc" -eq 75 ]
verdict $? "a second job while the lock is held exits 75" \
  "a second job while the lock is held exited $rc, expected 75"
[ ! -e "$tmp/second-ran" ]
verdict $? "... and did not run" "the second job ran"
[ ! -e "$tmp/finished" ] || bad "the first job finished too early to test"
grep -q "second: already running" "$log" || bad "no 'already running' line in the log"
# -w waits for the lock: it runs once the first job is done.
wrap -n waiter -w 20 -- sh -c "test -e '$tmp/finished' && touch '$tmp/waited'"
rc=$?
wait "$first"
frc=$?
[ "$frc" -eq 0 ]
verdict $? "the first job exits 0" "the first job exited $frc"
[ "$rc" -eq 0 ] && [ -e "$tmp/waited" ]
verdict $? "-w waits for the lock, then runs the job" \
  "-w: exit $rc, or it did not run after the first job"
# A job that leaves a child behind keeps the lock through it.
wrap -n parent -- sh -c "sleep 2 & touch '$tmp/forked'"
wait_for "$tmp/forked"
wrap -n next -- true
rc=$?
[ "$rc" -eq 75 ]
verdict $? "a job's leftover child still holds the lock" \
  "a leftover child did not hold the lock (exit $rc)"
sleep 2.2

wrap -n failing -- sh -c 'echo doomed; exit 3'
rc=$?
[ "$rc" -eq 3 ]
verdict $? "a failing job's exit status (3) is passed on" \
  "a failing job gave $rc, expected 3"
grep -q "failing: end: failed with exit 3" "$log" && grep -q "^doomed$" "$log"
verdict $? "the failure and the job's output are logged" \
  "the log lacks the failure line or the job's output"
wrap -n slow -t 1 -- sleep 10
rc=$?
[ "$rc" -eq 124 ]
verdict $? "-t stops a job that runs too long (124)" "-t gave $rc"
wrap -n fine -- true
rc=$?
[ "$rc" -eq 0 ] && grep -q "fine: start: true" "$log" &&
  grep -q "fine: end: exit 0" "$log"
verdict $? "start and end are logged" "exit $rc or no start/end lines"
"$run" -l "$tmp/no/such/dir/lock" -- true 2>/dev/null
rc=$?
[ "$rc" -eq 73 ]
verdict $? "an unusable lock file exits 73" "an unusable lock gave $rc"
"$run" -l "$lock" 2>/dev/null
[ $? -eq 64 ] || bad "no command: not a usage error"

[ "$fail" -eq 0 ] && echo "all cron checks passed"
exit "$fail"
