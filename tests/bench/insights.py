#!/usr/bin/python3
"""Insights and trends benchmark: p50/p95 of GET /api/v1/me/insights for a
user with 100,000 listens over five years, for ranges of a week to five
years (each request a range, zone and end date of its own: answers are
never cached, and every one is a first call), of the year in review and its
SVG card, of GET /api/v1/trending/{kind} and /api/v1/charts/{kind}; and a
full `encore-trends run` with its time per stage and peak memory. Beside
the latencies, the CPU time the stack's processes (encore-api's workers,
mariadbd, memcached, nginx) used per request: on a shared machine the wall
time mostly measures the queue for a core.

Usage: BENCH_STACK_DIR=/path/to/stack tests/bench/insights.py [BUILD_DIR]
       env BENCH_REQUESTS (per range, 40), BENCH_SEED (42),
           BENCH_TRENDS_RUN (1: time a run first; 0: use the serving one)
BENCH_STACK_DIR is a running stack holding a world generated with the
heavy listener, e.g.

    ENCORE_STACK_TEST=1 ENCORE_DB_BUFFER_POOL=4G ENCORE_RATE_IP=1000000r/s \\
      ENCORE_RATE_TOKEN=1000000r/s ENCORE_BURST_IP=100000 \\
      ENCORE_BURST_TOKEN=100000 build/src/stack/encore-stack start DIR
    build/src/admin/encore-admin -c DIR/encore.conf generate --heavy-listens 100000

(the full world: 100,000 users, 1,000,000 tracks, 10,000,000 listens, and
heavy_listener's 100,000 over five years). heavy_listener gets a password
through BUILD_DIR's `encore-admin user ensure --reset`, then logs in."""

import datetime
import http.client
import json
import os
import random
import re
import subprocess
import sys
import time
import urllib.parse

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "40"))
SEED = int(os.environ.get("BENCH_SEED", "42"))
TRENDS_RUN = os.environ.get("BENCH_TRENDS_RUN", "1") != "0"
STACK_DIR = os.environ.get("BENCH_STACK_DIR")
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Tokyo",
         "Australia/Sydney", "America/Sao_Paulo", "Asia/Kathmandu"]
RANGES = [("week", 7), ("month", 30), ("quarter", 91), ("year", 365),
          ("two years", 730), ("five years", 1826)]

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recs import Stack, request  # noqa: E402
from search import pct  # noqa: E402


def stack_pids(st):
    """The stack's processes (encore-api, mariadbd, memcached, nginx) and
    their children: whose command line names the stack's directory."""
    mine = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    if st.dir.encode() in f.read():
                        mine.add(int(pid))
            except OSError:
                pass
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/stat" % pid) as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) in mine:
                        mine.add(int(pid))
            except (OSError, IndexError, ValueError):
                pass
    return mine


def cpu_s(pids):
    """CPU seconds (user + system) the processes pids have used so far."""
    t = 0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                v = f.read().rsplit(")", 1)[1].split()
            t += int(v[11]) + int(v[12])
        except (OSError, IndexError, ValueError):
            pass
    return t / os.sysconf("SC_CLK_TCK")


def timed(conn, path, token=None):
    t0 = time.perf_counter()
    s, body = request(conn, "GET", path, token=token)
    dt = time.perf_counter() - t0
    if s != 200:
        sys.exit("GET %s: %d %r" % (path, s, body[:300]))
    return dt, body


def line(name, lat, cpu, extra=""):
    """A row: latencies, and the stack's CPU time per request (cpu: the
    seconds its processes used for them all)."""
    n = len(lat)
    lat.sort()
    print("| %s | %d | %.1f | %.1f | %.1f | %.1f |%s" % (
        name, n, pct(lat, 50), pct(lat, 95), lat[-1] * 1000, cpu * 1000 / n, extra))


def trends_run(build, st):
    """One full run, timed; its stage lines and /usr/bin/time's peak RSS."""
    prog = os.path.join(build, "src", "batch", "trends", "encore-trends")
    cmd = ["/usr/bin/time", "-v", prog, "run", "-c", st.conf]
    t0 = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - t0
    if out.returncode:
        sys.exit("encore-trends run failed: %s %s" % (out.stdout, out.stderr))
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    return wall, out.stdout, int(rss.group(1)) / 1024 if rss else 0


