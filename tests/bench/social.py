#!/usr/bin/python3
"""Social benchmark on a generated world: p50/p95 of GET /api/v1/me/feed
for the user who follows most (1,000 in the full world), its first page
and a deep one; of adding a track to a public playlist and of commenting,
by the user with the most followers (50,000 in the full world, whose
activity is merged when feeds are read) and, for the ratio, by a user with
a handful (fanned out when written); of GET /api/v1/me/notifications; each
with one client and with four, beside GET /api/v1/me (a token check and a
cached read) as the baseline their ratios are taken against. Then the storage the feed takes:
information_schema's data and index length of activities and feed_items
over their rows, scaled to 1,000,000 events.

Usage: BENCH_STACK_DIR=/path/to/stack tests/bench/social.py [BUILD_DIR]
       env BENCH_REQUESTS (per client and case, 100), BENCH_SEED (42)
BENCH_STACK_DIR is a running stack holding a generated world, e.g.

    ENCORE_STACK_TEST=1 ENCORE_RATE_IP=1000000r/s ENCORE_RATE_TOKEN=1000000r/s \\
      ENCORE_BURST_IP=100000 ENCORE_BURST_TOKEN=100000 \\
      build/src/stack/encore-stack start DIR
    mariadb --no-defaults -uroot --socket=DIR/mysql.sock \\
      -e "SET GLOBAL innodb_buffer_pool_size=4294967296"
    build/src/admin/encore-admin -c DIR/encore.conf generate --seed 42

The three users get a password through BUILD_DIR's `encore-admin user
ensure --reset`, then log in. Comments are ten a minute a user (429 past
that): the comment case times the first ten only, one client."""

import http.client
import json
import os
import random
import sys
import threading
import time
import urllib.parse

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
SEED = int(os.environ.get("BENCH_SEED", "42"))
STACK_DIR = os.environ.get("BENCH_STACK_DIR")
PAGE = 20
DEEP = 20  # the deep page: entries 381 to 400

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recs import Stack, request  # noqa: E402
from search import pct  # noqa: E402


class Client:
    def __init__(self, url, token):
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        self.token = token

    def call(self, method, path, body=None, want=200):
        t0 = time.perf_counter()
        s, b = request(self.conn, method, path,
                       json.dumps(body) if body is not None else None, self.token)
        dt = time.perf_counter() - t0
        if s != want:
            sys.exit("%s %s: %d %r" % (method, path, s, b[:300]))
        return dt, (json.loads(b) if b else None)


def login(st, url, rnd, row):
    uid, name, email = row
    pw = "Bench-social-%d" % rnd.randrange(10**9)
    st.set_password(name, email, pw)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    s, b = request(conn, "POST", "/api/v1/auth/login",
                   json.dumps({"username": name, "password": pw}))
    conn.close()
    if s != 200:
        sys.exit("login %s: %d %r" % (name, s, b[:200]))
    return json.loads(b)["access_token"]


