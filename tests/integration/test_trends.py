#!/usr/bin/python3
"""encore-trends and the trending and chart routes.

The quality check: a generated world (a scratch database) with planted
tracks whose plays rise (2 a day for five weeks, then 60 in the last day),
planted merely popular ones (150 a day, every day), one going from 100 to
300 plays a day and one from 1 to 3: the rising ones fill the top 10 of
the day and of the week, overall and in their genres, the popular ones are
nowhere in the lists, and 100 -> 300 ranks above 1 -> 3. The same run
repairs the insights' months its SQL-planted listens left stale.

Then the runs that go wrong: on an empty database (a version with empty
lists), killed half-way (the serving version stays, the next run frees the
dead run's lease), failing (its version marked failed), and a lease held
elsewhere (exit 75). Last, the routes on the shared stack: items with
rank, previous rank and change, served from memcached, a playlist made
private gone at once, charts of a period and of a date, and bad input."""

import datetime
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
import bulkdb  # noqa: E402
from test_likes import kv  # noqa: E402

encore.require_stack()

TRENDING = "/api/v1/trending/{kind}"
CHARTS = "/api/v1/charts/{kind}"
LISTENS = "/api/v1/me/listens"


def trends_bin():
    b = os.environ.get("ENCORE_BUILDDIR")
    if b:
        return os.path.join(b, "src", "batch", "trends", "encore-trends")
    admin = encore.stack()["ENCORE_ADMIN_BIN"]
    return os.path.join(os.path.dirname(os.path.dirname(admin)), "batch", "trends",
                        "encore-trends")


def conf():
    return encore.stack().get("ENCORE_CONF") or os.path.join(encore.stack_dir(), "encore.conf")


def trends(*args, db=None, wait=True):
    """encore-trends on the stack's configuration (database db, without the
    cache, when given): the CompletedProcess, or the Popen when not wait."""
    env = dict(os.environ)
    if db:
        env["ENCORE_DB_NAME"] = db
        env["ENCORE_KV_SERVERS"] = ""
    cmd = [trends_bin(), args[0], "-c", conf()] + list(args[1:])
    if not wait:
        return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def run_ok(db=None):
    r = trends("run", db=db)
    check(r.returncode == 0, "encore-trends run exited %d: %s %s" % (r.returncode, r.stdout, r.stderr))
    return r


def serving(db):
    rows = bulkdb.sql("SELECT version FROM trend_serving WHERE slot = 1", db)
    return int(rows[0][0]) if rows else None


def stored_list(db, kind, win, genre=0):
    import json
    rows = bulkdb.sql("SELECT l.items FROM trend_lists l JOIN trend_serving s ON "
                      "s.version = l.version AND s.slot = 1 WHERE l.kind = '%s' AND "
                      "l.win = '%s' AND l.genre_id = %d" % (kind, win, genre), db)
    return json.loads(rows[0][0]) if rows else None


# --------------------------------------------------------------------------
# The planted world


def plant(db):
    """Plant the tracks of the quality check; returns their ids by role."""
    ids = [int(r[0]) for r in bulkdb.sql(
        "SELECT t.id FROM tracks t WHERE t.album_id IS NOT NULL ORDER BY t.id LIMIT 22", db)]
    base = int(bulkdb.one("SELECT MIN(id) FROM users WHERE email LIKE '%@generated.invalid'", db))
    rising, popular, big, small = ids[:10], ids[10:20], ids[20], ids[21]
    ins = ("INSERT IGNORE INTO listens (user_id, track_id, listened_at, ms_played, source) "
           "SELECT %d + (%s), %d, NOW(3) - INTERVAL (%s) SECOND, 200000, 'test' FROM seq_0_to_%d s;")
    sql = []
    for t in rising:  # 2 a day for 35 days, then 60 in the last day
        sql.append(ins % (base, "s.seq MOD 2", t, "(1 + s.seq DIV 2) * 86400 + 5000 + (s.seq MOD 2) * 300", 69))
        sql.append(ins % (base, "s.seq", t, "4000 + s.seq * 1000", 59))
    for t in popular:  # 150 a day, every day, last day included
        sql.append(ins % (base, "s.seq MOD 150", t, "(s.seq DIV 150) * 86400 + 4000 + (s.seq MOD 150) * 137", 150 * 36 - 1))
    # 100 -> 300 a day (3 plays each of 100 listeners, the cap)
    sql.append(ins % (base, "s.seq MOD 100", big, "(1 + s.seq DIV 100) * 86400 + 4000 + (s.seq MOD 100) * 500", 3499))
    sql.append(ins % (base, "s.seq MOD 100", big, "4000 + s.seq * 200", 299))
    # 1 -> 3 a day
    sql.append(ins % (base, "0", small, "(1 + s.seq) * 86400 + 4000", 34))
    sql.append(ins % (base, "s.seq", small, "4000 + s.seq * 3000", 2))
    bulkdb.sql("\n".join(sql), db)
    return rising, popular, big, small