def main():
    if not STACK_DIR:
        sys.exit("set BENCH_STACK_DIR to a running stack holding a world with "
                 "heavy_listener (generate --heavy-listens 100000)")
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    st = Stack(build, STACK_DIR)
    rnd = random.Random(SEED)
    url = urllib.parse.urlparse(st.env["ENCORE_HTTP_URL"])
    row = st.sql("SELECT u.username, u.email, (SELECT COUNT(*) FROM listens l WHERE "
                 "l.user_id = u.id), (SELECT MIN(listened_at) FROM listens l WHERE "
                 "l.user_id = u.id) FROM users u WHERE u.username = 'heavy_listener'")
    if not row:
        sys.exit("no heavy_listener in %s: generate with --heavy-listens" % st.dir)
    name, email, n, first = row[0]
    counts = st.sql("SELECT (SELECT COUNT(*) FROM listens), (SELECT COUNT(*) FROM users), "
                    "(SELECT COUNT(*) FROM tracks)")[0]
    pw = "Bench-insights-%d" % rnd.randrange(10**9)
    st.set_password(name, email, pw)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    s, b = request(conn, "POST", "/api/v1/auth/login",
                   json.dumps({"username": name, "password": pw}))
    if s != 200:
        sys.exit("login: %d %r" % (s, b[:200]))
    token = json.loads(b)["access_token"]
    print("world: %s listens, %s users, %s tracks; %s: %s listens since %s\n" % (
        counts[0], counts[1], counts[2], name, n, first))

    if TRENDS_RUN:
        wall, out, rss = trends_run(build, st)
        print("encore-trends run: %.1f s wall, peak RSS %.0f MB" % (wall, rss))
        for ln in out.splitlines():
            print("    " + ln)
        print()

    pids = stack_pids(st)
    print("| request | n | p50 ms | p95 ms | max ms | stack CPU ms/request | |")
    print("|---|---|---|---|---|---|---|")
    today = datetime.date.today()
    for label, days in RANGES:
        lat, listens = [], []
        c0 = cpu_s(pids)
        for _ in range(REQUESTS):
            end = today - datetime.timedelta(days=rnd.randrange(0, max(1, 1826 - days)))
            start = end - datetime.timedelta(days=days - 1)
            path = "/api/v1/me/insights?from=%s&to=%s&tz=%s" % (start, end, rnd.choice(ZONES))
            dt, body = timed(conn, path, token)
            lat.append(dt)
            listens.append(json.loads(body)["listens"])
        line("insights, " + label, lat, cpu_s(pids) - c0,
             " %d listens on average |" % (sum(listens) // len(listens)))
    for label, path in (("year in review", "/api/v1/me/insights/year/%d"),
                        ("year card (SVG)", "/api/v1/me/insights/year/%d/card.svg")):
        lat, c0 = [], cpu_s(pids)
        for _ in range(REQUESTS):
            y = today.year - rnd.randrange(0, 5)
            dt, _ = timed(conn, (path % y) + "?tz=" + rnd.choice(ZONES), token)
            lat.append(dt)
        line(label, lat, cpu_s(pids) - c0, " |")
    trend_paths = ["/api/v1/trending/%s?window=%s&limit=%d" % (k, w, lim)
                   for k in ("tracks", "artists", "albums", "playlists")
                   for w in ("day", "week") for lim in (10, 50)]
    chart_paths = ["/api/v1/charts/%s?period=%s&limit=%d" % (k, p, lim)
                   for k in ("tracks", "artists", "albums") for p in ("week", "month")
                   for lim in (10, 50)]
    for label, paths in (("trending", trend_paths), ("charts", chart_paths)):
        for p in paths:  # the first read of each list fills memcached
            timed(conn, p)
        c0 = cpu_s(pids)
        lat = [timed(conn, rnd.choice(paths))[0] for _ in range(REQUESTS * 10)]
        line(label + " (from memcached)", lat, cpu_s(pids) - c0, " |")
    conn.close()


if __name__ == "__main__":
    main()
