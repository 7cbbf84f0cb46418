#!/usr/bin/python3
"""Search benchmark: p50/p95/p99 of GET /api/v1/search over a fixed mix of
1,000 queries (prefixes, whole words, several words, one and two letters,
filters, sorts) built with a seed from the catalogue's own words.

Usage: tests/bench/search.py [BUILD_DIR]          (default: ./build)
       env BENCH_TRACKS (1000000), BENCH_SEED (42), BENCH_QUERIES (1000),
           BENCH_CLIENTS (1: latency; more to load the workers),
           BENCH_KEEP=1 (keep the stack and its world for another run),
           BENCH_BUFFER_POOL (2G: InnoDB holds the whole index and catalogue),
           BENCH_GENERATE=1 (make the world with `encore-admin generate`
           instead of the SQL below),
           BENCH_STACK_DIR (a running stack with its world, e.g. one made by
           `encore-admin generate`: used as it is, left running)
Starts a private stack under BUILD_DIR/bench-search with nginx limits lifted
(as tests/bench/run.sh does), makes a synthetic catalogue by SQL (a
vocabulary of pronounceable words whose use follows a power law, so some
words are in a tenth of all titles, as "love" or "the" are in real ones;
popularity follows a power law too), runs `encore-admin search rebuild` and
times it, then sends the mix twice over keep-alive HTTP: the first pass
answers from MariaDB (every query is distinct and the page cache is empty),
the second from the memcached page cache."""

import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

TRACKS = int(os.environ.get("BENCH_TRACKS", "1000000"))
SEED = int(os.environ.get("BENCH_SEED", "42"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "1000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1"))
STACK_DIR = os.environ.get("BENCH_STACK_DIR")
KEEP = os.environ.get("BENCH_KEEP") == "1" or bool(STACK_DIR)
GENERATE = os.environ.get("BENCH_GENERATE") == "1"

