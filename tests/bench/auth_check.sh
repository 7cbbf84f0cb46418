#!/usr/bin/env bash
# The cost of checking an access token: GET /api/v1/me through nginx, with
# the session's mark cached in memcached (one round trip), and with
# memcached stopped (every check reads the session row: the cost of a miss).
# Run it on two builds to compare them in one sitting:
#   tests/bench/auth_check.sh BUILD_DIR [BUILD_DIR ...]
# Each build gets a private stack of its own on free ports (BUILD/bench-auth),
# stopped at the end. Prints one Markdown row per build and case.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
conns=${BENCH_CONNECTIONS:-32}
secs=${BENCH_SECONDS:-10}
[ $# -ge 1 ] || set -- build

echo "| build | case | conns | req/s | p50 ms | p99 ms | non-2xx |"
echo "|---|---|---|---|---|---|---|"
for b in "$@"; do
  build=$(cd "$b" && pwd)
  dir="$build/bench-auth"
  stack="$build/src/stack/encore-stack"
  rm -rf "$dir"
  ENCORE_HTTPS_PORT=0 ENCORE_HTTP_PORT=0 ENCORE_RATE_IP=1000000r/s \
    ENCORE_RATE_TOKEN=1000000r/s ENCORE_BURST_IP=100000 \
    ENCORE_BURST_TOKEN=100000 "$stack" start "$dir" >/dev/null
  (
    trap '"$stack" stop "$dir" >/dev/null 2>&1 || true' EXIT
    set -a; . "$dir/stack.env"; set +a
    ENCORE_BENCH_TOKEN=$(curl -sf -H 'Content-Type: application/json' \
      -d "{\"username\":\"$ENCORE_DEMO_USER\",\"password\":\"$ENCORE_DEMO_PASSWORD\"}" \
      "$ENCORE_HTTP_URL/api/v1/auth/login" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    export ENCORE_BENCH_TOKEN
    lua="$dir/bench.lua"
    cat "$here/auth.lua" "$here/report.lua" >"$lua"
    row() {
      local out
      out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$lua" \
        "$ENCORE_HTTP_URL/api/v1/me" | grep '^RESULT')
      python3 - "$1" "$2" "$conns" "$out" <<'PY'
import re, sys
b, case, c, out = sys.argv[1:]
r = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", out)}
print(f"| {b} | {case} | {c} | {r['rps']:.0f} | {r['p50_us']/1000:.2f} | "
      f"{r['p99_us']/1000:.2f} | {int(r['non2xx'])} |")
PY
    }
    row "$b" "mark cached"
    kill "$(cat "$dir/memcached.pid")"
    sleep 1
    row "$b" "memcached stopped"
  )
done
