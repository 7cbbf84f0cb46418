#!/usr/bin/python3
"""Playlist edits racing catalogue deletes through nginx: collaborators add
and move tracks of one playlist while an editor deletes tracks it holds. No
request may fail with a 5xx (a lock-order deadlock surfaces as a 503), and
the playlist must end dense, counted right, without the deleted tracks and
with every acknowledged addition.

Tracks are seeded by SQL over the stack's MariaDB socket.

Deliberate login failures here: none."""

import collections
import json
import os
import random
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
import test_playlists as pl  # noqa: E402  (its seeding and reading helpers)

encore.require_stack()

EDITORS = 4
STABLE = 12  # tracks that stay
DOOMED = 24  # tracks deleted during the race, each in the playlist twice


def seed(n, tag):
    """n fresh tracks titled `<tag> <i>`; their ids in order."""
    pl.sql("INSERT INTO tracks (title, duration_ms) VALUES %s" % ",".join(
        "('%s %d', 1000)" % (tag, i) for i in range(n)))
    return [int(r[0]) for r in pl.sql(
        "SELECT id FROM tracks WHERE title LIKE '%s %%' ORDER BY id" % tag)]


class Client:
    """One account talking from its own loopback address, so the per-address
    and per-token rate limits count each thread apart."""

    def __init__(self, user):
        self.user = user
        self.source = encore.loopback_source()

    def send(self, method, route, body=None):
        h = {"Authorization": "Bearer " + self.user.access}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        return encore.raw(method, route, body=data, headers=h, source=self.source)


