#!/usr/bin/env bash
# The cost of the metrics on the request path, and of a scrape:
#   tests/bench/metrics.sh [BUILD_DIR]
# One private stack (BUILD/bench-metrics, free ports, rate limits lifted)
# restarted with metrics on (ENCORE_METRICS=1) and off (=0), alternately,
# ROUNDS times; each time wrk drives GET /api/v1/me for BENCH_SECONDS with
# BENCH_CONNECTIONS connections. Then 200 scrapes of /metrics after the
# traffic (every route and status counted so far is in them). Prints one
# Markdown row per round and mode, the ratio of the medians, and the
# scrape's p50 and p95.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
conns=${BENCH_CONNECTIONS:-16}
secs=${BENCH_SECONDS:-10}
rounds=${ROUNDS:-2}
build=$(cd "${1:-build}" && pwd)
dir="$build/bench-metrics"
stack="$build/src/stack/encore-stack"
rm -rf "$dir"
export ENCORE_HTTPS_PORT=0 ENCORE_HTTP_PORT=0 ENCORE_RATE_IP=1000000r/s \
  ENCORE_RATE_TOKEN=1000000r/s ENCORE_BURST_IP=100000 ENCORE_BURST_TOKEN=100000
ENCORE_METRICS=1 "$stack" start "$dir" >/dev/null
trap '"$stack" stop "$dir" >/dev/null 2>&1 || true' EXIT
set -a; . "$dir/stack.env"; set +a
ENCORE_BENCH_TOKEN=$(curl -sf -H 'Content-Type: application/json' \
  -d "{\"username\":\"$ENCORE_DEMO_USER\",\"password\":\"$ENCORE_DEMO_PASSWORD\"}" \
  "$ENCORE_HTTP_URL/api/v1/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
export ENCORE_BENCH_TOKEN
lua="$dir/bench.lua"
cat "$here/auth.lua" "$here/report.lua" >"$lua"
results="$dir/results"
: >"$results"
echo "| round | metrics | conns | req/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  for m in 1 0; do
    ENCORE_METRICS=$m "$stack" restart "$dir" >/dev/null
    set -a; . "$dir/stack.env"; set +a
    wrk -t2 -c"$conns" -d2s -s "$lua" "$ENCORE_HTTP_URL/api/v1/me" >/dev/null
    out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$lua" \
      "$ENCORE_HTTP_URL/api/v1/me" | grep '^RESULT')
    echo "$m $out" >>"$results"
    python3 - "$r" "$m" "$conns" "$out" <<'PY'
import re, sys
rnd, m, c, out = sys.argv[1:]
r = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", out)}
print(f"| {rnd} | {'on' if m == '1' else 'off'} | {c} | {r['rps']:.0f} | "
      f"{r['p50_us']/1000:.2f} | {r['p99_us']/1000:.2f} | {int(r['non2xx'])} |")
PY
  done
done
python3 - "$results" <<'PY'
import re, statistics, sys
rps = {"1": [], "0": []}
for line in open(sys.argv[1]):
    m, out = line.split(" ", 1)
    rps[m].append(float(re.search(r"rps=([\d.]+)", out).group(1)))
on, off = statistics.median(rps["1"]), statistics.median(rps["0"])
print(f"\nmedian req/s: on {on:.0f}, off {off:.0f}; on/off = {on/off:.3f}")
PY
# The scrape, with metrics on and after traffic.
ENCORE_METRICS=1 "$stack" restart "$dir" >/dev/null
set -a; . "$dir/stack.env"; set +a
wrk -t2 -c"$conns" -d3s -s "$lua" "$ENCORE_HTTP_URL/api/v1/me" >/dev/null
# Wall time at the client (nginx, the queue for a core, the worker), and
# the worker's own time from the scrape route's histogram afterwards.
for i in $(seq 1 200); do
  curl -s -o /dev/null -w '%{time_total}\n' "$ENCORE_HTTP_URL/metrics"
done | python3 -c '
import sys
t = sorted(float(x) * 1000 for x in sys.stdin)
print(f"scrape of /metrics at the client: p50 {t[len(t)//2]:.2f} ms, p95 {t[int(len(t)*0.95)]:.2f} ms, max {t[-1]:.2f} ms ({len(t)} scrapes)")'
for i in $(seq 1 200); do
  curl -s -o /dev/null -w '%{time_total}\n' "$ENCORE_HTTP_URL/healthz"
done | python3 -c '
import sys
t = sorted(float(x) * 1000 for x in sys.stdin)
print(f"GET /healthz at the client (the floor): p50 {t[len(t)//2]:.2f} ms, p95 {t[int(len(t)*0.95)]:.2f} ms")'
curl -s "$ENCORE_HTTP_URL/metrics" | python3 -c '
import re, sys
b, s, n = [], 0.0, 0
for line in sys.stdin:
    if "route=\"/metrics\"" not in line:
        continue
    m = re.match(r"encore_http_request_duration_seconds_(bucket|sum|count)\{.*?(?:le=\"([^\"]+)\")?\} (\S+)", line)
    if not m:
        continue
    if m.group(1) == "bucket":
        b.append((float("inf") if m.group(2) == "+Inf" else float(m.group(2)), float(m.group(3))))
    elif m.group(1) == "sum":
        s = float(m.group(3))
    else:
        n = float(m.group(3))
p95 = next(le for le, c in sorted(b) if c >= 0.95 * n)
print(f"scrape in the worker: mean {s / n * 1000:.2f} ms over {n:.0f}, p95 at most {p95 * 1000:g} ms (bucket bound)")'