def test_quality_on_a_generated_world():
    with bulkdb.Scratch("trends") as db:
        today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
        r = bulkdb.admin(db, "generate", "--small", "--seed", "5", "--end-date", today)
        check(r.returncode == 0, "generate: %s" % r.stderr)
        rising, popular, big, small = plant(db)
        out = run_ok(db).stdout
        check("made again" in out, out)
        repaired = int(out.split("check: ")[1].split(",")[1].split()[0])
        check(repaired > 0, "the planted listens' months were not made again: " + out)
        # the rollups agree with the listens again
        bad = bulkdb.sql(
            "SELECT COUNT(*) FROM (SELECT user_id, TO_DAYS(DATE_FORMAT(listened_at, "
            "'%Y-%m-01')) - 719528 AS m, COUNT(*) AS n FROM listens GROUP BY user_id, m) x "
            "LEFT JOIN insight_rollups r ON r.user_id = x.user_id AND r.span = 2 AND "
            "r.start = x.m WHERE r.listens IS NULL OR r.listens <> x.n", db)
        check(bad[0][0] == "0", "months whose rollup disagrees: %s" % bad)
        for win in ("day", "week"):
            items = stored_list(db, "tracks", win)
            ids = [x["id"] for x in items]
            check(set(ids[:10]) == set(rising), "%s: top 10 %r, planted %r" % (win, ids[:10], rising))
            check(not set(ids) & set(popular), "%s: popular ones listed: %r" % (win, set(ids) & set(popular)))
            check([x["rank"] for x in items] == list(range(1, len(items) + 1)), "ranks")
            check(all(x["previous_rank"] is None and x["change"] is None for x in items), "first run")
        day = [x["id"] for x in stored_list(db, "tracks", "day")]
        check(big in day and (small not in day or day.index(big) < day.index(small)),
              "100 -> 300 (%r) must rank above 1 -> 3 (%r): %r" % (big, small, day[:15]))
        # each rising track tops the lists of its genres
        for t in rising[:3]:
            for (g,) in bulkdb.sql("SELECT genre_id FROM track_genres WHERE track_id = %d" % t, db):
                lst = stored_list(db, "tracks", "day", int(g))
                check(lst and t in [x["id"] for x in lst[:10]], "genre %s: %r" % (g, lst and lst[:3]))
        # the charts: the popular ones are the most played of the last
        # whole week
        rows = bulkdb.sql("SELECT items FROM trend_charts WHERE kind = 'tracks' AND "
                          "period = 'week' ORDER BY start DESC LIMIT 1 OFFSET 1", db)
        import json
        chart = [x["id"] for x in json.loads(rows[0][0])]
        check(set(chart[:10]) == set(popular), "week chart %r, popular %r" % (chart[:10], popular))
        # a second run: previous ranks
        v1 = serving(db)
        run_ok(db)
        check(serving(db) == v1 + 1, "a new version serves")
        items = stored_list(db, "tracks", "day")
        check(all(x["previous_rank"] is not None and x["change"] == x["previous_rank"] - x["rank"]
                  for x in items[:10]), repr(items[:3]))
        check_failures(db, v1 + 1)


