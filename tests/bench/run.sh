#!/usr/bin/env bash
# Foundation benchmark: requests per second and latency through nginx for
# (a) a no-op FastCGI responder (the architecture's ceiling), (b) /healthz,
# (c) an authenticated GET /api/v1/me, (d) login (argon2id-bound).
# Usage: tests/bench/run.sh [BUILD_DIR]   (default: ./build)
# Starts a private stack on free ports under BUILD_DIR/bench-run, runs wrk
# over loopback, prints a Markdown table, and stops the stack.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-build}" && pwd)
dir="$build/bench-run"
conns=${BENCH_CONNECTIONS:-64}
secs=${BENCH_SECONDS:-10}
stack="$build/src/stack/encore-stack"

rm -rf "$dir"
trap '"$stack" stop "$dir" >/dev/null 2>&1 || true; [ -n "${noop_pid:-}" ] && kill "$noop_pid" 2>/dev/null || true' EXIT
ENCORE_HTTPS_PORT=0 ENCORE_HTTP_PORT=0 ENCORE_RATE_IP=1000000r/s \
  ENCORE_RATE_TOKEN=1000000r/s ENCORE_BURST_IP=100000 ENCORE_BURST_TOKEN=100000 \
  "$stack" start "$dir" >/dev/null
set -a; . "$dir/stack.env"; set +a

workers=$(sed -n 's/^workers *= *//p' "$ENCORE_CONF" | head -1)
"$build/tests/bench/encore-noop" "$dir/encore-noop.sock" "${workers:-4}" &
noop_pid=$!
for _ in $(seq 50); do [ -S "$dir/encore-noop.sock" ] && break; sleep 0.1; done
chmod 666 "$dir/encore-noop.sock" 2>/dev/null || true

base=$ENCORE_HTTP_URL
ENCORE_BENCH_TOKEN=$(curl -sf -H 'Content-Type: application/json' \
  -d "{\"username\":\"$ENCORE_DEMO_USER\",\"password\":\"$ENCORE_DEMO_PASSWORD\"}" \
  "$base/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
export ENCORE_BENCH_TOKEN ENCORE_DEMO_USER ENCORE_DEMO_PASSWORD

# run NAME CONNS SCRIPT URL: one wrk run, its RESULT line kept.
# wrk reads its script once per thread, so it must be a real file.
lua="$dir/bench.lua"
run() {
  local name=$1 c=$2 script=$3 url=$4 out
  local t=2; [ "$c" -lt 2 ] && t=1
  (cd "$here" && cat ${script:+"$script"} report.lua) > "$lua"
  out=$(wrk -t"$t" -c"$c" -d"${secs}s" --latency -s "$lua" "$url" |
    grep '^RESULT')
  echo "$name $out"
}

results=$(mktemp)
{
  run noop "$conns" "" "$base/bench/noop"
  run healthz "$conns" "" "$base/healthz"
  run me "$conns" auth.lua "$base/api/v1/me"
  run login 4 login.lua "$base/api/v1/auth/login"
} | tee "$results" >&2

python3 - "$results" "$conns" "$secs" "${workers:-4}" <<'PY'
import re, sys, os
rows = {}
for line in open(sys.argv[1]):
    name, rest = line.split(" ", 1)
    rows[name] = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", rest)}
conns, secs, workers = sys.argv[2], sys.argv[3], int(sys.argv[4])
ceil = rows["noop"]["rps"]
print(f"| case | conns | req/s | % of no-op | p50 ms | p99 ms | non-2xx |")
print(f"|---|---|---|---|---|---|---|")
for name, c in (("noop", conns), ("healthz", conns), ("me", conns), ("login", "4")):
    r = rows[name]
    print(f"| {name} | {c} | {r['rps']:.0f} | {100*r['rps']/ceil:.0f}% | "
          f"{r['p50_us']/1000:.2f} | {r['p99_us']/1000:.2f} | {int(r['non2xx'])} |")
cores = os.cpu_count()
print(f"\nlogins per second per core: {rows['login']['rps']/min(cores, workers):.1f} "
      f"({cores} cores, {workers} workers, {secs} s per case)")
PY
