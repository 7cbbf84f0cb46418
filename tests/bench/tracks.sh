#!/usr/bin/env bash
# Catalogue benchmark: GET /api/v1/tracks/{id} through nginx, cached
# (a hot set of 1,000 ids, warmed) and uncached (every id asked once),
# next to the no-op ceiling of the foundation benchmark (run.sh).
# Usage: tests/bench/tracks.sh [BUILD_DIR]   (default: ./build)
# BENCH_TRACKS (default 200000) tracks are seeded by SQL; the uncached case
# needs more ids than it makes requests, so it stops early (and says so)
# when they run out. Prints a Markdown table and stops the stack.
# BENCH_STACK_DIR=DIR: use a running stack in DIR (e.g. one with a world made
# by `encore-admin generate`) instead: no seeding, its own tracks are read
# (hot set from the lowest id), and the stack is left running.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
dir="$build/bench-tracks"
conns=${BENCH_CONNECTIONS:-64}
secs=${BENCH_SECONDS:-10}
ntracks=${BENCH_TRACKS:-200000}
stack="$build/src/stack/encore-stack"

existing=${BENCH_STACK_DIR:+1}
if [ -n "$existing" ]; then
  dir=$(cd "$BENCH_STACK_DIR" && pwd)
  trap '[ -n "${noop_pid:-}" ] && kill "$noop_pid" 2>/dev/null || true' EXIT
else
rm -rf "$dir"
trap '"$stack" stop --purge-data "$dir" >/dev/null 2>&1 || true; [ -n "${noop_pid:-}" ] && kill "$noop_pid" 2>/dev/null || true' EXIT
ENCORE_HTTPS_PORT=0 ENCORE_HTTP_PORT=0 ENCORE_STACK_TEST=1 ENCORE_RATE_IP=1000000r/s \
  ENCORE_RATE_TOKEN=1000000r/s ENCORE_BURST_IP=100000 ENCORE_BURST_TOKEN=100000 \
  "$stack" start "$dir" >/dev/null
fi
set -a; . "$dir/stack.env"; set +a

workers=$(sed -n 's/^workers *= *//p' "$ENCORE_CONF" | head -1)
"$build/tests/bench/encore-noop" "${ENCORE_NOOP_SOCKET:-$dir/encore-noop.sock}" "${workers:-4}" &
noop_pid=$!
for _ in $(seq 50); do [ -S "${ENCORE_NOOP_SOCKET:-$dir/encore-noop.sock}" ] && break; sleep 0.1; done
chmod 666 "${ENCORE_NOOP_SOCKET:-$dir/encore-noop.sock}" 2>/dev/null || true

# Seed: one artist and one album per 10 tracks, two genres, features.
pw=$(sed -n 's/^db_password *= *//p' "$dir/secrets.conf")
sql() { mariadb -S "$ENCORE_DB_SOCKET" -u encore -p"$pw" encore -N -B -e "$1"; }
if [ -n "$existing" ]; then
  first=$(sql "SELECT MIN(id) FROM tracks")
  ntracks=$(sql "SELECT COUNT(*) FROM tracks")
else
first=$(sql "SELECT COALESCE(MAX(id), 0) + 1 FROM tracks")
na=$(( (ntracks + 9) / 10 ))
sql "INSERT INTO genres (name) VALUES ('bench-rock'), ('bench-jazz')
       ON DUPLICATE KEY UPDATE name = name;
     INSERT INTO artists (name) SELECT CONCAT('Bench artist ', seq) FROM seq_1_to_$na;
     SET @a0 = LAST_INSERT_ID();
     INSERT INTO albums (title, artist_id, release_date)
       SELECT CONCAT('Bench album ', seq), @a0 + seq - 1, '2020-01-01' FROM seq_1_to_$na;
     SET @b0 = LAST_INSERT_ID();
     INSERT INTO tracks (title, album_id, track_number, duration_ms, tempo, energy)
       SELECT CONCAT('Bench track ', seq), @b0 + (seq - 1) DIV 10, (seq - 1) MOD 10 + 1,
              180000 + seq MOD 60000, 120, 0.5 FROM seq_1_to_$ntracks;
     SET @t0 = LAST_INSERT_ID();
     INSERT INTO track_artists (track_id, artist_id, role)
       SELECT @t0 + seq - 1, @a0 + (seq - 1) DIV 10, 'primary' FROM seq_1_to_$ntracks;
     INSERT INTO track_genres (track_id, genre_id)
       SELECT @t0 + seq - 1, (SELECT id FROM genres WHERE name = 'bench-rock')
       FROM seq_1_to_$ntracks;"
fi

base=$ENCORE_HTTP_URL
lua="$dir/bench.lua"
run() {
  local name=$1 script=$2 url=$3 out
  (cd "$here" && cat ${script:+"$script"} report.lua) > "$lua"
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$lua" "$url" | grep '^RESULT')
  echo "$name $out"
}

hot=1000
export BENCH_HOT=$hot BENCH_FIRST=$first BENCH_COLD_FIRST=$((first + hot))
# Warm the hot set (each id once), then measure.
for ((i = first; i < first + hot; i++)); do
  printf 'url = "%s"\noutput = "/dev/null"\n' "$base/api/v1/tracks/$i"
done | curl -s -K - || true

results=$(mktemp)
{
  run noop "" "$base/bench/noop"
  run cached tracks_hot.lua "$base/api/v1/tracks/$first"
  run uncached tracks_cold.lua "$base/api/v1/tracks/$first"
} | tee "$results" >&2

python3 - "$results" "$conns" "$secs" "${workers:-4}" "$ntracks" "$hot" <<'PY'
import re, sys
rows = {}
for line in open(sys.argv[1]):
    name, rest = line.split(" ", 1)
    rows[name] = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", rest)}
conns, secs, workers, ntracks, hot = sys.argv[2:7]
ceil = rows["noop"]["rps"]
print("| case | conns | req/s | % of no-op | p50 ms | p99 ms | non-2xx |")
print("|---|---|---|---|---|---|---|")
for name in ("noop", "cached", "uncached"):
    r = rows[name]
    print(f"| {name} | {conns} | {r['rps']:.0f} | {100*r['rps']/ceil:.0f}% | "
          f"{r['p50_us']/1000:.2f} | {r['p99_us']/1000:.2f} | {int(r['non2xx'])} |")
u = rows["uncached"]["requests"]
print(f"\n{ntracks} tracks in the catalogue; cached: {hot} hot ids; uncached: {int(u)} distinct ids "
      f"({workers} workers, {secs} s per case)")
if u > int(ntracks) - int(hot):
    print("warning: the uncached case ran out of ids (non-2xx are 404s); raise BENCH_TRACKS")
PY