def run(clients, case):
    """case(client, i) -> seconds, REQUESTS times on each client at once;
    all the latencies."""
    lat, threads = [], []
    lock = threading.Lock()

    def work(k, c):
        mine = [case(c, k * REQUESTS + i) for i in range(REQUESTS)]
        with lock:
            lat.extend(mine)
    for k, c in enumerate(clients):
        threads.append(threading.Thread(target=work, args=(k, c)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(lat)


def line(name, nclients, lat):
    print("| %s | %d | %d | %.1f | %.1f | %.1f |" % (
        name, nclients, len(lat), pct(lat, 50), pct(lat, 95), lat[-1] * 1000))


def storage(st):
    st.sql("ANALYZE TABLE activities, feed_items")
    sizes = dict((r[0], int(r[1])) for r in st.sql(
        "SELECT table_name, data_length + index_length FROM information_schema.tables "
        "WHERE table_schema = DATABASE() AND table_name IN ('activities', 'feed_items')"))
    acts, items = (int(x) for x in st.sql(
        "SELECT (SELECT COUNT(*) FROM activities), (SELECT COUNT(*) FROM feed_items)")[0])
    a, f = sizes["activities"], sizes["feed_items"]
    print("\nstorage: activities %d rows, %.1f MB (%.0f bytes a row); feed_items %d rows, "
          "%.1f MB (%.0f bytes a row, %.2f a event)" % (
              acts, a / 1e6, a / acts, items, f / 1e6, f / max(items, 1), items / acts))
    print("per 1,000,000 events: activities %.0f MB + feed_items %.0f MB = %.0f MB" % (
        a / acts, f / acts, (a + f) / acts))


def main():
    if not STACK_DIR:
        sys.exit("set BENCH_STACK_DIR to a running stack holding a generated world")
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    st = Stack(build, STACK_DIR)
    rnd = random.Random(SEED)
    url = urllib.parse.urlparse(st.env["ENCORE_HTTP_URL"])
    gen = "email LIKE '%@generated.invalid'"
    avid = st.sql("SELECT id, username, email FROM users WHERE %s ORDER BY following_count "
                  "DESC, id LIMIT 1" % gen)[0]
    star = st.sql("SELECT id, username, email FROM users WHERE %s ORDER BY follower_count "
                  "DESC, id LIMIT 1" % gen)[0]
    plain = st.sql("SELECT id, username, email FROM users WHERE %s AND follower_count "
                   "BETWEEN 5 AND 15 ORDER BY id LIMIT 1" % gen)[0]
    counts = st.sql("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM tracks), "
                    "(SELECT COUNT(*) FROM listens), (SELECT COUNT(*) FROM follows), "
                    "(SELECT COUNT(*) FROM comments), (SELECT COUNT(*) FROM activities), "
                    "(SELECT COUNT(*) FROM feed_items), (SELECT COUNT(*) FROM notifications)")[0]
    who = {}
    for label, row in (("avid", avid), ("star", star), ("plain", plain)):
        who[label] = st.sql("SELECT username, follower_count, following_count, (SELECT "
                            "COUNT(*) FROM feed_items WHERE user_id = %s), (SELECT COUNT(*) "
                            "FROM notifications WHERE user_id = %s) FROM users WHERE id = %s"
                            % (row[0], row[0], row[0]))[0]
    print("world: %s users, %s tracks, %s listens, %s follows, %s comments, %s activities, "
          "%s feed items, %s notification groups" % tuple(counts))
    for label, r in who.items():
        print("  %s: %s, %s followers, follows %s, %s feed items, %s notification groups"
              % (label, r[0], r[1], r[2], r[3], r[4]))
    print("load average at the start: %.2f %.2f %.2f\n" % os.getloadavg())

    tokens = {k: login(st, url, rnd, row) for k, row in
              (("avid", avid), ("star", star), ("plain", plain))}
    tracks = [int(r[0]) for r in st.sql("SELECT id FROM tracks ORDER BY id LIMIT %d, 500"
                                        % rnd.randrange(100000))]
    # the deep page's cursor, from a walk of the avid follower's feed
    c = Client(url, tokens["avid"])
    cursor = None
    for _ in range(DEEP - 1):
        _, page = c.call("GET", "/api/v1/me/feed?limit=%d%s" % (
            PAGE, "&cursor=" + cursor if cursor else ""))
        cursor = page.get("next_cursor")
        if not cursor:
            sys.exit("the avid follower's feed ends before page %d" % DEEP)
    first_path = "/api/v1/me/feed?limit=%d" % PAGE
    deep_path = first_path + "&cursor=" + cursor

    def get(path):
        return lambda cl, i: cl.call("GET", path)[0]

    lists = {}
    for label in ("star", "plain"):
        lists[label] = []
        cl = Client(url, tokens[label])
        for k in range(4):
            _, pl = cl.call("POST", "/api/v1/playlists",
                            {"name": "Bench social %d" % k, "visibility": "public"}, want=201)
            lists[label].append(pl["id"])

    def add(label):
        def case(cl, i):
            pid = lists[label][i // REQUESTS]
            return cl.call("POST", "/api/v1/playlists/%d/tracks" % pid,
                           {"track_ids": [tracks[i % len(tracks)]]})[0]
        return case

    print("| request | clients | n | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|")
    cases = [("GET /api/v1/me (the baseline)", "avid", get("/api/v1/me")),
             ("feed, first page (follows %s)" % who["avid"][2], "avid", get(first_path)),
             ("feed, page %d" % DEEP, "avid", get(deep_path)),
             ("playlist add, %s followers" % who["star"][1], "star", add("star")),
             ("playlist add, %s followers" % who["plain"][1], "plain", add("plain")),
             ("notifications, %s followers" % who["star"][1], "star",
              get("/api/v1/me/notifications?limit=%d" % PAGE)),
             ("notifications, %s followers" % who["plain"][1], "plain",
              get("/api/v1/me/notifications?limit=%d" % PAGE))]
    for name, label, case in cases:
        for n in (1, 4):
            clients = [Client(url, tokens[label]) for _ in range(n)]
            for cl in clients:  # a connection and its worker warm
                cl.call("GET", "/api/v1/me")
            line(name, n, run(clients, case))
    for label in ("star", "plain"):
        cl = Client(url, tokens[label])
        lat = sorted(cl.call("POST", "/api/v1/tracks/%d/comments" % tracks[i],
                             {"text": "Bench comment %d" % i}, want=201)[0]
                     for i in range(10))
        line("comment, %s followers" % who[label][1], 1, lat)
    print("\nload average at the end: %.2f %.2f %.2f" % os.getloadavg())
    storage(st)


if __name__ == "__main__":
    main()
