#!/usr/bin/python3
"""encore-admin generate, its social part, on a small world in a scratch
database: follows (the heavily followed user's and the avid follower's
counts exact, every user's counts those of the rows), comments with replies
one level deep and counts that match their rows, listening sessions that
hold exactly their listens and are apart by more than the gap, feed items
exactly where fan-out on write and its backfill put them, notifications as
the inbox groups them; then, through the API in-process on that database
(tests/api/world_get), the demo user's feed (not empty, and paged), the
heavy user's profile and an inbox."""

import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import check  # noqa: E402
import bulkdb  # noqa: E402
from bulkdb import one, sql  # noqa: E402

encore.require_stack()

USERS = 200
WORLD = ["--seed", "7", "--users", str(USERS), "--artists", "60", "--albums", "150",
         "--tracks", "1500", "--listens", "40000", "--playlists", "30",
         "--end-date", "2026-01-01"]
RECENT = "'2025-12-18'"  # the last GEN_RECENT_DAYS (14) before the end date
FANOUT_MAX = 5000        # model/activity.h FEED_FANOUT_MAX
BACKFILL = 50            # model/activity.h FEED_BACKFILL


def zero(query, db, what):
    n = one("SELECT COUNT(*) FROM (%s) x" % query, db)
    check(n == "0", "%s: %s rows" % (what, n))


def world_get(db, user, password, *paths):
    build = os.path.dirname(os.path.dirname(os.path.dirname(
        encore.stack().get("ENCORE_API_BIN", ""))))
    binary = os.path.join(build, "tests", "api", "world_get")
    if not os.access(binary, os.X_OK):
        raise encore.Skip("%s is not built (make check builds it)" % binary)
    env = dict(os.environ, ENCORE_DB_NAME=db, ENCORE_STACK_DIR=encore.stack_dir())
    r = subprocess.run([binary, user, password] + list(paths), env=env,
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "world_get: %s%s" % (r.stdout, r.stderr))
    out = []
    for line in r.stdout.splitlines()[:len(paths)]:
        status, _, body = line.partition(" ")
        out.append((int(status), json.loads(body) if body.startswith("{") else body))
    return out