SYLLABLES = ("ka lo mi re su ta ne vo ri sa lu ma no be di fa go hi ju ke "
             "la me pa qui ro se ti u va we xo ya ze bra cri dre flo gra pla "
             "stu tre").split()


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
        self.dir = os.path.abspath(STACK_DIR) if STACK_DIR else os.path.join(build, "bench-search")
        self.bin = os.path.join(build, "src", "stack", "encore-stack")

    def start(self):
        fresh = not (KEEP and os.path.exists(os.path.join(self.dir, "stack.env")))
        if fresh:
            shutil.rmtree(self.dir, ignore_errors=True)
        e = dict(os.environ, ENCORE_HTTPS_PORT="0", ENCORE_HTTP_PORT="0",
                 ENCORE_RATE_IP="1000000r/s", ENCORE_RATE_TOKEN="1000000r/s",
                 ENCORE_BURST_IP="100000", ENCORE_BURST_TOKEN="100000",
                 ENCORE_DB_BUFFER_POOL=os.environ.get("BENCH_BUFFER_POOL", "2G"))
        if not STACK_DIR:
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
        return fresh

    def stop(self):
        subprocess.run([self.bin, "stop", self.dir], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def sql(self, query):
        out = subprocess.run(["mariadb", "--defaults-file=" + self.cnf, "-N", "-B",
                              "-e", query], capture_output=True, check=True).stdout
        return [l.split("\t") for l in out.decode().splitlines()]

    def admin(self, *args):
        t0 = time.monotonic()
        subprocess.run([self.env["ENCORE_ADMIN_BIN"], "-c", self.env["ENCORE_CONF"]] +
                       list(args), check=True, stdout=subprocess.DEVNULL)
        return time.monotonic() - t0


def make_world(st):
    """A catalogue of TRACKS tracks, TRACKS/20 artists, TRACKS/10 albums."""
    n_words = 6000
    syl = ",".join("'%s'" % s for s in SYLLABLES)
    ns = len(SYLLABLES)
    # word i: two or three syllables from its digits in base len(SYLLABLES)
    st.sql("DROP TABLE IF EXISTS bench_vocab; "
           "CREATE TABLE bench_vocab (id INT PRIMARY KEY, w VARCHAR(32)) "
           "CHARSET utf8mb4 COLLATE utf8mb4_unicode_ci; "
           "INSERT INTO bench_vocab SELECT seq, CONCAT(ELT(1 + seq %% %d, %s), "
           "ELT(1 + (seq DIV %d) %% %d, %s), IF(seq >= %d, ELT(1 + (seq DIV %d) %% %d, %s), '')) "
           "FROM seq_0_to_%d"
           % (ns, syl, ns, ns, syl, ns * ns, ns * ns, ns, syl, n_words - 1))
    # a word by power law: vocab id FLOOR(n * r^3) for a seeded uniform r;
    # the ids are drawn into a table first, then joined (a RAND() inside a
    # subquery's WHERE would scan the vocabulary for every row)
    def draw(lo, hi, salt):
        st.sql("DROP TABLE IF EXISTS bench_draw; CREATE TABLE bench_draw (seq BIGINT "
               "PRIMARY KEY, i1 INT, i2 INT, i3 INT, i4 INT) SELECT seq, %s FROM seq_%d_to_%d"
               % (", ".join("FLOOR(%d * POW(RAND(seq * %d + %d), 3)) AS i%d"
                            % (n_words, 4 * salt + k, SEED, k) for k in range(1, 5)), lo, hi))
    title = ("CONCAT_WS(' ', v1.w, v2.w, IF(d.seq % 3 > 0, v3.w, NULL), "
             "IF(d.seq % 5 = 0, v4.w, NULL))")
    joins = ("bench_draw d " + " ".join("JOIN bench_vocab v%d ON v%d.id = d.i%d" % (k, k, k)
                                        for k in range(1, 5)))
    n_artists, n_albums = max(TRACKS // 20, 10), max(TRACKS // 10, 10)
    st.sql("INSERT INTO genres (name) SELECT CONCAT('genre', seq) FROM seq_1_to_30")
    g0 = int(st.sql("SELECT MIN(id) FROM genres WHERE name LIKE 'genre%'")[0][0])
    draw(1, n_artists, 10)
    st.sql("INSERT INTO artists (name, popularity, country) SELECT %s, "
           "FLOOR(1000000 * POW(RAND(d.seq * 11 + %d), 4)), 'GB' FROM %s ORDER BY d.seq"
           % (title, SEED, joins))
    a0 = int(st.sql("SELECT MIN(id) FROM artists")[0][0])
    st.sql("INSERT IGNORE INTO artist_genres (artist_id, genre_id) SELECT id, %d + id %% 30 "
           "FROM artists" % g0)
    draw(1, n_albums, 20)
    st.sql("INSERT INTO albums (title, artist_id, release_date, popularity) SELECT %s, "
           "%d + d.seq %% %d, DATE('1960-01-01') + INTERVAL FLOOR(RAND(d.seq * 13 + %d) * 23000) DAY, "
           "FLOOR(1000000 * POW(RAND(d.seq * 17 + %d), 4)) FROM %s ORDER BY d.seq"
           % (title, a0, n_artists, SEED, SEED, joins))
    al0 = int(st.sql("SELECT MIN(id) FROM albums")[0][0])
    st.sql("INSERT IGNORE INTO album_genres (album_id, genre_id) SELECT id, %d + id %% 30 FROM albums"
           % g0)
    chunk = 100000
    for lo in range(1, TRACKS + 1, chunk):
        hi = min(lo + chunk - 1, TRACKS)
        draw(lo, hi, 30)
        st.sql("INSERT INTO tracks (title, album_id, duration_ms, release_date, explicit, "
               "popularity) SELECT %s, %d + d.seq %% %d, 90000 + FLOOR(RAND(d.seq * 19 + %d) * 330000), "
               "DATE('1960-01-01') + INTERVAL FLOOR(RAND(d.seq * 23 + %d) * 23000) DAY, "
               "RAND(d.seq * 29 + %d) < 0.1, FLOOR(1000000 * POW(RAND(d.seq * 31 + %d), 4)) "
               "FROM %s ORDER BY d.seq"
               % (title, al0, n_albums, SEED, SEED, SEED, SEED, joins))
    st.sql("INSERT IGNORE INTO track_artists (track_id, artist_id) SELECT t.id, al.artist_id "
           "FROM tracks t JOIN albums al ON al.id = t.album_id; DROP TABLE bench_draw")
    st.sql("INSERT IGNORE INTO track_genres (track_id, genre_id) SELECT id, %d + id %% 30 FROM tracks"
           % g0)


def build_mix(st):
    """QUERIES distinct query strings from the index's own words."""
    rnd = random.Random(SEED)
    # words as they occur in titles (frequent words come up often)
    rows = st.sql("SELECT title FROM tracks WHERE id IN (%s)" % ",".join(
        str(rnd.randrange(1, TRACKS + 1)) for _ in range(3000)))
    titles = [r[0] for r in rows]
    genres = [r[0] for r in st.sql("SELECT name FROM genres ORDER BY id LIMIT 30")]
    sorts = ["popularity", "release_date", "title", "duration"]
    mix, seen = [], set()
    while len(mix) < QUERIES:
        t = rnd.choice(titles).lower().split()
        w = rnd.choice(t)
        kind = rnd.random()
        p = {}
        if kind < 0.30:
            p["q"] = w[:rnd.randint(3, max(3, len(w)))]          # prefix
        elif kind < 0.50:
            p["q"] = w                                             # whole word
        elif kind < 0.60 and len(t) > 1:
            i = rnd.randrange(len(t) - 1)                          # two words
            p["q"] = t[i] + " " + t[i + 1][:rnd.randint(1, len(t[i + 1]))]
        elif kind < 0.70:
            p["q"] = w[:rnd.randint(1, 2)]                         # 1-2 letters
        elif kind < 0.85:
            p["q"] = w[:rnd.randint(3, max(3, len(w)))]            # filters
            f = rnd.choice(["genre", "year", "duration", "explicit"])
            p["type"] = "track"
            if f == "genre":
                p["genre"] = rnd.choice(genres)
            elif f == "year":
                y = rnd.randint(1960, 2020)
                p["year_from"], p["year_to"] = y, y + rnd.randint(0, 10)
            elif f == "duration":
                d = rnd.randint(90, 400) * 1000
                p["duration_min"], p["duration_max"] = d, d + 60000
            else:
                p["explicit"] = rnd.choice(["true", "false"])
        else:
            p["q"] = w[:rnd.randint(3, max(3, len(w)))]            # sorts
            p["sort"] = rnd.choice(sorts)
            p["order"] = rnd.choice(["asc", "desc"])
            if rnd.random() < 0.5:
                p["type"] = "track"
        if rnd.random() < 0.3 and "type" not in p:
            p["type"] = rnd.choice(["track", "artist", "album"])
        path = "/api/v1/search?" + urllib.parse.urlencode(p)
        if path not in seen:
            seen.add(path)
            mix.append(path)
    return mix


def run_pass(url, mix):
    lat, errors = [], []
    lock = threading.Lock()
    parts = [mix[i::CLIENTS] for i in range(CLIENTS)]

    def client(paths):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        mine = []
        for path in paths:
            t0 = time.perf_counter()
            conn.request("GET", path)
            r = conn.getresponse()
            body = r.read()
            mine.append(time.perf_counter() - t0)
            if r.status != 200:
                with lock:
                    errors.append((r.status, path, body[:200]))
        conn.close()
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=client, args=(p,)) for p in parts]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(lat), time.perf_counter() - t0, errors


