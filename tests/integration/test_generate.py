#!/usr/bin/python3
"""encore-admin generate: a small synthetic world in a scratch database —
the counts asked for, consistent keys and popularity, the shape (Zipf-like
track popularity, listens within the users' tastes, follows within taste
clusters), the demo user among the listeners, refusal of a second world,
the same rows for the same seed, and usage errors."""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import check  # noqa: E402
import bulkdb  # noqa: E402
from bulkdb import one, sql  # noqa: E402

encore.require_stack()

WORLD = ["--seed", "5", "--users", "80", "--artists", "40", "--albums", "90",
         "--tracks", "800", "--listens", "12000", "--playlists", "15",
         "--end-date", "2026-01-01"]


def test_small_world():
    with bulkdb.Scratch("t_gen") as db:
        r = bulkdb.admin(db, "user", "create", "--username", "demo_gen",
                         "--email", "demo_gen@example.com", "--password",
                         encore.strong_password())
        check(r.returncode == 0, "user create: %s" % r.stderr)
        r = bulkdb.admin(db, "generate", *WORLD, "--demo-user", "demo_gen")
        check(r.returncode == 0, "generate failed: %s %s" % (r.stdout, r.stderr))
        demo = one("SELECT id FROM users WHERE username = 'demo_gen'", db)

        counts = sql("SELECT (SELECT COUNT(*) FROM users WHERE email LIKE '%@generated.invalid'),"
                     "(SELECT COUNT(*) FROM artists), (SELECT COUNT(*) FROM albums),"
                     "(SELECT COUNT(*) FROM tracks), (SELECT COUNT(*) FROM playlists)", db)[0]
        check(counts == ["80", "40", "90", "800", "18"], "counts %r" % counts)
        generated_listens = int(one("SELECT COUNT(*) FROM listens WHERE user_id <> %s" % demo, db))
        check(generated_listens == 12000, "listens %d" % generated_listens)
        demo_listens = int(one("SELECT COUNT(*) FROM listens WHERE user_id = %s" % demo, db))
        check(demo_listens >= 300, "the demo user has %d listens" % demo_listens)
        check(int(one("SELECT COUNT(*) FROM likes WHERE user_id = %s" % demo, db)) > 0,
              "the demo user likes nothing")
        check(one("SELECT COUNT(*) FROM playlists WHERE owner_id = %s" % demo, db) == "3",
              "the demo user's playlists")
        check(int(one("SELECT COUNT(*) FROM follows WHERE followee_id = %s" % demo, db)) > 0,
              "nobody follows the demo user")

        # keys and derived columns agree
        check(one("SELECT SUM(popularity) FROM tracks", db) ==
              one("SELECT COUNT(*) FROM listens", db), "track popularity is not the listens")
        check(one("SELECT COUNT(*) FROM albums a WHERE popularity <> (SELECT "
                  "COALESCE(SUM(t.popularity), 0) FROM tracks t WHERE t.album_id = a.id)", db)
              == "0", "album popularity")
        check(one("SELECT COUNT(*) FROM tracks t WHERE NOT EXISTS (SELECT 1 FROM "
                  "track_artists ta WHERE ta.track_id = t.id AND ta.role = 'primary')", db)
              == "0", "a track without a primary artist")
        check(one("SELECT COUNT(*) FROM (SELECT track_id, COUNT(*) n FROM track_genres "
                  "GROUP BY track_id HAVING n BETWEEN 1 AND 3) x", db) == "800",
              "tracks need 1-3 genres")
        check(one("SELECT COUNT(*) FROM listens l LEFT JOIN tracks t ON t.id = l.track_id "
                  "LEFT JOIN users u ON u.id = l.user_id WHERE t.id IS NULL OR u.id IS NULL",
                  db) == "0", "a listen of a missing track or user")
        check(one("SELECT COUNT(*) FROM listens WHERE listened_at < '2025-01-01' "
                  "OR listened_at >= '2026-01-01'", db) == "0", "a listen outside the year")
        check(one("SELECT COUNT(*) FROM tracks WHERE isrc NOT REGEXP '^ZZ[0-9A-Z]{3}[0-9]{7}$' "
                  "OR energy < 0 OR energy > 1 OR duration_ms < 45000", db) == "0",
              "bad track fields")
        check(one("SELECT COUNT(*) FROM follows WHERE follower_id = followee_id", db) == "0",
              "a self-follow")
        check(one("SELECT COUNT(*) FROM playlists p WHERE track_count <> (SELECT COUNT(*) "
                  "FROM playlist_tracks x WHERE x.playlist_id = p.id) OR track_count - 1 <> "
                  "(SELECT MAX(position) FROM playlist_tracks x WHERE x.playlist_id = p.id)",
                  db) == "0", "playlist positions are not dense")
        check(one("SELECT COUNT(*) FROM genres", db) == "66", "the genre list")
        check(int(one("SELECT COUNT(*) FROM likes WHERE object_type = 'playlist'", db)) > 0,
              "no playlist is liked")
        check(one("SELECT COUNT(*) FROM likes l LEFT JOIN playlists p ON p.id = l.object_id "
                  "WHERE l.object_type = 'playlist' AND (p.id IS NULL OR "
                  "p.visibility <> 'public')", db) == "0", "a liked playlist is not public")
        check(one("SELECT COUNT(*) FROM playlists WHERE (visibility = 'unlisted') <> "
                  "(unlisted_key IS NOT NULL AND unlisted_key REGEXP "
                  "'^[A-Za-z0-9_-]{22}$')", db) == "0",
              "an unlisted playlist without its key, or a key elsewhere")
        check(one("SELECT COUNT(*) FROM likes l LEFT JOIN tracks t ON t.id = l.object_id "
                  "WHERE l.object_type = 'track' AND t.id IS NULL", db) == "0",
              "a liked track is missing")

        # shape: a tenth of the tracks take a large share of the listens
        pops = [int(x[0]) for x in sql("SELECT popularity FROM tracks ORDER BY popularity DESC", db)]
        top = sum(pops[:len(pops) // 10]) / sum(pops)
        check(top > 0.35, "the top 10%% of tracks have %.0f%% of the listens" % (100 * top))
        # listens mostly within the listener's genres
        inside = float(one(
            "SELECT AVG(EXISTS (SELECT 1 FROM track_genres tg JOIN genres g ON g.id = tg.genre_id "
            "WHERE tg.track_id = l.track_id AND JSON_CONTAINS(p.favourite_genres, "
            "JSON_QUOTE(g.name)))) FROM listens l JOIN user_preferences p ON p.user_id = l.user_id",
            db))
        check(inside > 0.7, "only %.0f%% of listens within the user's genres" % (100 * inside))
        # follows mostly within a taste cluster (random pairs would rarely be)
        same = float(one(
            "SELECT AVG(JSON_VALUE(a.favourite_genres, '$[0]') = "
            "JSON_VALUE(b.favourite_genres, '$[0]')) FROM follows f "
            "JOIN user_preferences a ON a.user_id = f.follower_id "
            "JOIN user_preferences b ON b.user_id = f.followee_id", db))
        check(same > 0.4, "only %.0f%% of follows within a taste" % (100 * same))

        again = bulkdb.admin(db, "generate", "--small")
        check(again.returncode == 1 and "already holds a generated world" in again.stderr,
              "a second world was not refused: %r" % (again,))
        check(one("SELECT COUNT(*) FROM tracks", db) == "800", "the second run changed rows")


def dump(db):
    return (sql("SELECT id, title, album_id, duration_ms, isrc, popularity, tempo "
                "FROM tracks ORDER BY id", db),
            sql("SELECT user_id, track_id, listened_at FROM listens ORDER BY id", db),
            sql("SELECT username, display_name FROM users ORDER BY id", db),
            sql("SELECT playlist_id, position, track_id FROM playlist_tracks "
                "ORDER BY playlist_id, position", db),
            sql("SELECT follower_id, followee_id, created_at FROM follows ORDER BY id", db),
            sql("SELECT object_type, object_id, author_id, parent_id, body, like_count "
                "FROM comments ORDER BY id", db),
            sql("SELECT actor_id, kind, object_id, count, first_at, detail FROM activities "
                "ORDER BY id", db),
            sql("SELECT user_id, activity_id FROM feed_items ORDER BY user_id, activity_id", db),
            sql("SELECT user_id, group_key, count, actors FROM notifications ORDER BY id", db))


def test_same_seed_same_world():
    small = ["--users", "30", "--artists", "10", "--albums", "20", "--tracks", "150",
             "--listens", "2000", "--playlists", "5", "--end-date", "2026-01-01"]
    worlds = []
    for seed in ("9", "9", "10"):
        with bulkdb.Scratch("t_gen") as db:
            r = bulkdb.admin(db, "generate", "--seed", seed, *small)
            check(r.returncode == 0, "generate failed: %s" % r.stderr)
            worlds.append(dump(db))
    check(worlds[0] == worlds[1], "the same seed gave different worlds")
    check(worlds[0][0] != worlds[2][0], "another seed gave the same tracks")


def test_usage_errors():
    with bulkdb.Scratch("t_gen") as db:
        for args in (["--users", "-1"], ["--tracks", "x"], ["--tracks", "10", "--albums", "0"],
                     ["--listens", "5", "--users", "0"], ["--end-date", "2026-13-01"],
                     ["--bogus"], ["--seed"]):
            r = bulkdb.admin(db, "generate", *args)
            check(r.returncode == 2, "%r: exit %d %s" % (args, r.returncode, r.stderr))
        r = bulkdb.admin(db, "generate", "--small", "--demo-user", "nobody_here")
        check(r.returncode == 1 and "no user" in r.stderr, "unknown demo user: %r" % (r,))
        check(one("SELECT COUNT(*) FROM users", db) == "0", "rows after a refused run")


if __name__ == "__main__":
    encore.main(globals())
