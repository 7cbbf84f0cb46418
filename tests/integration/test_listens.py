#!/usr/bin/python3
"""Listening history through nginx: POST /api/v1/me/listens (single, batch,
retries, mixed batches, text matching), GET/DELETE /api/v1/me/history, and
GET /api/v1/users/{username}/history under each privacy setting.

Catalogue rows are created through the catalogue API as the stack's admin;
follows, playlists and checks of stored rows use SQL over the stack's
MariaDB socket."""

import datetime
import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402

encore.require_stack()

LISTENS = "/api/v1/me/listens"
HISTORY = "/api/v1/me/history"
ONE = "/api/v1/me/history/{listen_id}"
USER_HISTORY = "/api/v1/users/{username}/history"
PREFS = "/api/v1/me/preferences"


# --------------------------------------------------------------------------
# Seeding


def sql(query):
    """Run SQL as the stack's database user; rows as lists of strings."""
    c, s = encore.conf(), encore.secrets_conf()
    with tempfile.NamedTemporaryFile("w", suffix=".cnf", delete=False) as f:
        f.write("[client]\nsocket=%s\nuser=%s\npassword=%s\ndatabase=%s\n" % (
            c.get("db_socket") or encore.stack()["ENCORE_DB_SOCKET"],
            c.get("db_user", "encore"), s.get("db_password", ""),
            c.get("db_name", "encore")))
        cnf = f.name
    try:
        out = subprocess.run(["mariadb", "--defaults-file=" + cnf, "-N", "-B",
                              "--default-character-set=utf8mb4", "-e", query],
                             capture_output=True, check=True, timeout=30).stdout
    finally:
        os.unlink(cnf)
    return [line.split("\t") for line in out.decode().splitlines()]


