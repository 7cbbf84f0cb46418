#!/usr/bin/python3
"""encore-recs train, rollback and status against the stack's MariaDB: a
small world seeded through the API (listens, skips, likes, dislikes,
playlist additions, preferences; follows by SQL, the API has no route for
them; user tags by SQL, as the HetRec import writes them), a full run that
serves a new version whose lists leave out what each user knows, skipped
and disliked and whose reasons name real rows, and whose artist-level
validation held the tags of its held-out pairs back with them; rollback;
pruning to two versions; a light run that rewrites only active users and
copies the others; a run that fails inside the store (a trigger refuses
rec_popular rows) and leaves the serving version alone; and an empty
database (a scratch one).

The lists are decoded exactly as src/model/recfmt.h says (header '<3sBI':
"ER1", kind, count; entries '<QQfB3x': item, reason id, score, reason).
Switching the shared stack's serving version would disturb other files'
tests, so this file runs alone (CTEST_RUN_SERIAL)."""

import datetime
import json
import os
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
import bulkdb  # noqa: E402
from test_likes import kv  # noqa: E402
from test_listens import create, q, sql  # noqa: E402

encore.require_stack()

LISTENS = "/api/v1/me/listens"
PREFS = "/api/v1/me/preferences"
LIKE = "/api/v1/me/likes/{type}/{id}"
DISLIKE = "/api/v1/me/dislikes/{type}/{id}"
PLAYLISTS = "/api/v1/playlists"
PL_TRACKS = "/api/v1/playlists/{id}/tracks"

R_NONE, R_ITEM, R_ARTIST, R_GENRE, R_SOCIAL, R_POPULAR = range(6)


# --------------------------------------------------------------------------
# The program


def recs_bin():
    b = os.environ.get("ENCORE_BUILDDIR")
    if b:
        return os.path.join(b, "src", "batch", "recs", "encore-recs")
    admin = encore.stack()["ENCORE_ADMIN_BIN"]
    return os.path.join(os.path.dirname(os.path.dirname(admin)), "batch", "recs",
                        "encore-recs")


def recs(*args, db=None):
    """encore-recs COMMAND on the stack's configuration (database db when
    given); the CompletedProcess."""
    env = dict(os.environ)
    if db:
        env["ENCORE_DB_NAME"] = db
        env["ENCORE_KV_SERVERS"] = ""
    conf = encore.stack().get("ENCORE_CONF") or os.path.join(encore.stack_dir(),
                                                             "encore.conf")
    env["OMP_NUM_THREADS"] = "2"
    return subprocess.run([recs_bin(), args[0], "-c", conf] + list(args[1:]), env=env,
                          capture_output=True, text=True, timeout=600)