def test_edits_racing_track_deletes():
    tag = "race" + encore.secrets.token_hex(4)
    stable, doomed = seed(STABLE, tag + " keep"), seed(DOOMED, tag + " gone")
    owner, curator = encore.new_user(), encore.admin()
    editors = [encore.new_user() for _ in range(EDITORS)]
    pid = pl.create(owner, collaborative=True)["id"]
    for e in editors:
        r = call("PUT", pl.path(pl.GRANT, id=pid, username=e.username), token=owner.access,
                 json_body={"access": "edit"})
        expect(r, 200, "PUT", pl.GRANT)
    # Doomed tracks between and around the stable ones, each twice.
    start = doomed[:DOOMED // 2] + stable + doomed[DOOMED // 2:] + doomed
    for at in range(0, len(start), 100):
        pl.add(owner, pid, start[at:at + 100])

    tracks_path = pl.path(pl.TRACKS, id=pid)
    move_path = pl.path(pl.MOVE, id=pid)
    stop = threading.Event()
    lock = threading.Lock()
    answers = collections.Counter()  # (who, status)
    failures = []
    added = collections.Counter()  # stable track -> acknowledged additions

    def note(who, r, what):
        with lock:
            answers[(who, r.status_code)] += 1
            if r.status_code != 200:
                failures.append("%s %s: %d %s" % (who, what, r.status_code, r.text[:200]))

    def edit(client, seed_):
        rnd = random.Random(seed_)
        while not stop.is_set():
            # The playlist never holds fewer than len(stable) tracks, so
            # these positions and ranges are valid whatever was deleted.
            if rnd.random() < 0.5:
                t = rnd.choice(stable)
                r = client.send("POST", tracks_path,
                                {"track_ids": [t], "position": rnd.randrange(len(stable))})
                note("edit", r, "add")
                if r.status_code == 200:
                    with lock:
                        added[t] += 1
            else:
                s = rnd.randrange(len(stable) - 2)
                r = client.send("POST", move_path, {
                    "range_start": s, "range_length": 2,
                    "insert_before": rnd.randrange(len(stable))})
                note("edit", r, "move")

    def delete(client):
        try:
            for t in doomed:
                r = client.send("DELETE", "/api/v1/tracks/%d" % t)
                with lock:
                    answers[("delete", r.status_code)] += 1
                    if r.status_code != 204:
                        failures.append("delete %d: %d %s" % (t, r.status_code, r.text[:200]))
                time.sleep(0.01)
        finally:
            stop.set()

    threads = [threading.Thread(target=edit, args=(Client(e), i)) for i, e in enumerate(editors)]
    threads.append(threading.Thread(target=delete, args=(Client(curator),)))
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print("  answers: %s" % dict(sorted(answers.items())))
    check(not failures, "%d failed requests, first: %s" % (len(failures), failures[:5]))

    final = pl.order(owner, pid)  # checks positions are dense
    p = pl.get(owner, pid)
    check(p["track_count"] == len(final), "track_count %d for %d rows" % (p["track_count"],
                                                                         len(final)))
    check(not set(final) & set(doomed), "deleted tracks remain: %r" % (set(final) & set(doomed)))
    want = collections.Counter(stable)
    want.update(added)
    check(collections.Counter(final) == want,
          "tracks %r, expected %r" % (collections.Counter(final), want))


def test_listens_and_likes_racing_track_deletes():
    """Listen batches and likes of tracks that an editor deletes meanwhile:
    no 5xx; every listen acknowledged as stored of a track that stays is in
    MariaDB, and no listen or like of a deleted track remains (a like
    written between its check and the deletion once stayed behind)."""
    tag = "lrace" + encore.secrets.token_hex(4)
    stable, doomed = seed(STABLE, tag + " keep"), seed(DOOMED, tag + " gone")
    curator = encore.admin()
    users = [encore.new_user() for _ in range(EDITORS)]
    stop = threading.Event()
    lock = threading.Lock()
    failures, stored = [], collections.Counter()  # user id -> stable listens stored
    doomed_next = [0]  # the index of the track being deleted, which likes aim at

    def listen(client, k):
        rnd = random.Random(k)
        base = 1700000000 + k * 10 ** 6
        n = 0
        while not stop.is_set():
            items = []
            for _ in range(50):
                n += 1
                t = rnd.choice(stable + doomed)
                items.append({"track_id": t, "listened_at": time.strftime(
                    "%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + n))})
            r = client.send("POST", "/api/v1/me/listens", {"listens": items})
            like = client.send("PUT", "/api/v1/me/likes/tracks/%d" % doomed[doomed_next[0]])
            with lock:
                if r.status_code != 200:
                    failures.append("listens: %d %s" % (r.status_code, r.text[:200]))
                else:
                    for res in r.json()["results"]:
                        if res["status"] == "stored" and items[res["index"]]["track_id"] in stable:
                            stored[client.user.id] += 1
                if like.status_code not in (204, 404):
                    failures.append("like: %d %s" % (like.status_code, like.text[:200]))

    def delete(client):
        try:
            for i, t in enumerate(doomed):
                doomed_next[0] = i
                r = client.send("DELETE", "/api/v1/tracks/%d" % t)
                if r.status_code != 204:
                    with lock:
                        failures.append("delete %d: %d %s" % (t, r.status_code, r.text[:200]))
                time.sleep(0.05)
        finally:
            stop.set()

    threads = [threading.Thread(target=listen, args=(Client(u), i)) for i, u in enumerate(users)]
    threads.append(threading.Thread(target=delete, args=(Client(curator),)))
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    print("  stable listens stored: %d" % sum(stored.values()))
    check(not failures, "%d failed requests, first: %s" % (len(failures), failures[:5]))
    for u in users:
        rows = pl.sql("SELECT track_id, COUNT(*) FROM listens WHERE user_id = %d GROUP BY track_id"
                      % u.id)
        got = {int(t): int(c) for t, c in rows}
        check(not set(got) & set(doomed), "listens of deleted tracks remain: %r" % got)
        check(sum(got.values()) == stored[u.id], "user %d: %d stable listens stored, %d in "
              "MariaDB" % (u.id, stored[u.id], sum(got.values())))
    left = pl.sql("SELECT COUNT(*) FROM likes WHERE object_type = 'track' AND object_id IN (%s)"
                  % ",".join(map(str, doomed)))
    check(left[0][0] == "0", "%s likes of deleted tracks remain" % left[0][0])


if __name__ == "__main__":
    encore.main(globals())