def q(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def create(path, body):
    """POST a catalogue object as the stack's admin; returns its id."""
    r = call("POST", path, token=encore.admin().access, json_body=body)
    return expect(r, 201, "POST", path)["id"]


def seed_track(title, artist, album=None, popularity=0):
    """A track with one primary artist (and album) through the catalogue API;
    popularity (kept by batch jobs, not the API) by SQL. Returns its id."""
    aid = create("/api/v1/artists", {"name": artist})
    body = {"title": title, "artists": [{"id": aid}], "duration_ms": 200000}
    if album:
        body["album_id"] = create("/api/v1/albums", {"title": album, "artist_id": aid})
    tid = create("/api/v1/tracks", body)
    if popularity:
        sql("UPDATE tracks SET popularity = %d WHERE id = %d" % (popularity, tid))
    return tid


def stored_count(user):
    return int(sql("SELECT COUNT(*) FROM listens WHERE user_id = %d" % user.id)[0][0])


def ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


BASE = datetime.datetime(2024, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def at(minutes, ms=0):
    return ts(BASE + datetime.timedelta(minutes=minutes, milliseconds=ms))


def post(user, body, status=200):
    r = call("POST", LISTENS, token=user.access, json_body=body)
    return expect(r, status, "POST", LISTENS)


_track = []


def track():
    if not _track:
        _track.append(seed_track("Song " + encore.unique("t"), "Artist " + encore.unique("a")))
    return _track[0]


# --------------------------------------------------------------------------
# Ingestion


def test_single_listen_and_retry():
    u = encore.new_user()
    t = track()
    body = {"track_id": t, "listened_at": at(0, 678), "ms_played": 215000, "source": "lastfm"}
    rep = post(u, body)
    check(rep["stored"] == 1 and rep["duplicates"] == 0 and rep["rejected"] == 0, repr(rep))
    check(rep["results"] == [{"index": 0, "status": "stored", "track_id": t}], repr(rep))
    rep = post(u, body)
    check(rep["results"][0]["status"] == "duplicate" and rep["duplicates"] == 1, repr(rep))
    check(stored_count(u) == 1, "a retried listen was stored twice")
    page = expect(call("GET", HISTORY, token=u.access), 200, "GET", HISTORY)
    check(len(page["items"]) == 1, repr(page))
    it = page["items"][0]
    check(it["listened_at"] == at(0, 678) and it["ms_played"] == 215000 and
          it["source"] == "lastfm" and it["track"]["id"] == t, repr(it))
    check(it["track"]["artists"][0]["role"] == "primary", repr(it))
    # Without a token: 401.
    expect(call("POST", LISTENS, json_body=body), 401, "POST", LISTENS)


def test_batch_then_retry_is_all_duplicates():
    u = encore.new_user()
    t = track()
    items = [{"track_id": t, "listened_at": at(i)} for i in range(300)]
    rep = post(u, {"listens": items})
    check(rep["stored"] == 300 and len(rep["results"]) == 300, "stored %r" % rep["stored"])
    check([r["index"] for r in rep["results"]] == list(range(300)), "results out of order")
    rep = post(u, {"listens": items})
    check(rep["duplicates"] == 300 and rep["stored"] == 0, "retry: %r" % {k: rep[k] for k in ("stored", "duplicates")})
    check(stored_count(u) == 300, "count %d" % stored_count(u))


def test_partly_known_batch_reports_each_item():
    u = encore.new_user()
    t = track()
    post(u, {"listens": [{"track_id": t, "listened_at": at(i)} for i in (0, 5, 7)]})
    items = [{"track_id": t, "listened_at": at(i)} for i in range(10)]
    rep = post(u, {"listens": items})
    statuses = [r["status"] for r in rep["results"]]
    want = ["duplicate" if i in (0, 5, 7) else "stored" for i in range(10)]
    check(statuses == want, "statuses %r, expected %r" % (statuses, want))
    check(rep["stored"] == 7 and rep["duplicates"] == 3, repr(rep))
    check(stored_count(u) == 10, "count %d" % stored_count(u))


def test_odd_sized_batch_spans_statement_sizes():
    # 999 = 9 x 100 + 9 x 10 + 9 x 1 rows: every statement size, each with
    # some rows already stored (the read-back path) and some not.
    u = encore.new_user()
    t = track()
    known = set(range(0, 999, 7))
    post(u, {"listens": [{"track_id": t, "listened_at": at(i)} for i in sorted(known)]})
    rep = post(u, {"listens": [{"track_id": t, "listened_at": at(i)} for i in range(999)]})
    st = [r["status"] for r in rep["results"]]
    want = ["duplicate" if i in known else "stored" for i in range(999)]
    bad = [i for i in range(999) if st[i] != want[i]]
    check(not bad, "wrong status at %r" % bad[:10])
    check(rep["stored"] == 999 - len(known), repr({k: rep[k] for k in ("stored", "duplicates")}))
    check(stored_count(u) == 999, "count %d" % stored_count(u))


def test_mixed_good_and_bad_batch():
    u = encore.new_user()
    t = track()
    future = ts(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
    soon = ts(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=2))
    items = [
        {"track_id": t, "listened_at": at(1)},                          # 0 stored
        {"track_id": t, "listened_at": future},                          # 1 future
        {"track_id": t, "listened_at": "1999-12-31T23:59:59Z"},          # 2 too old
        {"track_id": t, "listened_at": at(2), "source": "napster"},      # 3 bad source
        {"track_id": t, "listened_at": at(3), "rating": 5},              # 4 unknown key
        {"track_id": 999999999999, "listened_at": at(4)},                # 5 no track
        {"track_id": t, "artist": "x", "title": "y", "listened_at": at(5)},  # 6 both
        {"track_id": t, "listened_at": at(1)},                           # 7 dup in batch
        {"track_id": t, "listened_at": at(6), "ms_played": 86400001},    # 8 too long
        {"track_id": t, "listened_at": "yesterday"},                     # 9 not RFC 3339
        {"track_id": t, "listened_at": "2024-02-30T00:00:00Z"},          # 10 no such day
        {"track_id": 0, "listened_at": at(7)},                           # 11 bad id
        "not an object",                                                 # 12
        {"track_id": t, "listened_at": soon, "ms_played": 0},            # 13 skew ok
        {"track_id": t, "listened_at": "2024-03-01T13:00:00+01:00"},     # 14 = at(0)
    ]
    rep = post(u, {"listens": items})
    st = [r["status"] for r in rep["results"]]
    want = ["stored"] + ["rejected"] * 6 + ["duplicate"] + ["rejected"] * 5 + ["stored", "stored"]
    check(st == want, "statuses %r\nexpected %r" % (st, want))
    named = {r["index"]: {e["field"] for e in r.get("errors", [])} for r in rep["results"]}
    for i, field in ((1, "listened_at"), (2, "listened_at"), (3, "source"), (4, "rating"),
                     (5, "track_id"), (8, "ms_played"), (9, "listened_at"), (10, "listened_at"),
                     (11, "track_id")):
        check(field in named[i], "item %d errors %r do not name %s" % (i, named[i], field))
    check(rep["stored"] == 3 and rep["duplicates"] == 1 and rep["rejected"] == 11, repr(rep))
    check(stored_count(u) == 3, "count %d" % stored_count(u))


def test_concurrent_overlapping_batches_store_each_listen_once():
    import threading
    u = encore.new_user()
    t = track()
    import requests
    bodies = [{"listens": [{"track_id": t, "listened_at": at(i)} for i in range(lo, lo + 1000)]}
              for lo in (0, 500)]
    reps = [None, None]
    go = threading.Barrier(2)

    def send(k):
        # Own connections, no pacing: the two requests must overlap.
        go.wait()
        reps[k] = requests.post(encore.base_url("https") + LISTENS, json=bodies[k],
                                headers={"Authorization": "Bearer " + u.access},
                                verify=encore.ca_file(), timeout=encore.TIMEOUT)

    threads = [threading.Thread(target=send, args=(k,)) for k in (0, 1)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    stored = {}
    for k in (0, 1):
        rep = expect(reps[k], 200, "POST", LISTENS)
        for r in rep["results"]:
            key = bodies[k]["listens"][r["index"]]["listened_at"]
            if r["status"] == "stored":
                stored[key] = stored.get(key, 0) + 1
            else:
                check(r["status"] == "duplicate", repr(r))
    check(len(stored) == 1500 and set(stored.values()) == {1},
          "%d listens reported stored, some twice: %r" % (
              len(stored), [k for k, v in stored.items() if v > 1][:3]))
    check(stored_count(u) == 1500, "count %d" % stored_count(u))


def test_nothing_usable_is_422():
    u = encore.new_user()
    t = track()
    many = [{"track_id": t, "listened_at": at(i)} for i in range(1001)]
    for body, field in (({"listens": many}, "listens"), ({"listens": []}, "listens"),
                        ({"listens": {}}, "listens"), ([1, 2], ""),
                        ({"listens": [{"track_id": t}]}, "listens"),
                        ({"listens": [{"track_id": 999999999999, "listened_at": at(0)}]}, "listens"),
                        ({"track_id": t}, "listened_at"),
                        ({"listens": [{"track_id": t, "listened_at": at(0)}], "x": 1}, "x")):
        p = post(u, body, 422)
        check(field in encore.error_fields(p), "%r: errors %r do not name %r" % (
            str(body)[:60], p.get("errors"), field))
    check(stored_count(u) == 0, "a rejected body stored listens")
    p = post(u, {"listens": [{"track_id": t, "listened_at": "nope"}]}, 422)
    check(p["errors"][0]["field"] == "listens[0].listened_at", repr(p))


CONTEXTS = ("recommendation", "search", "playlist", "album", "artist", "radio", "party", "other")


def test_context_stored_and_checked():
    u = encore.new_user()
    t = track()
    # Each word of the set stored as given, one listen each; none given or
    # null: NULL (unknown), not counted anywhere.
    rep = post(u, {"listens": [{"track_id": t, "listened_at": at(i), "context": c}
                               for i, c in enumerate(CONTEXTS)] +
                   [{"track_id": t, "listened_at": at(20)},
                    {"track_id": t, "listened_at": at(21), "context": None}]})
    check(rep["stored"] == len(CONTEXTS) + 2, repr(rep))
    rows = sql("SELECT COALESCE(context, '-') FROM listens WHERE user_id = %d "
               "ORDER BY listened_at" % u.id)
    check([r[0] for r in rows] == list(CONTEXTS) + ["-", "-"], repr(rows))
    # Anything else: 422 naming the field, nothing stored.
    for bad in ("recommendations", "RECOMMENDATION", "", 7, "x" * 40):
        p = post(u, {"track_id": t, "listened_at": at(30), "context": bad}, 422)
        check("context" in encore.error_fields(p), "%r: %r" % (bad, p.get("errors")))
    rep = post(u, {"listens": [{"track_id": t, "listened_at": at(31), "context": "nope"},
                               {"track_id": t, "listened_at": at(32), "context": "search"}]})
    check(rep["stored"] == 1 and rep["results"][0]["status"] == "rejected" and
          rep["results"][0]["errors"][0]["field"] == "context", repr(rep))
    check(stored_count(u) == len(CONTEXTS) + 3, "a bad context was stored")


def test_text_matching_case_accents_album():
    tag = encore.unique("m")
    a_title = "Forméation " + tag
    first = seed_track(a_title, "Beyoncé " + tag, album="Lemonade " + tag)
    second = seed_track(a_title, "Beyoncé " + tag, album="Other " + tag, popularity=100)
    u = encore.new_user()
    rep = post(u, {"listens": [
        {"artist": "BEYONCE " + tag.upper(), "title": "formeation " + tag, "listened_at": at(0)},
        {"artist": "beyoncé " + tag, "title": "FORMÉATION " + tag, "album": "lemonade " + tag,
         "listened_at": at(1)},
        {"artist": "Beyonce " + tag, "title": "Formation " + tag, "listened_at": at(2)},
        {"artist": "Someone Else " + tag, "title": a_title, "listened_at": at(3)},
        {"artist": "Beyoncé " + tag, "listened_at": at(4)},
    ]})
    res = rep["results"]
    # Without an album the more popular track wins; the album breaks the tie.
    check(res[0]["status"] == "stored" and res[0]["track_id"] == second, repr(res[0]))
    check(res[1]["status"] == "stored" and res[1]["track_id"] == first, repr(res[1]))
    for i in (2, 3):
        check(res[i]["status"] == "rejected" and
              res[i]["errors"][0]["message"] == "no such track", repr(res[i]))
    check(res[4]["status"] == "rejected" and
          "title" in {e["field"] for e in res[4]["errors"]}, repr(res[4]))


# --------------------------------------------------------------------------
# History


def seeded_user(n=25):
    u = encore.new_user()
    t = track()
    post(u, {"listens": [{"track_id": t, "listened_at": at(i)} for i in range(n)]})
    return u


def test_history_pages_newest_first():
    u = seeded_user(25)
    seen, cursor = [], None
    for want in (10, 10, 5):
        path = HISTORY + "?limit=10" + ("&cursor=" + cursor if cursor else "")
        page = expect(call("GET", path, token=u.access), 200, "GET", HISTORY)
        check(len(page["items"]) == want, "page of %d, expected %d" % (len(page["items"]), want))
        seen += [it["listened_at"] for it in page["items"]]
        cursor = page["next_cursor"]
    check(cursor is None, "a cursor after the last page")
    check(seen == [at(i) for i in range(24, -1, -1)], "history order %r" % seen[:5])


def test_history_same_timestamp_ties():
    u = encore.new_user()
    ids = [track()] + [seed_track("Tie " + encore.unique("t"), "Tie " + encore.unique("a"))
                       for _ in range(4)]
    post(u, {"listens": [{"track_id": t, "listened_at": at(0)} for t in ids]})
    got, cursor = [], None
    while True:
        path = HISTORY + "?limit=2" + ("&cursor=" + cursor if cursor else "")
        page = expect(call("GET", path, token=u.access), 200, "GET", HISTORY)
        got += [it["id"] for it in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    check(len(got) == 5 and len(set(got)) == 5 and got == sorted(got, reverse=True),
          "tied listens paged as %r" % got)


def test_history_range():
    u = seeded_user(25)
    path = HISTORY + "?from=%s&to=%s&limit=100" % (at(5), at(10))
    page = expect(call("GET", path, token=u.access), 200, "GET", HISTORY)
    check([it["listened_at"] for it in page["items"]] == [at(i) for i in (9, 8, 7, 6, 5)],
          "range gave %r" % [it["listened_at"] for it in page["items"]])
    # An offset is honoured: 13:05+01:00 is 12:05Z.
    path = HISTORY + "?to=2024-03-01T13:02:00%2B01:00"
    page = expect(call("GET", path, token=u.access), 200, "GET", HISTORY)
    check([it["listened_at"] for it in page["items"]] == [at(1), at(0)], repr(page["items"]))


def test_history_bad_queries():
    u = seeded_user(3)
    for q_, status in (("cursor=%%%%", 400), ("cursor=bm9wZQ", 400), ("cursor=MXwy", 200),
                       ("cursor=fHw", 400), ("cursor=" + "A" * 400, 400),
                       ("limit=0", 422), ("limit=101", 422), ("limit=x", 422),
                       ("from=yesterday", 422), ("to=2024-13-01T00:00:00Z", 422),
                       ("from=%s&to=%s" % (at(5), at(5)), 422),
                       ("from=%s&to=%s" % (at(6), at(5)), 422)):
        r = call("GET", HISTORY + "?" + q_, token=u.access)
        if status == 400 and r.status_code == 400:
            encore.expect_problem(r, 400)
            continue
        expect(r, status, "GET", HISTORY)
    expect(call("GET", HISTORY), 401, "GET", HISTORY)


def test_delete_one_range_all():
    u = seeded_user(20)
    other = seeded_user(2)
    page = expect(call("GET", HISTORY + "?limit=1", token=u.access), 200, "GET", HISTORY)
    lid = page["items"][0]["id"]
    r = call("DELETE", ONE.format(listen_id=lid), token=u.access)
    check(expect(r, 200, "DELETE", ONE) == {"deleted": 1}, r.text)
    r = call("DELETE", ONE.format(listen_id=lid), token=u.access)
    expect(r, 404, "DELETE", ONE)
    theirs = expect(call("GET", HISTORY + "?limit=1", token=other.access), 200, "GET",
                    HISTORY)["items"][0]["id"]
    expect(call("DELETE", ONE.format(listen_id=theirs), token=u.access), 404, "DELETE", ONE)
    check(stored_count(other) == 2, "another user's listen was deleted")
    for bad in ("abc", "0", "-1", "007", "99999999999999999999", "1.5"):
        expect(call("DELETE", ONE.format(listen_id=bad), token=u.access), 404, "DELETE", ONE)
    r = call("DELETE", HISTORY + "?from=%s&to=%s" % (at(0), at(5)), token=u.access)
    check(expect(r, 200, "DELETE", HISTORY) == {"deleted": 5}, r.text)
    for q_ in ("", "?all=yes", "?all=true&from=" + at(0), "?from=bad", "?to=" + at(-100000000)):
        expect(call("DELETE", HISTORY + q_, token=u.access), 422, "DELETE", HISTORY)
    check(stored_count(u) == 14, "count %d" % stored_count(u))
    r = call("DELETE", HISTORY + "?all=true", token=u.access)
    check(expect(r, 200, "DELETE", HISTORY) == {"deleted": 14}, r.text)
    check(stored_count(u) == 0 and stored_count(other) == 2, "all=true deleted the wrong rows")


# --------------------------------------------------------------------------
# Privacy


def set_visibility(u, vis):
    r = call("PUT", PREFS, token=u.access, json_body={"history_visibility": vis})
    expect(r, 200, "PUT", PREFS)


def test_privacy_matrix():
    owner = seeded_user(3)
    follower, stranger = encore.new_user(), encore.new_user()
    sql("INSERT INTO follows (follower_id, followee_id) VALUES (%d, %d)" % (follower.id, owner.id))
    # The owner following someone does not make that someone a follower.
    sql("INSERT INTO follows (follower_id, followee_id) VALUES (%d, %d)" % (owner.id, stranger.id))
    path = USER_HISTORY.format(username=owner.username)
    viewers = {"anonymous": None, "stranger": stranger.access,
               "follower": follower.access, "owner": owner.access}
    matrix = {
        "public": {"anonymous", "stranger", "follower", "owner"},
        "followers": {"follower", "owner"},
        "private": {"owner"},
    }
    for vis, allowed in matrix.items():
        set_visibility(owner, vis)
        for who, tok in viewers.items():
            r = call("GET", path + "?limit=2", token=tok)
            if who in allowed:
                page = expect(r, 200, "GET", USER_HISTORY)
                check(len(page["items"]) == 2 and page["next_cursor"],
                      "%s/%s: %r" % (vis, who, page))
            else:
                p = expect(r, 404, "GET", USER_HISTORY)
                check(p["detail"] == "no such user", "%s/%s reveals: %r" % (vis, who, p))
    # Same answer as a user that does not exist.
    for name in ("nobody_" + encore.unique("x")[:12], "a", "bad-name!"):
        expect(call("GET", USER_HISTORY.format(username=name)), 404, "GET", USER_HISTORY)
    expect(call("GET", path, token="not.a.token"), 401, "GET", USER_HISTORY)


if __name__ == "__main__":
    encore.main(globals())
