#!/usr/bin/python3
"""Recommendations benchmark: p50/p95/p99 of GET /api/v1/me/recommendations
for users of a generated world whose model version `encore-recs train`
wrote, each with fresh listens (made after the run, so every answer blends
them in through the item neighbours), first with the response cache cold,
then warm.

Usage: BENCH_STACK_DIR=/path/to/stack tests/bench/recs.py [BUILD_DIR]
       env BENCH_USERS (50), BENCH_FRESH (5: listens per user after the
           run), BENCH_REQUESTS (per user, 20), BENCH_CLIENTS (1: latency;
           more to load the workers), BENCH_SEED (42)
BENCH_STACK_DIR is a running stack holding a world and a serving model
version (e.g. `encore-admin generate` then `encore-recs train`); it is left
running. Generated users have no known password: BENCH_USERS of those with a
list in the serving version get one through BUILD_DIR's `encore-admin user
ensure --reset` (their email and role kept), then log in. Each user posts
BENCH_FRESH listens of tracks that have neighbours in the model, timestamped
now. The mix gives every request of a user distinct parameters (type, limit,
diversity, exclude_known), so the first pass misses the response cache (the
catalogue's JSON cache stays as it is) and the second hits it; then each
user listens once more, which drops their cached answers, and the mix runs
a third time ("relisten"): answers computed again over item JSON that is
cached by now, the steady state of an active user."""

import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