def check_follows(db):
    zero("SELECT 1 FROM users u WHERE follower_count <> (SELECT COUNT(*) FROM follows f "
         "WHERE f.followee_id = u.id AND f.state = 'accepted') OR following_count <> "
         "(SELECT COUNT(*) FROM follows f WHERE f.follower_id = u.id AND "
         "f.state = 'accepted')", db, "a user's counts are not their follows")
    zero("SELECT 1 FROM follows WHERE follower_id = followee_id OR state <> 'accepted'",
         db, "a self-follow or one not accepted")
    zero("SELECT 1 FROM follows a JOIN follows b ON b.id = a.id + 1 WHERE "
         "b.created_at < a.created_at", db, "follows' ids not in time order")
    check(one("SELECT MAX(follower_count) FROM users", db) == str(USERS // 2),
          "the most followed user is not followed by half the users")
    stars = int(one("SELECT COUNT(*) FROM users WHERE follower_count >= %d" % (USERS // 10), db))
    check(stars >= 3, "%d heavily followed users" % stars)
    check(one("SELECT MAX(following_count) FROM users", db) == str(USERS // 2),
          "no user follows the most (a thousand, or half the users)")


def check_comments(db):
    n = int(one("SELECT COUNT(*) FROM comments", db))
    check(n == USERS, "%d comments" % n)
    replies = int(one("SELECT COUNT(*) FROM comments WHERE parent_id IS NOT NULL", db))
    check(n // 8 < replies < n // 2, "%d replies" % replies)
    zero("SELECT 1 FROM comments c JOIN comments p ON p.id = c.parent_id WHERE "
         "p.parent_id IS NOT NULL OR p.object_type <> c.object_type OR "
         "p.object_id <> c.object_id OR p.created_at > c.created_at", db,
         "a reply to a reply, on another object, or before its parent")
    zero("SELECT 1 FROM comments c WHERE reply_count <> (SELECT COUNT(*) FROM comments r "
         "WHERE r.parent_id = c.id) OR like_count <> (SELECT COUNT(*) FROM comment_likes l "
         "WHERE l.comment_id = c.id)", db, "a comment's counts are not its rows")
    zero("SELECT 1 FROM comments c LEFT JOIN playlists p ON c.object_type = 'playlist' "
         "AND p.id = c.object_id WHERE c.object_type = 'playlist' AND "
         "(p.id IS NULL OR p.visibility <> 'public')", db, "a comment on no public playlist")
    check(int(one("SELECT COUNT(*) FROM comment_likes", db)) > 0, "no comment is liked")
    check(int(one("SELECT COUNT(*) FROM comment_mentions", db)) > 0, "no mention")
    zero("SELECT 1 FROM comment_mentions m JOIN comments c ON c.id = m.comment_id JOIN "
         "users u ON u.id = m.user_id WHERE LOCATE(CONCAT('@', u.username), c.body) <> 1",
         db, "a mention the text does not begin with")


def check_activity(db):
    kinds = dict(sql("SELECT kind, COUNT(*) FROM activities GROUP BY kind", db))
    for kind in ("listened", "liked", "followed", "commented"):
        check(int(kinds.get(kind, 0)) > 0, "no %s activity: %r" % (kind, kinds))
    zero("SELECT 1 FROM activities WHERE first_at < %s OR last_at < first_at" % RECENT,
         db, "activity before the recent days")
    zero("SELECT 1 FROM activities a WHERE kind = 'listened' AND count <> (SELECT "
         "COUNT(*) FROM listens l WHERE l.user_id = a.actor_id AND l.listened_at BETWEEN "
         "a.first_at AND a.last_at)", db, "a session that is not its listens")
    zero("SELECT 1 FROM (SELECT first_at, LAG(last_at) OVER (PARTITION BY actor_id "
         "ORDER BY first_at) prev FROM activities WHERE kind = 'listened') x WHERE "
         "first_at <= prev + INTERVAL 30 MINUTE", db, "sessions within the gap")
    recent = int(one("SELECT COUNT(*) FROM listens l JOIN users u ON u.id = l.user_id "
                     "WHERE l.listened_at >= %s AND u.username <> 'heavy_listener'"
                     % RECENT, db))
    check(one("SELECT SUM(count) FROM activities WHERE kind = 'listened'", db) == str(recent),
          "the sessions do not hold the recent listens")
    zero("SELECT 1 FROM activities a WHERE kind = 'listened' AND JSON_VALUE(detail, "
         "'$.artist_count') <> (SELECT COUNT(*) FROM listens l JOIN track_artists ta ON "
         "ta.track_id = l.track_id AND ta.role = 'primary' WHERE l.user_id = a.actor_id "
         "AND l.listened_at BETWEEN a.first_at AND a.last_at AND ta.artist_id = "
         "JSON_VALUE(a.detail, '$.artist_id'))", db, "a session's artist count")
    zero("SELECT 1 FROM activities a WHERE kind = 'liked' AND NOT EXISTS (SELECT 1 FROM "
         "likes l WHERE l.user_id = a.actor_id AND l.object_type = a.object_type AND "
         "l.object_id = a.object_id)", db, "a liked activity without its like")
    zero("SELECT 1 FROM activities a WHERE kind = 'followed' AND NOT EXISTS (SELECT 1 "
         "FROM follows f WHERE f.follower_id = a.actor_id AND f.followee_id = a.object_id "
         "AND f.created_at >= %s)" % RECENT, db, "a followed activity without its follow")
    zero("SELECT 1 FROM activities a JOIN activities b ON b.id = a.id + 1 WHERE "
         "b.first_at < a.first_at", db, "activities' ids not in the order they were made")


def check_feeds(db):
    # every item: its user follows the actor, who is not merged at read time
    zero("SELECT 1 FROM feed_items fi JOIN activities a ON a.id = fi.activity_id JOIN "
         "users u ON u.id = a.actor_id WHERE u.follower_count >= %d OR NOT EXISTS (SELECT "
         "1 FROM follows f WHERE f.follower_id = fi.user_id AND f.followee_id = "
         "a.actor_id)" % FANOUT_MAX, db, "a feed item of no follow")
    # fanned out to each follower since before it ...
    zero("SELECT 1 FROM activities a JOIN users u ON u.id = a.actor_id JOIN follows f ON "
         "f.followee_id = a.actor_id WHERE u.follower_count < %d AND f.created_at <= "
         "a.first_at AND NOT EXISTS (SELECT 1 FROM feed_items fi WHERE fi.user_id = "
         "f.follower_id AND fi.activity_id = a.id)" % FANOUT_MAX, db, "an activity not fanned out")
    # ... and to later ones by backfill, the latest before the follow only
    zero("SELECT 1 FROM feed_items fi JOIN activities a ON a.id = fi.activity_id JOIN "
         "follows f ON f.follower_id = fi.user_id AND f.followee_id = a.actor_id WHERE "
         "a.first_at > f.created_at AND (SELECT COUNT(*) FROM activities b WHERE "
         "b.actor_id = a.actor_id AND b.id > a.id AND b.first_at < f.created_at) >= %d"
         % BACKFILL, db, "a backfilled item older than the backfill")
    check(int(one("SELECT COUNT(*) FROM feed_items", db)) > 0, "no feed items")


def check_inboxes(db):
    zero("SELECT 1 FROM notifications WHERE user_id = actor_id OR read_at IS NOT NULL "
         "OR count < 1 OR JSON_LENGTH(actors) <> LEAST(count, 5) OR "
         "JSON_VALUE(actors, '$[0]') <> actor_id", db, "a malformed notification group")
    zero("SELECT 1 FROM users u WHERE COALESCE((SELECT count FROM notifications n WHERE "
         "n.user_id = u.id AND n.kind = 'follower'), 0) <> (SELECT COUNT(*) FROM follows f "
         "WHERE f.followee_id = u.id AND f.created_at >= %s)" % RECENT, db,
         "new followers are not told, grouped")
    zero("SELECT 1 FROM notifications n JOIN comments c ON c.id = n.object_id JOIN "
         "comments p ON p.id = c.parent_id WHERE n.kind = 'reply' AND n.user_id <> "
         "p.author_id", db, "a reply told to another than the parent's author")
    zero("SELECT 1 FROM notifications n JOIN playlists p ON p.id = n.object_id WHERE "
         "n.kind IN ('playlist_liked', 'comment') AND n.user_id <> p.owner_id", db,
         "a playlist's news told to another than its owner")
    zero("SELECT user_id, group_key FROM notifications GROUP BY user_id, group_key "
         "HAVING COUNT(*) > 1", db, "two unread groups of one key")
    kinds = dict(sql("SELECT kind, COUNT(*) FROM notifications GROUP BY kind", db))
    for kind in ("follower", "comment_liked", "playlist_liked"):
        check(int(kinds.get(kind, 0)) > 0, "no %s notification: %r" % (kind, kinds))


def test_social_world():
    with bulkdb.Scratch("t_gens") as db:
        password = encore.strong_password()
        r = bulkdb.admin(db, "user", "create", "--username", "demo_soc",
                         "--email", "demo_soc@example.com", "--password", password)
        check(r.returncode == 0, "user create: %s" % r.stderr)
        r = bulkdb.admin(db, "generate", *WORLD, "--demo-user", "demo_soc")
        check(r.returncode == 0, "generate failed: %s %s" % (r.stdout, r.stderr))
        check_follows(db)
        check_comments(db)
        check_activity(db)
        check_feeds(db)
        check_inboxes(db)

        demo = one("SELECT id FROM users WHERE username = 'demo_soc'", db)
        check(int(one("SELECT COUNT(*) FROM feed_items WHERE user_id = %s" % demo, db)) >= 30,
              "the demo user's feed is quiet")
        star = one("SELECT username FROM users ORDER BY follower_count DESC, id LIMIT 1", db)
        (s1, feed), (s2, profile), (s3, inbox) = world_get(
            db, "demo_soc", password, "/api/v1/me/feed?limit=10",
            "/api/v1/users/" + star, "/api/v1/me/notifications")
        check(s1 == 200 and len(feed["items"]) == 10 and feed.get("next_cursor"),
              "the demo user's feed: %d %r" % (s1, feed))
        kinds = {i["kind"] for i in feed["items"]}
        check("listened" in kinds, "no listening session on the feed's first page: %r" % kinds)
        ids = [i["id"] for i in feed["items"]]
        check(ids == sorted(ids, reverse=True), "the feed is not newest first")
        (s4, page2), = world_get(db, "demo_soc", password,
                                 "/api/v1/me/feed?limit=10&cursor=%s" % feed["next_cursor"])
        check(s4 == 200 and page2["items"] and page2["items"][0]["id"] < ids[-1],
              "the feed's second page: %d %r" % (s4, page2))
        check(s2 == 200 and profile["follower_count"] == USERS // 2,
              "the heavy user's profile: %d %r" % (s2, profile))
        check(s3 == 200 and "items" in inbox, "the demo user's inbox: %d %r" % (s3, inbox))


if __name__ == "__main__":
    encore.main(globals())