def check_failures(db, v):
    """Runs that go wrong, on the planted world serving version v."""
    # killed half-way: a trigger slows its writes down
    bulkdb.sql("CREATE TRIGGER slow_lists BEFORE INSERT ON trend_lists FOR EACH ROW "
               "SET @x = SLEEP(0.3)", db)
    p = trends("run", "--no-check", db=db, wait=False)
    deadline = time.time() + 120
    while time.time() < deadline:  # its version exists: it is writing
        n = bulkdb.sql("SELECT COUNT(*) FROM trend_versions WHERE id > %d" % v, db)[0][0]
        if int(n) >= 1:
            break
        time.sleep(0.2)
    time.sleep(2)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=30)
    check(serving(db) == v, "the serving version changed after a killed run")
    state = bulkdb.sql("SELECT state FROM trend_versions WHERE id > %d" % v, db)
    check(state and state[0][0] == "building", repr(state))
    bulkdb.sql("DROP TRIGGER slow_lists", db)
    # the next run frees the dead run's lease, serves, and drops the rest
    out = run_ok(db).stdout
    check("was freed" in out, out)
    check(serving(db) == v + 2, "serving %r after the killed run" % serving(db))
    left = bulkdb.sql("SELECT COUNT(*) FROM trend_lists WHERE version = %d" % (v + 1), db)
    check(left[0][0] == "0", "the killed run's lists are still there")
    # failing: the store refuses rows
    bulkdb.sql("CREATE TRIGGER bad_lists BEFORE INSERT ON trend_lists FOR EACH ROW "
               "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'", db)
    r = trends("run", "--no-check", db=db)
    check(r.returncode == 1, "a failing run exited %d: %s" % (r.returncode, r.stderr))
    check(serving(db) == v + 2, "a failing run changed the serving version")
    check(bulkdb.sql("SELECT state FROM trend_versions ORDER BY id DESC LIMIT 1", db)[0][0] == "failed",
          "the failed version is not marked failed")
    bulkdb.sql("DROP TRIGGER bad_lists", db)
    # a lease held elsewhere
    bulkdb.sql("UPDATE trend_lease SET holder = 'elsewhere:1', lease_until = NOW() + "
               "INTERVAL 1 HOUR", db)
    r = trends("run", db=db)
    check(r.returncode == 75 and "lease" in r.stderr, "%d %s" % (r.returncode, r.stderr))
    bulkdb.sql("UPDATE trend_lease SET holder = NULL, lease_until = NULL", db)
    r = trends("status", db=db)
    check(r.returncode == 0 and "serving   %d" % (v + 2) in r.stdout, r.stdout)


def test_empty_database():
    with bulkdb.Scratch("trends_empty") as db:
        check(serving(db) is None, "a fresh database serves a version")
        run_ok(db)
        check(serving(db) is not None, "no version after a run on an empty database")
        for kind in ("tracks", "artists", "albums", "playlists"):
            for win in ("day", "week"):
                check(stored_list(db, kind, win) == [], "%s %s not empty" % (kind, win))
        r = trends("bogus", db=db)
        check(r.returncode == 2, "usage error exited %d" % r.returncode)


# --------------------------------------------------------------------------
# The routes, on the shared stack


def create(path, body, token):
    r = call("POST", path, token=token, json_body=body)
    check(r.status_code == 201, "POST %s: %d %s" % (path, r.status_code, r.text[:200]))
    return r.json()["id"]


