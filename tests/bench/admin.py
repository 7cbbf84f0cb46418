#!/usr/bin/python3
"""Administration benchmark: p50/p95 of the admin user search
(GET /api/v1/admin/users with a prefix, alone and with filters and each
sort) and of the analytics report for a week and for a year
(GET /api/v1/admin/analytics), through nginx as the stack's admin.

Usage: BENCH_STACK_DIR=/path/to/stack tests/bench/admin.py
       env BENCH_REQUESTS (per case, 100), BENCH_USERS (accounts to make
       when the stack has fewer, 100000), BENCH_SEED (42)

The stack should hold a generated world (`encore-admin generate`); its
accounts are searched as they are. Missing accounts up to BENCH_USERS are
inserted by SQL (u + 12 hex digits, spread like real names over
prefixes), and a year of
rollup rows (stats_days, 100 tracks and 100 artists a day in stats_top,
52 cohorts) is written for the days that have none, so that the year's
report reads as many rows as a year of `encore-admin analytics rollup`
would leave."""

import datetime
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
USERS = int(os.environ.get("BENCH_USERS", "100000"))
random.seed(int(os.environ.get("BENCH_SEED", "42")))


def env(d):
    out = {}
    for line in open(os.path.join(d, "stack.env")):
        if "=" in line and not line.startswith("#"):
            k, v = line.strip().split("=", 1)
            out[k] = v.strip("'\"")
    return out


def conf(path):
    out = {}
    for line in open(path):
        if "=" in line and not line.lstrip().startswith("#"):
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def sql(d, s, query):
    c = conf(os.path.join(d, "encore.conf"))
    sec = conf(os.path.join(d, c.get("secrets_file", "secrets.conf")))
    with tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False) as f:
        f.write("[client]\nsocket=%s\nuser=%s\npassword=%s\ndatabase=%s\n" % (
            s["ENCORE_DB_SOCKET"], c.get("db_user", "encore"),
            sec.get("db_password", ""), c.get("db_name", "encore")))
        cnf = f.name
    try:
        out = subprocess.run(["mariadb", "--defaults-file=" + cnf, "-N", "-B", "-e", query],
                             capture_output=True, check=True, timeout=3600).stdout
    finally:
        os.unlink(cnf)
    return [line.split("\t") for line in out.decode().splitlines()]


def seed(d, s):
    have = int(sql(d, s, "SELECT COUNT(*) FROM users")[0][0])
    if have < USERS:
        n = USERS - have
        sql(d, s, "INSERT IGNORE INTO users (username, email, password_hash, display_name, "
            "created_at) SELECT CONCAT('u', LEFT(MD5(seq), 12)), "
            "CONCAT('u', LEFT(MD5(seq), 12), '@example.org'), '!', "
            "CONCAT(ELT(1 + seq MOD 8, 'Ada', 'Bela', 'Cleo', 'Dag', 'Eve', 'Fox', 'Gil', "
            "'Hal'), ' ', seq), UTC_TIMESTAMP(3) - INTERVAL (seq MOD 700) DAY "
            "FROM seq_1_to_%d" % n)
    today = datetime.date.today()
    for back in range(366):
        day = today - datetime.timedelta(days=back)
        if sql(d, s, "SELECT COUNT(*) FROM stats_days WHERE day = '%s'" % day)[0][0] != "0":
            continue
        sql(d, s, "INSERT INTO stats_days (day, dau, wau, mau, signups, listens, listen_ms, "
            "rec_listens) VALUES ('%s', %d, %d, %d, %d, %d, %d, %d)" % (
                day, 3000 + back, 9000, 20000, 100, 27000, 27000 * 200000, 5000))
        sql(d, s, "INSERT IGNORE INTO stats_top (day, kind, item_id, plays) SELECT '%s', "
            "'track', 1 + (seq * 7919 + %d) MOD 1000000, 300 - seq FROM seq_1_to_100; "
            "INSERT IGNORE INTO stats_top (day, kind, item_id, plays) SELECT '%s', 'artist', "
            "1 + (seq * 104729 + %d) MOD 50000, 900 - seq FROM seq_1_to_100" % (
                day, back, day, back))


def main():
    d = os.environ.get("BENCH_STACK_DIR")
    if not d:
        sys.exit("set BENCH_STACK_DIR")
    s = env(d)
    seed(d, s)
    url = urllib.parse.urlsplit(s["ENCORE_HTTP_URL"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)

    def call(method, path, body=None, token=None):
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        conn.request(method, path, body=json.dumps(body) if body else None, headers=h)
        r = conn.getresponse()
        return r.status, r.read()

    st, body = call("POST", "/api/v1/auth/login",
                    {"username": s["ENCORE_ADMIN_USER"], "password": s["ENCORE_ADMIN_PASSWORD"]})
    token = json.loads(body)["access_token"]
    users = sql(d, s, "SELECT COUNT(*) FROM users")[0][0]
    names = [r[0] for r in sql(d, s, "SELECT username FROM users ORDER BY RAND(42) LIMIT 500")]
    today = datetime.date.today()
    cases = [
        ("search q (a prefix of 4)", lambda: "/api/v1/admin/users?q=" + random.choice(names)[:4]),
        ("search q (a prefix of 2)", lambda: "/api/v1/admin/users?q=" + random.choice(names)[:2]),
        ("search q + role + status", lambda: "/api/v1/admin/users?status=active&role=user&q="
         + random.choice(names)[:3]),
        ("search q, sort=username", lambda: "/api/v1/admin/users?sort=username&q="
         + random.choice(names)[:5]),
        ("list newest, no q", lambda: "/api/v1/admin/users?limit=50"),
        ("list created range", lambda: "/api/v1/admin/users?created_from=%sT00:00:00Z&sort=oldest" %
         (today - datetime.timedelta(days=random.randint(30, 600)))),
        ("analytics: a week", lambda: "/api/v1/admin/analytics?from=%s&to=%s" % (
            today - datetime.timedelta(days=6), today)),
        ("analytics: a year", lambda: "/api/v1/admin/analytics?from=%s&to=%s" % (
            today - datetime.timedelta(days=364), today)),
    ]
    print("%s users; %d requests per case; load %s" % (users, REQUESTS, os.getloadavg()))
    print("| case | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    for name, path in cases:
        t = []
        for _ in range(REQUESTS):
            p = path()
            t0 = time.perf_counter()
            st, _ = call("GET", p, token=token)
            t.append((time.perf_counter() - t0) * 1000)
            if st != 200:
                sys.exit("%s: %s answered %d" % (name, p, st))
        t.sort()
        print("| %s | %.1f | %.1f | %.1f |" % (name, statistics.median(t),
                                               t[int(len(t) * 0.95) - 1], t[-1]))


if __name__ == "__main__":
    main()
