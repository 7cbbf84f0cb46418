#!/usr/bin/python3
"""Listen ingestion benchmark: listens per second through POST
/api/v1/me/listens with batches of 1,000, and a check that every listen the
API acknowledged as stored is in MariaDB.

Usage: tests/bench/listens.py [BUILD_DIR]        (default: ./build)
       env BENCH_CLIENTS (4), BENCH_BATCHES (per client, 30),
           BENCH_BATCH (1000), BENCH_TRACKS (10000), BENCH_TEXT (0: share of
           items matched by artist/title text, 0..1),
           BENCH_WORLD (unset: seed BENCH_TRACKS tracks by SQL; else the
           arguments of `encore-admin generate`, e.g. "--tracks 1000000
           --listens 10000000", and listens go to 10,000 of its tracks),
           BENCH_STACK_DIR (a running stack with its world: no seeding,
           listens go to 10,000 of its tracks, the stack is left running)
Starts a private stack on free ports under BUILD_DIR/bench-listens with
nginx limits lifted (as tests/bench/run.sh does), seeds or generates, runs
the clients over loopback HTTP (one user each, keep-alive), prints the
figures, and stops the stack. Bodies are built before the clock starts."""

import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
BATCHES = int(os.environ.get("BENCH_BATCHES", "30"))
BATCH = int(os.environ.get("BENCH_BATCH", "1000"))
TRACKS = int(os.environ.get("BENCH_TRACKS", "10000"))
TEXT = float(os.environ.get("BENCH_TEXT", "0"))
WORLD = os.environ.get("BENCH_WORLD")
STACK_DIR = os.environ.get("BENCH_STACK_DIR")