def test_routes():
    adm = encore.admin().access
    tag = encore.unique("tr")
    aid = create("/api/v1/artists", {"name": "Trend Artist " + tag, "genres": ["Trend Genre " + tag]}, adm)
    tid = create("/api/v1/tracks", {"title": "Trend Song " + tag, "duration_ms": 200000,
                                    "artists": [{"id": aid}], "genres": ["Trend Genre " + tag]}, adm)
    owner = encore.new_user()
    pl = create("/api/v1/playlists", {"name": "Trend List " + tag, "visibility": "public"},
                owner.access)
    now = datetime.datetime.now(datetime.timezone.utc)
    when = now - datetime.timedelta(minutes=now.minute + 70)  # before the run's hour
    for i in range(4):
        u = encore.new_user()
        body = {"listens": [{"track_id": tid, "ms_played": 200000,
                             "listened_at": (when - datetime.timedelta(minutes=k)).strftime(
                                 "%Y-%m-%dT%H:%M:%S.000Z")} for k in range(3)]}
        expect(call("POST", LISTENS, token=u.access, json_body=body), 200, "POST", LISTENS)
        r = call("PUT", "/api/v1/me/likes/playlists/%d" % pl, token=u.access)
        check(r.status_code == 204, r.text)
    # the likes were made now, after the run's hour: back-date them
    from test_listens import sql
    sql("UPDATE likes SET created_at = NOW(3) - INTERVAL 2 HOUR WHERE object_type = "
        "'playlist' AND object_id = %d" % pl)
    run_ok()
    r = call("GET", TRENDING.format(kind="tracks") + "?window=day&limit=100")
    got = expect(r, 200, "GET", TRENDING)
    check(got["generated_at"] is not None and got["kind"] == "tracks", repr(got)[:200])
    mine = [x for x in got["items"] if x["id"] == tid]
    check(mine and mine[0]["plays"] == 12 and mine[0]["previous_rank"] is None, repr(mine))
    # in its genre, and not in an unknown one
    r = call("GET", TRENDING.format(kind="tracks") + "?genre=" + "Trend Genre " + tag)
    check(tid in [x["id"] for x in expect(r, 200, "GET", TRENDING)["items"]], "genre list")
    r = call("GET", TRENDING.format(kind="artists") + "?window=week&genre=No Such Genre " + tag)
    check(expect(r, 200, "GET", TRENDING)["items"] == [], "unknown genre")
    # served from memcached
    check(kv("get trends:serving\r\n").startswith("VALUE"), "trends:serving not cached")
    # the playlist, then made private: gone at once
    r = call("GET", TRENDING.format(kind="playlists") + "?limit=100")
    check(pl in [x["id"] for x in expect(r, 200, "GET", TRENDING)["items"]], "playlist not trending")
    r = call("PATCH", "/api/v1/playlists/%d" % pl, token=owner.access, json_body={"visibility": "private"})
    check(r.status_code == 200, r.text[:200])
    r = call("GET", TRENDING.format(kind="playlists") + "?limit=100")
    check(pl not in [x["id"] for x in expect(r, 200, "GET", TRENDING)["items"]], "a private playlist shown")
    # a second run: previous ranks; the private playlist is not written
    run_ok()
    r = call("GET", TRENDING.format(kind="tracks") + "?window=day&limit=100")
    mine = [x for x in expect(r, 200, "GET", TRENDING)["items"] if x["id"] == tid]
    check(mine and mine[0]["previous_rank"] is not None and
          mine[0]["change"] == mine[0]["previous_rank"] - mine[0]["rank"], repr(mine))
    rows = sql("SELECT COUNT(*) FROM trend_lists l JOIN trend_serving s ON s.version = l.version "
               "WHERE l.kind = 'playlists' AND l.items LIKE '%%\"id\":%d,%%'" % pl)
    check(rows[0][0] == "0", "a private playlist was written into a list")
    # charts
    got = expect(call("GET", CHARTS.format(kind="tracks") + "?limit=100"), 200, "GET", CHARTS)
    check(got["period"] == "week" and not got["complete"], repr(got)[:200])
    check(tid in [x["id"] for x in got["items"]], "this week's chart lacks the track")
    got = expect(call("GET", CHARTS.format(kind="artists") + "?period=month"), 200, "GET", CHARTS)
    check(got["start"].endswith("-01"), got["start"])
    got = expect(call("GET", CHARTS.format(kind="albums") + "?date=1999-06-15"), 200, "GET", CHARTS)
    check(got["items"] == [] and got["start"] == "1999-06-14" and got["end"] == "1999-06-20"
          and got["complete"], repr(got))


def test_bad_input():
    tomorrow = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=2)).date()
    for path, query, field in [
            (TRENDING.format(kind="tracks"), "window=month", "window"),
            (TRENDING.format(kind="tracks"), "window=", "window"),
            (TRENDING.format(kind="tracks"), "limit=0", "limit"),
            (TRENDING.format(kind="tracks"), "limit=101", "limit"),
            (TRENDING.format(kind="playlists"), "genre=Rock", "genre"),
            (TRENDING.format(kind="tracks"), "genre=" + "g" * 256, "genre"),
            (CHARTS.format(kind="tracks"), "period=year", "period"),
            (CHARTS.format(kind="tracks"), "date=%s" % tomorrow, "date"),
            (CHARTS.format(kind="tracks"), "date=2025-02-30", "date"),
            (CHARTS.format(kind="tracks"), "date=1969-12-31", "date"),
            (CHARTS.format(kind="tracks"), "date=yesterday", "date")]:
        route = TRENDING if "trending" in path else CHARTS
        p = expect(call("GET", path + "?" + query), 422, "GET", route)
        check(field in encore.error_fields(p), "%s?%s: %r" % (path, query, p))
    for path in ("/api/v1/trending/songs", "/api/v1/charts/playlists", "/api/v1/trending/",
                 "/api/v1/charts/Tracks"):
        encore.expect_problem(call("GET", path), 404, what=path)


if __name__ == "__main__":
    encore.main(globals())
