#!/usr/bin/python3
"""Scrobbling benchmark: ingestion through /2.0/ (track.scrobble, batches of
50) and /1/submit-listens (imports of 1,000), each with a check that every
scrobble acknowledged is stored; a 10,000-track Spotify library imported
from the fake Spotify; and the delivery of 100,000 queued scrobbles to a
fake Last.fm that fails 10% of requests at random (half of them after
storing the batch), with a check that none is lost and none sent twice.

Usage: tests/bench/scrobble.py [BUILD_DIR]        (default: ./build)
       env BENCH_USERS (16), BENCH_CLIENTS (8 threads),
           BENCH_LFM (scrobbles per user through /2.0/, 2,500: under the
           daily 3,000), BENCH_LB (listens per user through /1/, 3,000),
           BENCH_LIBRARY (10,000 tracks), BENCH_OUTBOX (100,000 scrobbles,
           over BENCH_OUT_USERS 20 users), BENCH_FAIL (0.1),
           BENCH_PARTS (ingest,import,deliver)
Starts a private test stack (its fakes' settings) on free ports under
BUILD_DIR/bench-scrobble with nginx limits lifted, runs the clients over
loopback HTTP with keep-alive (bodies built and signed before the clock
starts), prints the figures, and stops the stack."""

import http.client
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
USERS = int(os.environ.get("BENCH_USERS", "16"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
LFM = int(os.environ.get("BENCH_LFM", "2500"))
LB = int(os.environ.get("BENCH_LB", "3000"))
LIBRARY = int(os.environ.get("BENCH_LIBRARY", "10000"))
OUTBOX = int(os.environ.get("BENCH_OUTBOX", "100000"))
OUT_USERS = int(os.environ.get("BENCH_OUT_USERS", "20"))
FAIL = float(os.environ.get("BENCH_FAIL", "0.1"))
PARTS = os.environ.get("BENCH_PARTS", "ingest,import,deliver").split(",")


def start_stack(build):
    d = os.path.join(build, "bench-scrobble")
    shutil.rmtree(d, ignore_errors=True)
    e = dict(os.environ, ENCORE_STACK_TEST="1", ENCORE_HTTPS_PORT="0", ENCORE_HTTP_PORT="0",
             ENCORE_RATE_IP="1000000r/s", ENCORE_RATE_TOKEN="1000000r/s",
             ENCORE_BURST_IP="100000", ENCORE_BURST_TOKEN="100000")
    subprocess.run([os.path.join(build, "src", "stack", "encore-stack"), "start", d], env=e,
                   check=True, stdout=subprocess.DEVNULL)
    os.environ["ENCORE_STACK_DIR"] = d
    os.environ["ENCORE_BUILDDIR"] = build
    return d


def blast(bodies, path, headers_of, ok_count):
    """Send bodies [(user index, body)] from CLIENTS threads over keep-alive
    HTTP; the number each answer acknowledges (ok_count), summed, and the
    seconds taken."""
    import encore
    url = urllib.parse.urlparse(encore.stack()["ENCORE_HTTP_URL"])
    acked, errors, lock = [0], [], threading.Lock()
    queue = list(bodies)

    def worker():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                u, body = queue.pop()
            conn.request("POST", path, body=body, headers=headers_of(u))
            r = conn.getresponse()
            data = r.read()
            n = ok_count(r.status, data)
            with lock:
                if n is None:
                    errors.append((r.status, data[:200]))
                else:
                    acked[0] += n
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    if errors:
        print("  errors: %d, first %r" % (len(errors), errors[0]))
    return acked[0], took


def stored(ids):
    import scrobbling as sc
    q = ",".join(str(i) for i in ids)
    n = sc.db("SELECT (SELECT COUNT(*) FROM listens WHERE user_id IN (%s)) + "
              "(SELECT COUNT(*) FROM text_listens WHERE user_id IN (%s))" % (q, q))
    return int(n[0][0])


def ingest():
    import encore
    import scrobbling as sc
    users = [encore.new_user() for _ in range(USERS)]
    # Last.fm: a session per user, batches of 50 signed beforehand
    keys = []
    for u in users:
        key, secret = sc.app_key(u, "bench")
        keys.append((key, secret, sc.mobile_session(u, key, secret)))
    now = int(time.time()) - 12 * 86400
    bodies = []
    for i, (key, secret, sk) in enumerate(keys):
        for b in range(0, LFM, 50):
            p = {"method": "track.scrobble", "api_key": key, "sk": sk}
            for j in range(min(50, LFM - b)):
                n = b + j
                p["artist[%d]" % j] = "Bench Artist %d" % (n % 300)
                p["track[%d]" % j] = "Bench Song %d" % n
                p["album[%d]" % j] = "Bench Album %d" % (n % 500)
                p["timestamp[%d]" % j] = str(now + n * 30)
                p["duration[%d]" % j] = "200"
            p["api_sig"] = sc.sign(p, secret)
            bodies.append((i, urllib.parse.urlencode(p)))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    accepted = re.compile(rb'accepted="(\d+)"')

    def lfm_ok(status, data):
        m = accepted.search(data)
        return int(m.group(1)) if status == 200 and m else None

    before = stored([u.id for u in users])
    acked, took = blast(bodies, "/2.0/", lambda u: form, lfm_ok)
    got = stored([u.id for u in users]) - before
    print("/2.0/ track.scrobble: %d scrobbles acknowledged in %.2f s: %.0f scrobbles/s "
          "(%d users, %d clients, batches of 50); stored %d%s" % (
              acked, took, acked / took, USERS, CLIENTS, got, "" if got == acked else "  MISMATCH"))
    # ListenBrainz: imports of 1,000
    import json
    tokens = [sc.lb_token(u) for u in users]
    bodies = []
    for i in range(USERS):
        for b in range(0, LB, 1000):
            payload = [{"listened_at": now + 100000 + n * 30,
                        "track_metadata": {"artist_name": "LB Artist %d" % (n % 300),
                                           "track_name": "LB Song %d" % n,
                                           "release_name": "LB Album %d" % (n % 500),
                                           "additional_info": {"duration_ms": 200000}}}
                       for n in range(b, min(LB, b + 1000))]
            bodies.append((i, json.dumps({"listen_type": "import", "payload": payload})))

    def lb_ok(status, data):
        return 1000 if status == 200 else None

    before = stored([u.id for u in users])
    acked, took = blast(bodies, "/1/submit-listens",
                        lambda u: {"Authorization": "Token " + tokens[u],
                                   "Content-Type": "application/json"}, lb_ok)
    got = stored([u.id for u in users]) - before
    print("/1/submit-listens import: %d listens acknowledged in %.2f s: %.0f listens/s "
          "(%d users, %d clients, 1,000 a request); stored %d%s" % (
              acked, took, acked / took, USERS, CLIENTS, got, "" if got == acked else "  MISMATCH"))


def spotify_import(F):
    import encore
    import fakes
    import scrobbling as sc
    sys.path.insert(0, os.path.join(HERE, "..", "integration"))
    import test_integrations as ti
    ti.F = F
    u = encore.new_user()
    who = "benchsp" + secrets.token_hex(3)
    prefix = "b" + secrets.token_hex(3)
    F.sp_library[who] = {"saved": [{"added_at": "2024-01-01T00:00:00Z",
                                    "track": fakes.spotify_track(i, prefix, artists=30)}
                                   for i in range(LIBRARY)]}
    ti.link_spotify(u, who)
    jid = ti.start_import(u, "spotify", ["saved_tracks"])
    t0 = time.monotonic()
    runs = 0
    while True:
        r = sc.program("encore-import", "--for", "50", "--art", "0")
        runs += 1
        j = ti.job(u, jid)
        if j["state"] in ("done", "failed") or runs > 10:
            break
    took = time.monotonic() - t0
    print("Spotify import of %d saved tracks: %s in %.1f s (%d runs of encore-import): %s" % (
        LIBRARY, j["state"], took, runs, j["summary"]))


def deliver(F):
    import encore
    import scrobbling as sc
    sys.path.insert(0, os.path.join(HERE, "..", "integration"))
    import test_integrations as ti
    ti.F = F
    per = OUTBOX // OUT_USERS
    users, names = [], []
    for i in range(OUT_USERS):
        u = encore.new_user()
        name = "benchlfm%d_%s" % (i, secrets.token_hex(3))
        F.lastfm_approve_as = name
        ti.callback(ti.follow(ti.authorize(u, "lastfm")))
        users.append(u)
        names.append(name)
    start = int(time.time()) - 10 * 86400
    for u in users:
        sc.db("INSERT INTO scrobble_outbox (user_id, service, listened_at, artist, title, album, "
              "duration_ms) SELECT %d, 'lastfm', FROM_UNIXTIME(%d + seq * 7), "
              "CONCAT('Out Artist ', seq MOD 97), CONCAT('Out Song ', seq), 'Out Album', 200000 "
              "FROM seq_1_to_%d" % (u.id, start, per))
    F.lastfm_fail_rate = FAIL
    q = ",".join(str(u.id) for u in users)
    t0 = time.monotonic()
    runs = 0
    while True:
        r = sc.program("encore-scrobble", "--for", "50", "--rate", "0", "--backoff", "1",
                       "--doubt-after", "3", timeout=600)
        runs += 1
        left = int(sc.db("SELECT COUNT(*) FROM scrobble_outbox WHERE user_id IN (%s) AND "
                         "state IN ('queued', 'sending')" % q)[0][0])
        if left == 0 or runs > 60:
            break
        time.sleep(1)
    took = time.monotonic() - t0
    F.lastfm_fail_rate = 0.0
    want = {(start + s * 7, "Out Artist %d" % (s % 97), "Out Song %d" % s) for s in range(1, per + 1)}
    lost = sum(len(want - set(F.lastfm_scrobbles[n])) for n in names)
    extra = sum(len(set(F.lastfm_scrobbles[n]) - want) for n in names)
    sent = sum(len(F.lastfm_scrobbles[n]) for n in names)
    print("delivery of %d queued scrobbles to a fake Last.fm failing %d%% of requests: "
          "%d delivered in %.1f s (%d runs of encore-scrobble, %d requests), lost %d, "
          "duplicated %d, unknown %d" % (
              per * OUT_USERS, FAIL * 100, sent, took, runs, F.lastfm_requests, lost,
              F.lastfm_dupes, extra))


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
    sys.path.insert(0, os.path.join(HERE, "..", "integration"))
    d = start_stack(build)
    F = None
    try:
        import encore
        encore.require_stack()
        sys.path.insert(0, os.path.join(HERE, "..", "integration"))
        import test_integrations as ti
        ti.setup()
        F = ti.F
        print("load average before: %s" % open("/proc/loadavg").read().strip())
        if "ingest" in PARTS:
            ingest()
        if "import" in PARTS:
            spotify_import(F)
        if "deliver" in PARTS:
            deliver(F)
        print("load average after: %s" % open("/proc/loadavg").read().strip())
    finally:
        if F:
            F.stop()
        subprocess.run([os.path.join(build, "src", "stack", "encore-stack"), "stop", d],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