USERS = int(os.environ.get("BENCH_USERS", "50"))
FRESH = int(os.environ.get("BENCH_FRESH", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "20"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1"))
SEED = int(os.environ.get("BENCH_SEED", "42"))
STACK_DIR = os.environ.get("BENCH_STACK_DIR")

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from search import conf_file, env_file, pct  # noqa: E402


class Stack:
    def __init__(self, build, d):
        self.dir = os.path.abspath(d)
        self.env = env_file(os.path.join(self.dir, "stack.env"))
        self.conf = os.path.join(self.dir, "encore.conf")
        self.admin_bin = os.path.join(build, "src", "admin", "encore-admin")

    def sql(self, query):
        c = conf_file(self.conf)
        s = conf_file(c.get("secrets_file") or os.path.join(self.dir, "secrets.conf"))
        with tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False) as f:
            f.write("[client]\nsocket=%s\nuser=%s\npassword=%s\ndatabase=%s\n" % (
                c.get("db_socket") or self.env["ENCORE_DB_SOCKET"], c.get("db_user", "encore"),
                s.get("db_password", ""), c.get("db_name", "encore")))
            cnf = f.name
        try:
            out = subprocess.run(["mariadb", "--defaults-file=" + cnf, "-N", "-B", "-e", query],
                                 capture_output=True, check=True, timeout=600).stdout
        finally:
            os.unlink(cnf)
        return [line.split("\t") for line in out.decode().splitlines()]

    def set_password(self, username, email, password):
        subprocess.run([self.admin_bin, "-c", self.conf, "user", "ensure", "--reset",
                        "--username", username, "--email", email, "--role", "user",
                        "--password-stdin"], input=password, text=True,
                       capture_output=True, check=True, timeout=60)


def request(conn, method, path, body=None, token=None):
    h = {"Content-Type": "application/json"} if body else {}
    if token:
        h["Authorization"] = "Bearer " + token
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.read()


def now_ts(offset_ms):
    t = time.time() + offset_ms / 1000.0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


def prepare(st, url, rnd):
    version = st.sql("SELECT version FROM rec_serving WHERE slot = 1")
    if not version:
        sys.exit("no serving model version in %s: run encore-recs train first" % st.dir)
    version = int(version[0][0])
    n = int(st.sql("SELECT COUNT(*) FROM rec_user_lists WHERE version = %d AND "
                   "item_type = 'track'" % version)[0][0])
    if n == 0:
        sys.exit("model version %d has no user lists" % version)
    offset = rnd.randrange(max(1, n - USERS))
    rows = st.sql("SELECT u.id, u.username, u.email FROM rec_user_lists l JOIN users u "
                  "ON u.id = l.user_id WHERE l.version = %d AND l.item_type = 'track' "
                  "ORDER BY l.user_id LIMIT %d, %d" % (version, offset, USERS))
    seeds = [int(r[0]) for r in st.sql(
        "SELECT item_id FROM rec_neighbours WHERE version = %d AND item_type = 'track' "
        "ORDER BY item_id LIMIT %d, 2000" % (version, rnd.randrange(1000)))]
    if not seeds:
        sys.exit("model version %d has no track neighbours" % version)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    users = []
    for uid, name, email in rows:
        pw = "Bench-recs-%d-%d" % (SEED, rnd.randrange(10**9))
        st.set_password(name, email, pw)
        s, b = request(conn, "POST", "/api/v1/auth/login",
                       json.dumps({"username": name, "password": pw}))
        if s != 200:
            sys.exit("login of %s: %d %r" % (name, s, b[:200]))
        token = json.loads(b)["access_token"]
        listens = [{"track_id": rnd.choice(seeds), "listened_at": now_ts(-1000 * k),
                    "ms_played": 180000} for k in range(FRESH)]
        s, b = request(conn, "POST", "/api/v1/me/listens",
                       json.dumps({"listens": listens}), token)
        if s != 200:
            sys.exit("listens of %s: %d %r" % (name, s, b[:200]))
        users.append((token, int(uid), seeds))
    conn.close()
    return version, users


def relisten(url, users, rnd):
    """One more listen per user: every answer of the mix is dropped from the
    cache again, while the items' JSON the first pass read stays cached."""
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    for token, _, seeds in users:
        body = {"track_id": rnd.choice(seeds), "listened_at": now_ts(0), "ms_played": 180000}
        s, b = request(conn, "POST", "/api/v1/me/listens", json.dumps(body), token)
        if s != 200:
            sys.exit("listen: %d %r" % (s, b[:200]))
    conn.close()


def build_mix(users, rnd):
    """REQUESTS distinct parameter sets per user, shuffled across users."""
    mix = []
    for token, _, _ in users:
        seen = set()
        while len(seen) < REQUESTS:
            p = (rnd.choice(["track", "track", "track", "artist"]),
                 rnd.choice([10, 20, 20, 20, 30, 50]),
                 rnd.choice(["0", "0", "0.3", "0.7"]),
                 rnd.choice(["true", "true", "true", "false"]))
            if p in seen:
                continue
            seen.add(p)
            mix.append((token, "/api/v1/me/recommendations?type=%s&limit=%d&diversity=%s"
                        "&exclude_known=%s" % p))
    rnd.shuffle(mix)
    return mix


def run_pass(url, mix):
    lat, errors, fresh = [], [], []
    lock = threading.Lock()
    parts = [mix[i::CLIENTS] for i in range(CLIENTS)]

    def client(reqs):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        mine, blended = [], []
        for token, path in reqs:
            t0 = time.perf_counter()
            s, body = request(conn, "GET", path, token=token)
            mine.append(time.perf_counter() - t0)
            if s != 200:
                with lock:
                    errors.append((s, path, body[:200]))
            else:
                blended.append(json.loads(body)["model"].get("fresh_listens", 0))
        conn.close()
        with lock:
            lat.extend(mine)
            fresh.extend(blended)

    threads = [threading.Thread(target=client, args=(p,)) for p in parts]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(lat), time.perf_counter() - t0, errors, fresh


def main():
    if not STACK_DIR:
        sys.exit("set BENCH_STACK_DIR to a running stack with a world and a model version")
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    st = Stack(build, STACK_DIR)
    rnd = random.Random(SEED)
    url = urllib.parse.urlparse(st.env["ENCORE_HTTP_URL"])
    version, users = prepare(st, url, rnd)
    counts = st.sql("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM tracks), "
                    "(SELECT COUNT(*) FROM listens)")[0]
    print("world: %s users, %s tracks, %s listens; model version %d" % (
        tuple(counts) + (version,)))
    mix = build_mix(users, rnd)
    for name in ("uncached", "cached", "relisten"):
        if name == "relisten":
            relisten(url, users, rnd)
        lat, wall, errors, fresh = run_pass(url, mix)
        print("%-8s %d requests, %d users, %d clients: p50 %.1f ms  p95 %.1f ms  "
              "p99 %.1f ms  max %.1f ms  (%.0f req/s); fresh listens blended: "
              "mean %.1f" % (name, len(lat), len(users), CLIENTS, pct(lat, 50), pct(lat, 95),
                             pct(lat, 99), lat[-1] * 1000, len(lat) / wall,
                             sum(fresh) / max(1, len(fresh))))
        if errors:
            print("  %d errors, e.g. %r" % (len(errors), errors[:3]))


if __name__ == "__main__":
    main()