def env_file(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        k, sep, v = line.strip().partition("=")
        if sep and not k.startswith("#"):
            out[k] = v.strip("'\"")
    return out


def conf_file(path):
    out = {}
    for line in open(path, encoding="utf-8"):
        k, sep, v = line.strip().partition("=")
        if sep and not k.strip().startswith("#"):
            out[k.strip()] = v.strip()
    return out


class Stack:
    def __init__(self, build):
        self.build = build
        self.dir = os.path.abspath(STACK_DIR) if STACK_DIR else os.path.join(build, "bench-listens")
        self.bin = os.path.join(build, "src", "stack", "encore-stack")

    def start(self):
        if not STACK_DIR:
            shutil.rmtree(self.dir, ignore_errors=True)
            e = dict(os.environ, ENCORE_HTTPS_PORT="0", ENCORE_HTTP_PORT="0",
                     ENCORE_RATE_IP="1000000r/s", ENCORE_RATE_TOKEN="1000000r/s",
                     ENCORE_BURST_IP="100000", ENCORE_BURST_TOKEN="100000")
            subprocess.run([self.bin, "start", self.dir], env=e, check=True,
                           stdout=subprocess.DEVNULL)
        self.env = env_file(os.path.join(self.dir, "stack.env"))
        c = conf_file(self.env["ENCORE_CONF"])
        s = conf_file(os.path.join(self.dir, "secrets.conf"))
        self.cnf = os.path.join(self.dir, "bench-client.cnf")
        with open(self.cnf, "w") as f:
            f.write("[client]\nsocket=%s\nuser=%s\npassword=%s\ndatabase=%s\n" % (
                c["db_socket"], c.get("db_user", "encore"), s["db_password"],
                c.get("db_name", "encore")))
        os.chmod(self.cnf, 0o600)

    def stop(self):
        if STACK_DIR:
            return
        subprocess.run([self.bin, "stop", self.dir], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def sql(self, query):
        out = subprocess.run(["mariadb", "--defaults-file=" + self.cnf, "-N", "-B",
                              "-e", query], capture_output=True, check=True).stdout
        return [l.split("\t") for l in out.decode().splitlines()]


def request(conn, method, path, body=None, token=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    conn.request(method, path, body=body, headers=h)
    r = conn.getresponse()
    return r.status, r.read()


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    st = Stack(build)
    st.start()
    try:
        run(st)
    finally:
        st.stop()


def run(st):
    url = urllib.parse.urlparse(st.env["ENCORE_HTTP_URL"])
    if STACK_DIR:
        pass
    elif WORLD:
        t0 = time.monotonic()
        subprocess.run([st.env["ENCORE_ADMIN_BIN"], "-c", st.env["ENCORE_CONF"], "generate"]
                       + WORLD.split(), check=True, stdout=subprocess.DEVNULL)
        print("generated %s in %.0f s" % (WORLD, time.monotonic() - t0))
    else:
        st.sql("INSERT INTO artists (name) VALUES ('Bench Artist'); "
               "INSERT INTO tracks (title, duration_ms) SELECT CONCAT('Bench ', seq), 200000 "
               "FROM seq_1_to_%d; "
               "INSERT INTO track_artists (track_id, artist_id) SELECT t.id, a.id FROM tracks t "
               "JOIN artists a ON a.name = 'Bench Artist'" % TRACKS)
    # Up to 10,000 tracks with their primary artist (for text matching).
    sample = st.sql("SELECT t.id, t.title, a.name FROM (SELECT id, title FROM tracks "
                    "ORDER BY RAND() LIMIT 10000) t JOIN track_artists ta ON ta.track_id = t.id "
                    "AND ta.role = 'primary' JOIN artists a ON a.id = ta.artist_id")
    ids = [int(r[0]) for r in sample]
    texts = {int(r[0]): (r[2], r[1]) for r in sample}
    before = int(st.sql("SELECT COUNT(*) FROM listens")[0][0])

    users = []
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    for i in range(CLIENTS):
        name = "bench%d_%d" % (i, random.randrange(10**6))
        pw = "Bench-password-%d-xyz" % random.randrange(10**9)
        s, b = request(conn, "POST", "/api/v1/auth/register", json.dumps(
            {"username": name, "email": name + "@example.org", "password": pw}))
        assert s == 202, (s, b)
        # confirmed as the mailed token would (the bench reads no mail)
        st.sql("UPDATE users SET confirm_by = NULL WHERE username = '%s'" % name)
        s, b = request(conn, "POST", "/api/v1/auth/login",
                       json.dumps({"username": name, "password": pw}))
        assert s == 200, (s, b)
        users.append((json.loads(b)["access_token"], json.loads(
            request(conn, "GET", "/api/v1/me", token=json.loads(b)["access_token"])[1])["id"]))
    conn.close()

    # Distinct listened_at per user: one listen per second from a year ago.
    start = int(time.time()) - 365 * 86400
    bodies = []
    rnd = random.Random(42)
    for c in range(CLIENTS):
        mine = []
        for b in range(BATCHES):
            items = []
            for i in range(BATCH):
                n = b * BATCH + i
                t = time.gmtime(start + n)
                when = time.strftime("%Y-%m-%dT%H:%M:%SZ", t)
                tid = rnd.choice(ids)
                if TEXT and rnd.random() < TEXT:
                    items.append({"artist": texts[tid][0].lower(), "title": texts[tid][1].upper(),
                                  "listened_at": when, "ms_played": 180000, "source": "import"})
                else:
                    items.append({"track_id": tid, "listened_at": when, "ms_played": 180000,
                                  "source": "import"})
            mine.append(json.dumps({"listens": items}).encode())
        bodies.append(mine)

    acked = [0] * CLIENTS
    lat = [[] for _ in range(CLIENTS)]
    errors = []

    def client(c):
        token = users[c][0]
        cn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        for body in bodies[c]:
            t0 = time.monotonic()
            s, b = request(cn, "POST", "/api/v1/me/listens", body, token)
            lat[c].append(time.monotonic() - t0)
            if s != 200:
                errors.append((s, b[:200]))
                continue
            acked[c] += json.loads(b)["stored"]
        cn.close()

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.monotonic() - t0

    total = sum(acked)
    stored = sum(int(st.sql("SELECT COUNT(*) FROM listens WHERE user_id = %d" % u)[0][0])
                 for _, u in users)
    all_lat = sorted(x for l in lat for x in l)
    p = lambda q: all_lat[min(len(all_lat) - 1, int(q * len(all_lat)))] * 1000
    print("clients=%d batches=%d batch=%d text_share=%.2f listens_before=%d" % (
        CLIENTS, CLIENTS * BATCHES, BATCH, TEXT, before))
    print("acknowledged=%d in_db=%d errors=%d seconds=%.2f" % (total, stored, len(errors), secs))
    print("listens_per_s=%.0f batch_p50_ms=%.1f batch_p99_ms=%.1f" % (total / secs, p(0.5), p(0.99)))
    if errors:
        print("first error:", errors[0])
    if stored != total or total != CLIENTS * BATCHES * BATCH:
        print("FAIL: acknowledged listens missing from the database, or not all stored")
        sys.exit(1)


if __name__ == "__main__":
    main()
