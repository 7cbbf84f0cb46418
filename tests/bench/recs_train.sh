#!/usr/bin/env bash
# Recommendation training benchmark, two parts:
#  1. train_run alone on the HetRec Last.fm 2K files (artist level, no
#     database): tests/bench/encore-recs-hetrec, a full and a light run;
#     skipped when the files are not found (ENCORE_HETREC_DIR).
#  2. with BENCH_STACK_DIR=DIR (a running stack made by encore-stack, e.g.
#     one holding a world made by `encore-admin generate`; left running):
#     `encore-recs train` on its database, a full then a light run, each
#     writing a model version as the cron jobs do.
# Each run prints its wall time and peak RSS (GNU time), the stage times
# (--verbose) and its stats: stage seconds, peak memory, CPU seconds, blend
# weights, validation NDCG@10, counts (for part 2, rec_versions.stats).
# Usage: [BENCH_STACK_DIR=DIR] tests/bench/recs_train.sh [BUILD_DIR]
#   (default BUILD_DIR: ./build). BENCH_THREADS (default 2): OpenMP threads;
#   BENCH_LIGHT=0 skips the light runs; OMP_WAIT_POLICY defaults to passive.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
threads=${BENCH_THREADS:-2}
time_bin=/usr/bin/time
[ -x "$time_bin" ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
export OMP_NUM_THREADS=$threads
# Idle OpenMP threads sleep instead of spinning: on a shared machine the
# spinning costs the other runs (and this one) a third more CPU.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

# timed LABEL CMD...: run CMD, show its stage lines, stats and resources.
timed() {
  local label=$1 log out
  shift
  log=$(mktemp)
  out=$(mktemp)
  echo "== $label (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  if ! "$time_bin" -f 'wall %e s, user %U s, sys %S s, peak RSS %M KB' \
      "$@" >"$out" 2>"$log"; then
    cat "$log" >&2
    rm -f "$log" "$out"
    return 1
  fi
  grep -E 'train (track|artist): [a-zA-Z]|^wall ' "$log" || true
  cat "$out"
  rm -f "$log" "$out"
}

hetrec=${ENCORE_HETREC_DIR:-}
if [ -z "$hetrec" ]; then
  for d in "$here/../../../shared/data/hetrec2011-lastfm-2k" \
           /work/shared/data/hetrec2011-lastfm-2k; do
    if [ -f "$d/user_artists.dat" ]; then hetrec=$d; break; fi
  done
fi
if [ -n "$hetrec" ] && [ -f "$hetrec/user_artists.dat" ]; then
  timed "HetRec, full" "$build/tests/bench/encore-recs-hetrec" "$hetrec" \
    --threads "$threads"
  [ "${BENCH_LIGHT:-1}" = 0 ] ||
    timed "HetRec, light" "$build/tests/bench/encore-recs-hetrec" "$hetrec" \
      --threads "$threads" --light
else
  echo "HetRec data not found (set ENCORE_HETREC_DIR): part 1 skipped"
fi

[ -n "${BENCH_STACK_DIR:-}" ] || exit 0
dir=$(cd "$BENCH_STACK_DIR" && pwd)
set -a; . "$dir/stack.env"; set +a
conf=${ENCORE_CONF:-$dir/encore.conf}
recs="$build/src/batch/recs/encore-recs"

# version_stats: the stats of the latest model version.
version_stats() {
  mariadb --no-defaults -uroot --socket="$ENCORE_DB_SOCKET" -N -B \
    "${ENCORE_DB_NAME:-encore}" \
    -e "SELECT id, kind, state, stats FROM rec_versions ORDER BY id DESC LIMIT 1"
}

timed "stack $dir, full" "$recs" train -c "$conf" --threads "$threads" --verbose
version_stats
if [ "${BENCH_LIGHT:-1}" != 0 ]; then
  timed "stack $dir, light" "$recs" train -c "$conf" --threads "$threads" \
    --verbose --light
  version_stats
fi