def flush_cache(path):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.connect(path)
    c.sendall(b"flush_all\r\n")
    c.recv(64)
    c.close()


def pct(lat, p):
    return lat[min(len(lat) - 1, int(len(lat) * p / 100))] * 1000


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    st = Stack(build)
    fresh = st.start()
    try:
        if fresh:
            t0 = time.monotonic()
            if GENERATE:
                st.admin("generate", "--seed", str(SEED), "--tracks", str(TRACKS))
            else:
                make_world(st)
            print("world: %.1f s to load" % (time.monotonic() - t0))
            print("search rebuild: %.1f s" % st.admin("search", "rebuild"))
        counts = st.sql("SELECT (SELECT COUNT(*) FROM tracks), (SELECT COUNT(*) FROM artists), "
                        "(SELECT COUNT(*) FROM albums), (SELECT COUNT(*) FROM search_words)")[0]
        print("world: %s tracks, %s artists, %s albums; %s index entries" % tuple(counts))
        mix = build_mix(st)
        url = urllib.parse.urlparse(st.env["ENCORE_HTTP_URL"])
        # empty the page cache so the first pass reads MariaDB
        flush_cache(st.env["ENCORE_KV_SOCKET"])
        for name in ("uncached", "cached"):
            lat, wall, errors = run_pass(url, mix)
            print("%-8s %d queries, %d clients: p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  "
                  "max %.1f ms  (%.0f req/s)" % (name, len(lat), CLIENTS, pct(lat, 50),
                                                 pct(lat, 95), pct(lat, 99), lat[-1] * 1000,
                                                 len(lat) / wall))
            if errors:
                print("  %d errors, e.g. %r" % (len(errors), errors[:3]))
        if os.environ.get("BENCH_SLOW"):
            slow = []
            flush_cache(st.env["ENCORE_KV_SOCKET"])
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
            for path in mix:
                t0 = time.perf_counter()
                conn.request("GET", path)
                conn.getresponse().read()
                slow.append((time.perf_counter() - t0, path))
            for t, path in sorted(slow)[-int(os.environ["BENCH_SLOW"]):]:
                print("  %.1f ms %s" % (t * 1000, urllib.parse.unquote(path)))
    finally:
        if not KEEP:
            st.stop()


if __name__ == "__main__":
    main()