def train(*args, db=None):
    r = recs("train", *args, db=db)
    check(r.returncode == 0, "train exited %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    return r


def serving(db=None):
    """(version, previous) of rec_serving, (None, None) without a row."""
    rows = bulkdb.sql("SELECT version, IFNULL(previous, 0) FROM rec_serving WHERE slot = 1",
                      db or encore.conf().get("db_name", "encore"))
    return (int(rows[0][0]), int(rows[0][1])) if rows else (None, None)


def decode(hexblob, kind):
    b = bytes.fromhex(hexblob)
    magic, k, n = struct.unpack_from("<3sBI", b)
    check(magic == b"ER1" and k == ord(kind) and len(b) == 8 + 24 * n,
          "corrupt %s blob: %r" % (kind, b[:8]))
    return [struct.unpack_from("<QQfB3x", b, 8 + 24 * i) for i in range(n)]


def user_list(version, user_id, kind="track"):
    """The decoded list of a user, None when the version has none."""
    rows = sql("SELECT HEX(items) FROM rec_user_lists WHERE version = %d AND user_id = %d "
               "AND item_type = '%s'" % (version, user_id, kind))
    return decode(rows[0][0], "L") if rows else None


def raw_list(version, user_id, kind="track"):
    rows = sql("SELECT HEX(items) FROM rec_user_lists WHERE version = %d AND user_id = %d "
               "AND item_type = '%s'" % (version, user_id, kind))
    return rows[0][0] if rows else None


def version_row(v):
    rows = sql("SELECT kind, state, n_users, n_tracks, n_artists, stats FROM rec_versions "
               "WHERE id = %d" % v)
    return rows[0] if rows else None


# --------------------------------------------------------------------------
# A small world through the API: two genres, six artists, three tracks each


class World:
    pass


W = World()


def ts(minutes_ago):
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def listen(u, tid, ms_played=200000, minutes_ago=60):
    body = {"track_id": tid, "listened_at": ts(minutes_ago), "ms_played": ms_played}
    rep = expect(call("POST", LISTENS, token=u.access, json_body=body), 200, "POST", LISTENS)
    check(rep["stored"] == 1, repr(rep))


def put(route, u, **ids):
    path = route.format(**ids)
    expect(call("PUT", path, token=u.access), 204, "PUT", route)


def seed():
    tag = encore.unique("rb")
    W.genre_names = ["RbRock " + tag, "RbJazz " + tag]
    W.artists, W.tracks, W.artist_of = [], [], {}
    for i in range(6):
        g = W.genre_names[i // 3]
        aid = create("/api/v1/artists", {"name": "Rb artist %d %s" % (i, tag), "genres": [g]})
        W.artists.append(aid)
        for j in range(3):
            tid = create("/api/v1/tracks", {"title": "Rb song %d.%d %s" % (i, j, tag),
                                            "artists": [{"id": aid}], "duration_ms": 200000,
                                            "genres": [g], "release_date": "1994-05-0%d" % (j + 1),
                                            "audio_features": {"energy": 0.2 + 0.3 * j}})
            W.tracks.append(tid)
            W.artist_of[tid] = aid
    W.genres = [int(sql("SELECT id FROM genres WHERE name = %s" % q(n))[0][0])
                for n in W.genre_names]
    t = W.tracks
    # Listeners who tie the first six tracks together, and a few more to them.
    W.fans = [encore.new_user() for _ in range(4)]
    tagged = []
    for k, f in enumerate(W.fans):
        played = t[:6] + ([t[6], t[9], t[12]] if k % 2 else [t[7], t[15]])
        for tid in played:
            listen(f, tid, minutes_ago=30 + k)
        # Each fan tags every artist played: the odd ones play five, so the
        # validation holds one out, and that tag with it.
        tagged += ["(%d, %d, %d)" % (f.id, aid, W.genres[0])
                   for aid in sorted({W.artist_of[tid] for tid in played})]
    sql("INSERT INTO user_artist_tags (user_id, artist_id, genre_id) VALUES "
        + ", ".join(tagged))
    W.n_tagged = len(tagged)
    # alice: three full plays, two early skips of t[3], a like, a dislike, a
    # playlist addition; she follows the first fan.
    W.alice = a = encore.new_user()
    for tid in t[:3]:
        listen(a, tid)
    listen(a, t[3], ms_played=4000, minutes_ago=50)
    listen(a, t[3], ms_played=9000, minutes_ago=40)
    put(LIKE, a, type="tracks", id=t[4])
    put(DISLIKE, a, type="tracks", id=t[5])
    put(DISLIKE, a, type="artists", id=W.artists[3])
    pl = expect(call("POST", PLAYLISTS, token=a.access, json_body={"name": "Rb " + tag}),
                201, "POST", PLAYLISTS)["id"]
    expect(call("POST", PL_TRACKS.format(id=pl), token=a.access,
                json_body={"track_ids": [t[6]]}), 200, "POST", PL_TRACKS)
    sql("INSERT INTO follows (follower_id, followee_id) VALUES (%d, %d)"
        % (a.id, W.fans[0].id))
    W.alice_known = set(t[:5]) | {t[6]}
    W.alice_negative = {t[3], t[5]}
    # the disliked artist's tracks, which the odd fans played alongside hers
    W.alice_banned = set(t[9:12])
    # dave has preferences only (a genre named in another case).
    W.dave = encore.new_user()
    expect(call("PUT", PREFS, token=W.dave.access,
                json_body={"favourite_genres": [W.genre_names[1].upper(), "No such genre"]}),
           200, "PUT", PREFS)


def exists(table, oid):
    return sql("SELECT COUNT(*) FROM %s WHERE id = %d" % (table, oid))[0][0] == "1"


def check_reasons(lst, level):
    same = "tracks" if level == "track" else "artists"
    for item, rid, score, reason in lst:
        check(exists(same, item), "recommended %s %d does not exist" % (level, item))
        check(score == score, "a NaN score")
        check(reason <= R_POPULAR, "reason %d" % reason)
        table = {R_ITEM: same, R_ARTIST: "artists", R_GENRE: "genres",
                 R_SOCIAL: "users"}.get(reason)
        if table:
            check(exists(table, rid), "reason %d names a missing row %d" % (reason, rid))
        elif reason == R_POPULAR:
            check(rid == 0 or exists("genres", rid), "popular in genre %d" % rid)


# --------------------------------------------------------------------------
# Tests


def test_usage_errors():
    for args in (["train", "--threads", "0"], ["train", "--frobnicate"], ["status", "x"],
                 ["nosuch"]):
        r = subprocess.run([recs_bin()] + args, capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and "usage" in r.stderr, "%r: %d %s" % (args, r.returncode,
                                                                       r.stderr))


def test_full_run_serves_lists_without_known_items():
    seed()
    cur0, _ = serving()
    r = train("--threads", "2")
    v, prev = serving()
    check(v is not None and v != cur0 and prev == (cur0 or 0), "serving %r after %r" % (v, cur0))
    check("version %d serving" % v in r.stdout and "peak RSS" in r.stdout, r.stdout)
    kind, state, n_users, n_tracks, n_artists, stats = version_row(v)
    check(kind == "full" and state == "ready", "%s %s" % (kind, state))
    check(int(n_tracks) >= 12 and int(n_artists) >= 4 and int(n_users) >= 6,
          "counts %s %s %s" % (n_users, n_tracks, n_artists))
    check('"track"' in stats and '"read_s"' in stats and '"peak_rss_mb"' in stats, stats)
    art_stats = json.loads(stats)["artist"]["train"]
    check(art_stats["taggings"] >= W.n_tagged and
          art_stats["validation"]["taggings_held_out"] >= 1,
          "artist level: %r" % art_stats)

    a = user_list(v, W.alice.id)
    check(a, "alice has no track list")
    items = [e[0] for e in a]
    check(not set(items) & (W.alice_known | W.alice_negative),
          "alice's list holds known, skipped or disliked tracks: %r" %
          (set(items) & (W.alice_known | W.alice_negative)))
    check(not set(items) & W.alice_banned,
          "alice's list holds tracks of the artist she disliked: %r" % (set(items) & W.alice_banned))
    check(len(items) == len(set(items)), "a track twice")
    check(all(a[k][2] >= a[k + 1][2] for k in range(len(a) - 1)), "not best first")
    check_reasons(a, "track")
    # The rock fans' tracks are alice's nearest: the jazz tracks the fans
    # played outrank the ones nobody played.
    check({W.tracks[7], W.tracks[12], W.tracks[15]} & set(items),
          "no co-listened track for alice: %r" % items[:10])

    art = user_list(v, W.alice.id, "artist")
    check(art is not None, "alice has no artist list")
    check(W.artists[3] not in [e[0] for e in art], "a disliked artist recommended")
    for known in (W.artists[0], W.artists[1]):
        check(known not in [e[0] for e in art], "known artist %d recommended" % known)
    check_reasons(art, "artist")

    d = user_list(v, W.dave.id)
    check(d, "dave (preferences only) has no list")
    check_reasons(d, "track")

    nb = sql("SELECT HEX(items) FROM rec_neighbours WHERE version = %d AND item_type = 'track' "
             "AND item_id = %d" % (v, W.tracks[0]))
    check(nb, "track %d has no neighbours" % W.tracks[0])
    nbl = decode(nb[0][0], "N")
    check(W.tracks[0] not in [e[0] for e in nbl] and
          set(e[0] for e in nbl) & set(W.tracks[1:6]), "neighbours %r" % nbl)
    pop = sql("SELECT HEX(items) FROM rec_popular WHERE version = %d AND item_type = 'track' "
              "AND genre_id = 0" % v)
    check(pop and decode(pop[0][0], "P"), "no overall popularity list")
    check(sql("SELECT COUNT(*) FROM rec_popular WHERE version = %d AND item_type = 'track' "
              "AND genre_id = %d" % (v, W.genres[0]))[0][0] == "1", "no rock popularity list")

    st = recs("status")
    check(st.returncode == 0 and ("serving   %d full ready" % v) in st.stdout, st.stdout)


def test_failed_store_leaves_serving_untouched():
    db = encore.conf().get("db_name", "encore")
    before = serving()
    bulkdb.sql("CREATE TRIGGER rb_refuse BEFORE INSERT ON rec_popular FOR EACH ROW "
               "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'rec_popular refused'", db)
    try:
        r = recs("train", "--threads", "2")
    finally:
        bulkdb.sql("DROP TRIGGER IF EXISTS rb_refuse", db)
    check(r.returncode == 1, "exit %d: %s" % (r.returncode, r.stdout))
    check("rec_popular" in r.stderr and "serving version is unchanged" in r.stderr, r.stderr)
    check(serving() == before, "serving moved: %r -> %r" % (before, serving()))
    W.failed = int(sql("SELECT MAX(id) FROM rec_versions")[0][0])
    check(version_row(W.failed)[1] == "failed" and
          "storing tracks failed" in version_row(W.failed)[5], repr(version_row(W.failed)))
    for t in ("rec_user_lists", "rec_neighbours", "rec_popular"):
        n = sql("SELECT COUNT(*) FROM %s WHERE version = %d" % (t, W.failed))[0][0]
        check(n == "0", "%s keeps %s rows of the failed run" % (t, n))
    st = recs("status")
    check(st.returncode == 0 and ("latest    %d" % W.failed) in st.stdout, st.stdout)


def test_two_versions_kept_and_rollback():
    v1, _ = serving()
    train("--threads", "2")
    v2, prev = serving()
    check(v2 > v1 and prev == v1, "%r -> %r/%r" % (v1, v2, prev))
    # Everything older than the previous version is gone, the failed run too.
    left = sql("SELECT id FROM rec_versions WHERE id <= %d ORDER BY id" % v2)
    check([int(x[0]) for x in left] == [v1, v2], "versions kept: %r" % left)
    for t in ("rec_user_lists", "rec_neighbours", "rec_popular"):
        vs = {int(x[0]) for x in sql("SELECT DISTINCT version FROM %s" % t)}
        check(vs <= {v1, v2}, "%s still holds versions %r" % (t, vs - {v1, v2}))
    kv("set recs:serving 0 60 1\r\n%d\r\n" % v2)  # the API's cached copy
    r = recs("rollback")
    check(r.returncode == 0 and "version %d serving" % v1 in r.stdout, r.stdout + r.stderr)
    check(serving() == (v1, v2), "after rollback: %r" % (serving(),))
    check(kv("get recs:serving\r\n") == "END\r\n", "the cached serving version stayed")
    r = recs("rollback")  # and back again
    check(r.returncode == 0 and serving() == (v2, v1), "%r" % (serving(),))


def test_light_run_rewrites_active_users_only():
    v, _ = serving()
    time.sleep(1.2)  # the new listen must be later than v's data_until
    listen(W.alice, W.tracks[7], minutes_ago=0)
    r = train("--light", "--threads", "2")
    lv, prev = serving()
    check(lv > v and prev == v, "%r/%r" % (lv, prev))
    check(version_row(lv)[0] == "light", "kind %r" % version_row(lv)[0])
    check('"changed_users":' in version_row(lv)[5], version_row(lv)[5])
    a = user_list(lv, W.alice.id)
    check(a and W.tracks[7] not in [e[0] for e in a], "alice's new listen still recommended")
    for f in W.fans + [W.dave]:
        check(raw_list(lv, f.id) == raw_list(v, f.id) and raw_list(v, f.id),
              "an inactive user's list was not copied")
    check(raw_list(lv, W.fans[0].id, "artist") == raw_list(v, W.fans[0].id, "artist"),
          "artist list not copied")
    check("light" in r.stdout, r.stdout)


def test_empty_database():
    with bulkdb.Scratch("t_recs") as db:
        r = recs("rollback", db=db)
        check(r.returncode == 1 and "no previous version" in r.stderr, r.stderr)
        r = train("--light", db=db)
        check("full retrain" in r.stdout, r.stdout)
        v, prev = serving(db)
        check(v and not prev, "%r %r" % (v, prev))
        check(bulkdb.one("SELECT CONCAT(kind, ' ', state) FROM rec_versions WHERE id = %d" % v,
                         db) == "full ready", "version row")
        for t in ("rec_user_lists", "rec_neighbours", "rec_popular"):
            check(bulkdb.one("SELECT COUNT(*) FROM %s" % t, db) == "0", "rows in " + t)
        r = recs("status", db=db)
        check(r.returncode == 0 and "previous  none" in r.stdout, r.stdout)
        bulkdb.sql("DROP TABLE rec_versions", db)  # a schema that is not migrated
        r = recs("train", db=db)
        check(r.returncode == 1 and "migrated" in r.stderr and serving(db) == (v, 0),
              r.stderr)


if __name__ == "__main__":
    encore.main(globals())
