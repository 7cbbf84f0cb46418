#!/usr/bin/python3
"""Playlist edits racing catalogue deletes through nginx: collaborators add
and move tracks of one playlist while an editor deletes tracks it holds; and
owners renaming their playlists while writing to them, the search index
following every rename. No
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


class Race:
    """Workers calling work(client, k) until an editor has deleted every
    doomed track, one each `pause` seconds; answers are counted by (who,
    status) and the unexpected ones listed."""

    def __init__(self, doomed, pause):
        self.doomed, self.pause = doomed, pause
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.answers = collections.Counter()
        self.failures = []
        self.deleting = 0  # the index in doomed of the track being deleted

    def note(self, who, r, ok=(200,)):
        with self.lock:
            self.answers[(who, r.status_code)] += 1
            if r.status_code not in ok:
                self.failures.append("%s: %d %s" % (who, r.status_code, r.text[:200]))

    def _delete(self, client):
        try:
            for i, t in enumerate(self.doomed):
                self.deleting = i
                self.note("delete", client.send("DELETE", "/api/v1/tracks/%d" % t), ok=(204,))
                time.sleep(self.pause)
        finally:
            self.stop.set()

    def run(self, users, work):
        threads = [threading.Thread(target=work, args=(Client(u), k))
                   for k, u in enumerate(users)]
        threads.append(threading.Thread(target=self._delete, args=(Client(encore.admin()),)))
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        print("  answers: %s" % dict(sorted(self.answers.items())))
        check(not self.failures, "%d failed requests, first: %s" % (
            len(self.failures), self.failures[:5]))


def test_edits_racing_track_deletes():
    tag = "race" + encore.secrets.token_hex(4)
    stable, doomed = seed(STABLE, tag + " keep"), seed(DOOMED, tag + " gone")
    owner = encore.new_user()
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
    race = Race(doomed, 0.01)
    added = collections.Counter()  # stable track -> acknowledged additions

    def edit(client, k):
        rnd = random.Random(k)
        while not race.stop.is_set():
            # The playlist never holds fewer than len(stable) tracks, so
            # these positions and ranges are valid whatever was deleted.
            if rnd.random() < 0.5:
                t = rnd.choice(stable)
                r = client.send("POST", tracks_path,
                                {"track_ids": [t], "position": rnd.randrange(len(stable))})
                race.note("add", r)
                if r.status_code == 200:
                    with race.lock:
                        added[t] += 1
            else:
                s = rnd.randrange(len(stable) - 2)
                race.note("move", client.send("POST", move_path, {
                    "range_start": s, "range_length": 2,
                    "insert_before": rnd.randrange(len(stable))}))

    race.run(editors, edit)
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
    users = [encore.new_user() for _ in range(EDITORS)]
    race = Race(doomed, 0.05)
    stored = collections.Counter()  # user id -> stable listens stored

    def listen(client, k):
        rnd = random.Random(k)
        base = 1700000000 + k * 10 ** 6
        n = 0
        while not race.stop.is_set():
            items = []
            for _ in range(50):
                n += 1
                items.append({"track_id": rnd.choice(stable + doomed),
                              "listened_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                           time.gmtime(base + n))})
            r = client.send("POST", "/api/v1/me/listens", {"listens": items})
            race.note("listens", r)
            # aimed at the track being deleted
            race.note("like", client.send("PUT", "/api/v1/me/likes/tracks/%d"
                                          % doomed[race.deleting]), ok=(204, 404))
            if r.status_code == 200:
                with race.lock:
                    stored[client.user.id] += sum(
                        1 for res in r.json()["results"]
                        if res["status"] == "stored" and items[res["index"]]["track_id"] in stable)

    race.run(users, listen)
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


def test_renames_racing_writes_stay_searchable():
    """Owners rename their playlists and add tracks to them at once: every
    write reindexes its playlist, and the index entries of neighbouring ids
    share locks. An index write that loses a deadlock is run again, so each
    playlist is found by its last name and by none of its earlier ones."""
    tag = "zq" + encore.secrets.token_hex(3)
    tracks = seed(4, tag + " t")
    owners = [encore.new_user() for _ in range(EDITORS)]
    pids = [pl.create(o)["id"] for o in owners]
    rounds = 15
    race = Race([], 0)
    last = {}

    def word(k, i):
        return "%sw%dr%d" % (tag, k, i)

    def rename(client, k):
        path = pl.path(pl.PL, id=pids[k])
        for i in range(rounds):
            r = client.send("PATCH", path, {"name": "Race %s" % word(k, i)})
            race.note("rename", r)
            if r.status_code == 200:
                last[k] = i
            race.note("add", client.send("POST", pl.path(pl.TRACKS, id=pids[k]),
                                         {"track_ids": [tracks[i % len(tracks)]]}))

    race.run(owners, rename)  # nothing doomed: the workers run their rounds

    def found(owner, w):
        r = call("GET", "/api/v1/search?type=playlist&q=" + w, token=owner.access)
        return [i["id"] for i in expect(r, 200, "GET", "/api/v1/search")["items"]]

    for k, o in enumerate(owners):
        check(found(o, word(k, last[k])) == [pids[k]],
              "playlist %d not found by its last name %s" % (pids[k], word(k, last[k])))
        for i in (0, last[k] // 2):
            if i != last[k]:
                check(found(o, word(k, i)) == [], "playlist %d still found by its old name %s"
                      % (pids[k], word(k, i)))


if __name__ == "__main__":
    encore.main(globals())
