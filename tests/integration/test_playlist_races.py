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


if __name__ == "__main__":
    encore.main(globals())
