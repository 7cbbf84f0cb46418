#!/usr/bin/python3
"""Recommendations through nginx: GET /api/v1/me/recommendations (the user's
list with reasons, fresh listens blended in within seconds, cold start from
preferences, popularity fallbacks flagged for a missing model and a corrupt
list, exclusions and dislikes, diversity, genre filter, limits and bad
input, cache invalidation by a listen) and GET /api/v1/{tracks,artists}/{id}/
similar; and, through the in-process test, an empty database.

Model versions are written here with SQL over the stack's socket, the lists
packed exactly as src/model/recfmt.h says (header '<3sBI': "ER1", kind,
count; entries '<QQfB3x': item, reason id, score, reason), so these tests do
not depend on the batch. Each test serves a version of its own; switching
the one serving version of the shared stack would disturb other files'
tests, so this file runs alone (CTEST_RUN_SERIAL)."""

import datetime
import os
import socket
import struct
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from test_listens import q, sql  # noqa: E402

encore.require_stack()

RECS = "/api/v1/me/recommendations"
SIM_T = "/api/v1/tracks/{id}/similar"
SIM_A = "/api/v1/artists/{id}/similar"
LISTENS = "/api/v1/me/listens"
PREFS = "/api/v1/me/preferences"

R_NONE, R_ITEM, R_ARTIST, R_GENRE, R_SOCIAL, R_POPULAR = range(6)


# --------------------------------------------------------------------------
# Packed lists and model versions


def blob(kind, entries):
    """A recfmt blob: entries are (item, score) or (item, score, reason,
    reason_id)."""
    out = struct.pack("<3sBI", b"ER1", ord(kind), len(entries))
    for e in entries:
        item, score = e[0], e[1]
        reason, rid = (e[2], e[3]) if len(e) > 2 else (R_NONE, 0)
        out += struct.pack("<QQfB3x", item, rid, score, reason)
    return out


def hx(b):
    return "X'%s'" % b.hex()


def kv_delete(key):
    """Delete one memcached key over the stack's socket (as the batch does
    with recs:serving after a switch)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(encore.stack()["ENCORE_KV_SOCKET"])
    s.sendall(("delete %s\r\n" % key).encode())
    s.recv(64)
    s.close()


def new_version(data_until="UTC_TIMESTAMP(3)"):
    return int(sql("INSERT INTO rec_versions (kind, state, data_until, finished_at) "
                   "VALUES ('full', 'ready', %s, UTC_TIMESTAMP(3)); "
                   "SELECT LAST_INSERT_ID();" % data_until)[-1][0])


def serve(version):
    """Switch the serving version (None: no model at all)."""
    if version is None:
        sql("DELETE FROM rec_serving WHERE slot = 1")
    else:
        sql("INSERT INTO rec_serving (slot, version) VALUES (1, %d) "
            "ON DUPLICATE KEY UPDATE previous = version, version = VALUES(version)"
            % version)
    kv_delete("recs:serving")


def user_list(v, user, kind, entries, raw=None):
    sql("REPLACE INTO rec_user_lists (version, user_id, item_type, items) "
        "VALUES (%d, %d, '%s', %s)" % (v, user.id, kind, hx(raw if raw is not None
                                                           else blob("L", entries))))


def neighbours(v, kind, item, entries):
    sql("REPLACE INTO rec_neighbours (version, item_type, item_id, items) "
        "VALUES (%d, '%s', %d, %s)" % (v, kind, item, hx(blob("N", entries))))


def popular(v, kind, genre_id, entries):
    sql("REPLACE INTO rec_popular (version, item_type, genre_id, items) "
        "VALUES (%d, '%s', %d, %s)" % (v, kind, genre_id, hx(blob("P", entries))))


# --------------------------------------------------------------------------
# A small catalogue of its own: two genres, six artists, four tracks each


class World:
    pass


W = World()


def seed():
    tag = encore.unique("r")
    W.genres = {}
    for g in ("Rock", "Jazz"):
        name = "Rec%s %s" % (g, tag)
        W.genres[g] = int(sql("INSERT INTO genres (name) VALUES (%s); SELECT LAST_INSERT_ID();"
                              % q(name))[-1][0])
        W.genres[g + "_name"] = name
    W.artists, W.tracks, W.artist_of, W.genre_of = [], [], {}, {}
    for i in range(6):
        g = "Rock" if i < 3 else "Jazz"
        aid = int(sql("INSERT INTO artists (name, popularity) VALUES (%s, %d); "
                      "SELECT LAST_INSERT_ID();" % (q("Rec artist %d %s" % (i, tag)), 10 + i))[-1][0])
        sql("INSERT INTO artist_genres (artist_id, genre_id) VALUES (%d, %d)" % (aid, W.genres[g]))
        W.artists.append(aid)
        W.genre_of[aid] = g
        for j in range(4):
            tid = int(sql("INSERT INTO tracks (title, duration_ms, popularity) VALUES (%s, 200000, %d); "
                          "SELECT LAST_INSERT_ID();" % (q("Rec song %d.%d %s" % (i, j, tag)),
                                                        100 * i + j))[-1][0])
            sql("INSERT INTO track_artists (track_id, artist_id, role) VALUES (%d, %d, 'primary'); "
                "INSERT INTO track_genres (track_id, genre_id) VALUES (%d, %d)"
                % (tid, aid, tid, W.genres[g]))
            W.tracks.append(tid)
            W.artist_of[tid] = aid
            W.genre_of[tid] = g


def T(i, j):
    """Track j of artist i."""
    return W.tracks[4 * i + j]


def title(tid):
    return sql("SELECT title FROM tracks WHERE id = %d" % tid)[0][0]


def now_ts(delta=datetime.timedelta()):
    t = datetime.datetime.now(datetime.timezone.utc) + delta
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def listen(u, tid, ms_played=200000, delta=datetime.timedelta()):
    body = {"track_id": tid, "listened_at": now_ts(delta), "ms_played": ms_played}
    rep = expect(call("POST", LISTENS, token=u.access, json_body=body), 200, "POST", LISTENS)
    check(rep["stored"] == 1, repr(rep))


def recs(u, query="", status=200):
    return expect(call("GET", RECS + query, token=u.access), status, "GET", RECS)


def ids(page):
    return [i["id"] for i in page["items"]]


# --------------------------------------------------------------------------
# Tests


def test_list_served_in_order_with_reasons():
    u = encore.new_user()
    v = new_version()
    user_list(v, u, "track", [(T(0, 0), 3.0, R_ITEM, T(0, 1)),
                              (T(3, 0), 2.0, R_GENRE, W.genres["Jazz"]),
                              (T(1, 2), 1.0, R_ARTIST, W.artists[1]),
                              (T(4, 1), 0.5, R_POPULAR, 0)])
    serve(v)
    page = recs(u, "?limit=10")
    check(ids(page)[:4] == [T(0, 0), T(3, 0), T(1, 2), T(4, 1)], repr(ids(page)))
    check(len(page["items"]) == 10, "filler missing: %d items" % len(page["items"]))
    m = page["model"]
    check(m["version"] == v and m["fallback"] is None and m["reason"] is None and
          m["fresh_listens"] == 0 and m["data_until"].endswith("Z"), repr(m))
    it = page["items"]
    check(it[0]["track"]["id"] == T(0, 0) and it[0]["track"]["artists"][0]["id"] == W.artists[0],
          repr(it[0]))
    check(it[0]["reasons"] == [{"type": "listened", "track": {"id": T(0, 1), "title": title(T(0, 1))}}],
          repr(it[0]["reasons"]))
    check(it[1]["reasons"] == [{"type": "genre", "genre": W.genres["Jazz_name"]}], repr(it[1]))
    check(it[2]["reasons"][0]["type"] == "artist" and
          it[2]["reasons"][0]["artist"]["id"] == W.artists[1], repr(it[2]))
    check(it[3]["reasons"] == [{"type": "popular"}], repr(it[3]))
    check(it[0]["score"] > it[1]["score"] > it[2]["score"] > it[3]["score"], repr(it[:4]))
    # Artist recommendations are a list of their own.
    user_list(v, u, "artist", [(W.artists[5], 1.0, R_ARTIST, W.artists[4])])
    page = expect(call("GET", RECS + "?type=artist&limit=1", token=u.access), 200, "GET", RECS)
    check(ids(page) == [W.artists[5]] and page["items"][0]["artist"]["id"] == W.artists[5] and
          page["items"][0]["reasons"][0]["artist"]["id"] == W.artists[4], repr(page))
    expect(call("GET", RECS), 401, "GET", RECS)


def test_fresh_listen_changes_the_answer_within_seconds():
    u = encore.new_user()
    v = new_version("UTC_TIMESTAMP(3) - INTERVAL 1 SECOND")
    user_list(v, u, "track", [(T(0, 0), 1.0), (T(0, 1), 0.9), (T(0, 2), 0.8)])
    neighbours(v, "track", T(2, 0), [(T(5, 3), 0.9), (T(5, 2), 0.3)])
    neighbours(v, "track", T(2, 1), [(T(5, 1), 0.95)])
    serve(v)
    before = recs(u, "?limit=5")
    check(before["model"]["fresh_listens"] == 0 and ids(before)[0] == T(0, 0), repr(ids(before)))
    check(T(5, 3) not in ids(before)[:3], repr(ids(before)))
    recs(u, "?limit=5")  # answered from the cache now
    # A skip (under 30 s) is no signal; a real play is, at once.
    listen(u, T(2, 1), ms_played=10000)
    skipped = recs(u, "?limit=5")
    check(skipped["model"]["fresh_listens"] == 0 and ids(skipped)[0] == T(0, 0), repr(skipped["model"]))
    listen(u, T(2, 0))
    after = recs(u, "?limit=5")
    check(after["model"]["fresh_listens"] == 1, repr(after["model"]))
    check(ids(after)[0] == T(5, 3), "the listen's neighbour did not rise: %r" % ids(after))
    check(after["items"][0]["reasons"][0] == {"type": "listened",
                                              "track": {"id": T(2, 0), "title": title(T(2, 0))}},
          repr(after["items"][0]["reasons"]))
    check(T(2, 0) not in ids(after), "the track just listened to is recommended")
    check(T(0, 0) in ids(after), "the list was replaced instead of blended: %r" % ids(after))


def test_cold_user_with_preferences_gets_recommendations_at_once():
    u = encore.new_user()
    v = new_version()
    jazz = [T(i, j) for i in (3, 4) for j in range(4)]
    popular(v, "track", W.genres["Jazz"], [(t, 10.0 - k) for k, t in enumerate(jazz)])
    neighbours(v, "artist", W.artists[0], [(W.artists[1], 0.8), (W.artists[2], 0.4)])
    serve(v)
    body = {"favourite_genres": [W.genres["Jazz_name"]],
            "favourite_artists": [sql("SELECT name FROM artists WHERE id = %d" % W.artists[0])[0][0]]}
    expect(call("PUT", PREFS, token=u.access, json_body=body), 200, "PUT", PREFS)
    page = recs(u, "?limit=20")
    check(page["model"]["fallback"] == "cold_start" and page["model"]["reason"] == "no_history",
          repr(page["model"]))
    got = set(ids(page))
    check({T(0, j) for j in range(4)} <= got, "favourite artist's tracks missing: %r" % ids(page))
    check(set(jazz) <= got, "favourite genre's popular tracks missing: %r" % ids(page))
    by_id = {i["id"]: i for i in page["items"]}
    check(by_id[T(0, 0)]["reasons"][0]["type"] == "artist" and
          by_id[T(0, 0)]["reasons"][0]["artist"]["id"] == W.artists[0], repr(by_id[T(0, 0)]))
    check(by_id[jazz[0]]["reasons"] == [{"type": "genre", "genre": W.genres["Jazz_name"]}],
          repr(by_id[jazz[0]]))
    # artists: the favourite's neighbours, the favourite genre's popular ones
    page = recs(u, "?type=artist&limit=5")
    check(ids(page)[0] == W.artists[1] and
          set(ids(page)) == {W.artists[k] for k in (1, 2, 3, 4, 5)}, repr(ids(page)))
    check(page["items"][0]["reasons"][0]["artist"]["id"] == W.artists[0], repr(page["items"][0]))
    by_id = {i["id"]: i for i in page["items"]}
    check(by_id[W.artists[5]]["reasons"] == [{"type": "genre", "genre": W.genres["Jazz_name"]}],
          repr(by_id[W.artists[5]]))
    # No list, no preferences, no listens: popularity, said so.
    plain = encore.new_user()
    page = recs(plain, "?limit=3")
    check(page["model"]["fallback"] == "popularity" and page["model"]["reason"] == "no_history" and
          len(page["items"]) == 3, repr(page["model"]))


def popularities(page):
    """The items' popularity as MariaDB has it (other tests set it by SQL,
    behind the cached JSON's back)."""
    got = ids(page)
    if not got:
        return []
    pop = dict((int(i), int(p)) for i, p in sql(
        "SELECT id, popularity FROM tracks WHERE id IN (%s)" % ",".join(map(str, got))))
    return [pop[i] for i in got]


def test_no_model_falls_back_to_catalogue_popularity():
    u = encore.new_user()
    serve(None)
    page = recs(u, "?limit=15")
    m = page["model"]
    check(m["version"] is None and m["data_until"] is None and m["fallback"] == "popularity" and
          m["reason"] == "no_model", repr(m))
    pops = popularities(page)
    check(len(pops) == 15 and pops == sorted(pops, reverse=True), repr(pops))
    best = int(sql("SELECT MAX(popularity) FROM tracks")[0][0])
    check(pops[0] == best, "the most popular track is not first: %r vs %d" % (pops[:3], best))
    check(all(i["reasons"] == [{"type": "popular"}] for i in page["items"]), repr(page["items"][0]))
    # genre filter without a model: the catalogue's popular tracks of it
    page = recs(u, "?genre=" + W.genres["Rock_name"].replace(" ", "%20") + "&limit=3")
    check(ids(page) == [T(2, 3), T(2, 2), T(2, 1)], repr(ids(page)))
    sim = expect(call("GET", SIM_T.format(id=T(1, 0))), 200, "GET", SIM_T)
    check(sim["model"]["reason"] == "no_model" and ids(sim)[:3] == [T(1, 3), T(1, 2), T(1, 1)],
          repr(sim))


def test_corrupt_list_falls_back_and_says_so():
    u = encore.new_user()
    v = new_version()
    popular(v, "track", 0, [(T(5, 0), 5.0), (T(5, 1), 4.0), (T(4, 0), 3.0)])
    for raw in (b"garbage", blob("L", [(T(0, 0), 1.0)])[:-3], blob("N", [(T(0, 0), 1.0)])):
        user_list(v, u, "track", None, raw=raw)
        serve(v)
        page = recs(u, "?limit=3")
        check(page["model"] == {"version": v, "data_until": page["model"]["data_until"],
                                "fallback": "popularity", "reason": "corrupt_model",
                                "fresh_listens": 0}, repr(page["model"]))
        check(ids(page) == [T(5, 0), T(5, 1), T(4, 0)], repr(ids(page)))
        check(page["items"][0]["reasons"] == [{"type": "popular"}], repr(page["items"][0]))
        sql("DELETE FROM rec_user_lists WHERE version = %d" % v)
        v = new_version()
        popular(v, "track", 0, [(T(5, 0), 5.0), (T(5, 1), 4.0), (T(4, 0), 3.0)])
    # A corrupt popularity list too: the catalogue's popularity.
    user_list(v, u, "track", None, raw=b"ER1L\x09\x00\x00\x00")
    sql("UPDATE rec_popular SET items = X'00' WHERE version = %d" % v)
    serve(v)
    page = recs(u, "?limit=5")
    check(page["model"]["reason"] == "corrupt_model", repr(page["model"]))
    pops = popularities(page)
    check(len(pops) == 5 and pops == sorted(pops, reverse=True), repr(pops))


def test_exclusions_and_dislikes():
    u = encore.new_user()
    v = new_version()
    mine = [T(1, j) for j in range(4)] + [T(4, 0), T(4, 1)]
    user_list(v, u, "track", [(t, 1.0 - 0.1 * k) for k, t in enumerate(mine)])
    user_list(v, u, "artist", [(W.artists[k], 1.0 - 0.1 * k) for k in range(6)])
    serve(v)
    # listened two days ago: before the run, but recent; liked; disliked
    listen(u, T(1, 0), delta=-datetime.timedelta(days=2))
    expect(call("PUT", "/api/v1/me/likes/tracks/%d" % T(1, 1), token=u.access), 204,
           "PUT", "/api/v1/me/likes/{type}/{id}")
    sql("INSERT INTO dislikes (user_id, object_type, object_id) VALUES "
        "(%d, 'track', %d), (%d, 'artist', %d)" % (u.id, T(1, 2), u.id, W.artists[5]))
    page = recs(u, "?limit=4")
    check(ids(page) == [T(1, 3), T(4, 0), T(4, 1)] + ids(page)[3:] and len(ids(page)) == 4,
          "known or disliked tracks served: %r" % ids(page))
    page = recs(u, "?limit=4&exclude_known=false")
    check(ids(page) == [T(1, 0), T(1, 1), T(1, 3), T(4, 0)], repr(ids(page)))
    # artists: the artist of a recent listen is known; a disliked one never comes
    page = recs(u, "?type=artist&limit=6")
    check(W.artists[1] not in ids(page) and W.artists[5] not in ids(page) and
          ids(page)[:4] == [W.artists[0], W.artists[2], W.artists[3], W.artists[4]], repr(ids(page)))
    page = recs(u, "?type=artist&limit=6&exclude_known=false")
    check(W.artists[1] in ids(page) and W.artists[5] not in ids(page), repr(ids(page)))


def test_disliked_artist_tracks_are_excluded():
    """A disliked artist's tracks are never served as tracks, known or not;
    the other artists' tracks still fill the page in score order."""
    u = encore.new_user()
    v = new_version()
    mine = [T(2, 0), T(0, 0), T(2, 1), T(0, 1), T(2, 2), T(3, 0), T(3, 1)]
    user_list(v, u, "track", [(t, 1.0 - 0.1 * k) for k, t in enumerate(mine)])
    serve(v)
    check(ids(recs(u, "?limit=3"))[:3] == [T(2, 0), T(0, 0), T(2, 1)], "list not served")
    expect(call("PUT", "/api/v1/me/dislikes/artists/%d" % W.artists[2], token=u.access), 204,
           "PUT", "/api/v1/me/dislikes/{type}/{id}")
    want = [T(0, 0), T(0, 1), T(3, 0), T(3, 1)]
    for query in ("?limit=4", "?limit=4&exclude_known=false", "?limit=4&diversity=0.5"):
        got = ids(recs(u, query))
        check(not {W.artist_of[t] for t in got if t in W.artist_of} & {W.artists[2]},
              "%s: disliked artist's tracks served: %r" % (query, got))
        check(query.endswith("0.5") or got == want, "%s: %r" % (query, got))


def test_explicit_tracks_follow_the_preference():
    u = encore.new_user()
    v = new_version()
    rude = int(sql("INSERT INTO tracks (title, duration_ms, explicit) VALUES ('Rec rude', 1000, 1); "
                   "SELECT LAST_INSERT_ID();")[-1][0])
    user_list(v, u, "track", [(rude, 2.0), (T(2, 2), 1.0)])
    serve(v)
    check(ids(recs(u, "?limit=2")) == [rude, T(2, 2)], "explicit track not served by default")
    expect(call("PUT", PREFS, token=u.access, json_body={"explicit_content": False}), 200,
           "PUT", PREFS)
    page = recs(u, "?limit=2&exclude_known=false")
    check(ids(page)[0] == T(2, 2) and rude not in ids(page) and
          not any(i["track"]["explicit"] for i in page["items"]), repr(ids(page)))


def test_deleted_items_are_skipped():
    u = encore.new_user()
    v = new_version()
    gone = int(sql("INSERT INTO tracks (title, duration_ms) VALUES ('Rec gone', 1000); "
                   "SELECT LAST_INSERT_ID();")[-1][0])
    user_list(v, u, "track", [(gone, 2.0), (T(3, 3), 1.0)])
    serve(v)
    sql("DELETE FROM tracks WHERE id = %d" % gone)
    page = recs(u, "?limit=2")
    check(ids(page)[0] == T(3, 3) and gone not in ids(page), repr(ids(page)))


def test_items_read_cold_are_what_get_by_id_returns():
    """A page's items read from MariaDB at once (none cached, more than one
    old batch of 16, a track with two artists, an album, features, a like
    and two genres among them) are the JSON GET /tracks/{id} and GET
    /artists/{id} return; and so are they once cached."""
    u, fan = encore.new_user(), encore.new_user()
    tag = encore.unique("rj")
    album = int(sql("INSERT INTO albums (title, artist_id) VALUES (%s, %d); "
                    "SELECT LAST_INSERT_ID();" % (q("Rec album " + tag), W.artists[0]))[-1][0])
    rich = int(sql("INSERT INTO tracks (title, duration_ms, album_id, track_number, isrc, "
                   "release_date, explicit, tempo, energy, valence, popularity) VALUES "
                   "(%s, 1234, %d, 3, 'QZRJ00000001', '2001-02-03', 1, 120.5, 0.81, 0.25, 7); "
                   "SELECT LAST_INSERT_ID();" % (q("Rec \"rich\" \u00e9 " + tag), album))[-1][0])
    sql("INSERT INTO track_artists (track_id, artist_id, role, position) VALUES "
        "(%d, %d, 'primary', 0), (%d, %d, 'featured', 1); "
        "INSERT INTO track_genres (track_id, genre_id) VALUES (%d, %d), (%d, %d); "
        "INSERT INTO likes (user_id, object_type, object_id) VALUES (%d, 'track', %d)"
        % (rich, W.artists[4], rich, W.artists[1], rich, W.genres["Rock"], rich,
           W.genres["Jazz"], fan.id, rich))
    tracks = [rich] + W.tracks
    v = new_version()
    user_list(v, u, "track", [(t, 2.0 - 0.01 * n) for n, t in enumerate(tracks)])
    user_list(v, u, "artist", [(a, 1.0 - 0.01 * n) for n, a in enumerate(W.artists)])
    serve(v)
    for t in tracks:
        kv_delete("ns:track:%d" % t)
    for a in W.artists:
        kv_delete("ns:artist:%d" % a)
    for query in ("?limit=%d&exclude_known=false" % len(tracks),
                  "?limit=%d&exclude_known=true" % len(tracks)):
        page = recs(u, query)
        check(ids(page) == tracks, "%s: %r" % (query, ids(page)))
        for it in page["items"]:
            path = "/api/v1/tracks/%d" % it["id"]
            one = expect(call("GET", path), 200, "GET", "/api/v1/tracks/{id}")
            check(it["track"] == one, "%s\n%r\n%r" % (path, it["track"], one))
    rt = page["items"][0]["track"]
    check([a["id"] for a in rt["artists"]] == [W.artists[4], W.artists[1]] and
          rt["like_count"] == 1 and len(rt["genres"]) == 2 and rt["album"]["id"] == album,
          repr(rt))
    for query in ("?type=artist&limit=6", "?type=artist&limit=5"):
        page = recs(u, query)
        check(ids(page) == W.artists[:len(page["items"])] and page["items"], repr(ids(page)))
        for it in page["items"]:
            path = "/api/v1/artists/%d" % it["id"]
            one = expect(call("GET", path), 200, "GET", "/api/v1/artists/{id}")
            check(it["artist"] == one, "%s\n%r\n%r" % (path, it["artist"], one))


def test_diversity_spreads_artists():
    u = encore.new_user()
    v = new_version()
    entries = [(T(0, j), 1.0 - 0.01 * j) for j in range(4)]
    entries += [(T(1, j), 0.7 - 0.01 * j) for j in range(4)]
    entries += [(T(3, j), 0.6 - 0.01 * j) for j in range(4)]
    user_list(v, u, "track", entries)
    serve(v)
    plain = recs(u, "?limit=4&diversity=0")
    check(ids(plain) == [T(0, j) for j in range(4)], repr(ids(plain)))
    spread = recs(u, "?limit=4&diversity=0.7")
    artists = {W.artist_of[t] for t in ids(spread)}
    check(ids(spread)[0] == T(0, 0) and len(artists) >= 3, "not spread: %r" % ids(spread))
    check({W.genre_of[t] for t in ids(spread)} == {"Rock", "Jazz"}, repr(ids(spread)))


def test_genre_filter():
    u = encore.new_user()
    v = new_version()
    user_list(v, u, "track", [(T(0, 0), 1.0), (T(3, 0), 0.9), (T(1, 0), 0.8), (T(4, 0), 0.7)])
    popular(v, "track", W.genres["Jazz"], [(T(5, 3), 2.0), (T(5, 2), 1.0)])
    serve(v)
    name = W.genres["Jazz_name"]
    page = recs(u, "?limit=4&genre=" + name.lower().replace(" ", "%20"))
    check(ids(page) == [T(3, 0), T(4, 0), T(5, 3), T(5, 2)], repr(ids(page)))
    check(all(name in i["track"]["genres"] for i in page["items"]), repr(page["items"]))
    check(page["items"][2]["reasons"] == [{"type": "popular", "genre": name}], repr(page["items"][2]))
    page = recs(u, "?genre=no%20such%20genre%20" + encore.unique("g"))
    check(page["items"] == [], repr(page))


def test_limits_and_bad_input():
    u = encore.new_user()
    v = new_version()
    user_list(v, u, "track", [(t, 1.0) for t in W.tracks])
    serve(v)
    check(len(recs(u, "?limit=1")["items"]) == 1, "limit=1")
    check(len(recs(u)["items"]) == 20, "default limit")
    check(len(recs(u, "?limit=100")["items"]) <= 100, "limit=100")
    bad = {
        "limit": ["0", "101", "-1", "abc", "1e3", "", "99999999999999999999"],
        "type": ["album", "", "tracks"],
        "diversity": ["-0.1", "1.5", "nan", "inf", "abc", "", "1e-1", " 0.5", "0.5x"],
        "exclude_known": ["yes", "1", ""],
        "genre": ["", "x" * 256],
    }
    for field, values in bad.items():
        for val in values:
            r = call("GET", "%s?%s=%s" % (RECS, field, val), token=u.access)
            p = expect(r, 422, "GET", RECS)
            check(encore.error_fields(p) == {field}, "%s=%r: %r" % (field, val, p))
    r = call("GET", RECS + "?type=x&limit=0&diversity=2&exclude_known=no", token=u.access)
    p = expect(r, 422, "GET", RECS)
    check(encore.error_fields(p) == {"type", "limit", "diversity", "exclude_known"}, repr(p))
    for ok in ("0", "1", "0.25", "1.0"):
        recs(u, "?diversity=" + ok)


def test_similar_items_and_404s():
    v = new_version()
    neighbours(v, "track", T(0, 0), [(T(0, 1), 0.9), (T(3, 2), 0.4)])
    neighbours(v, "artist", W.artists[0], [(W.artists[3], 0.75)])
    serve(v)
    page = expect(call("GET", SIM_T.format(id=T(0, 0))), 200, "GET", SIM_T)
    check(ids(page) == [T(0, 1), T(3, 2)] and page["model"]["fallback"] is None and
          page["model"]["version"] == v, repr(page))
    check(abs(page["items"][0]["score"] - 0.9) < 1e-3, repr(page["items"][0]))
    page = expect(call("GET", SIM_T.format(id=T(0, 0)) + "?limit=1"), 200, "GET", SIM_T)
    check(ids(page) == [T(0, 1)], repr(ids(page)))
    # no neighbours: the same artist's, then the genre's, popular tracks
    page = expect(call("GET", SIM_T.format(id=T(4, 0)) + "?limit=6"), 200, "GET", SIM_T)
    check(page["model"]["fallback"] == "popularity" and page["model"]["reason"] == "no_neighbours",
          repr(page["model"]))
    check(ids(page)[:3] == [T(4, 3), T(4, 2), T(4, 1)] and T(4, 0) not in ids(page), repr(ids(page)))
    check(page["items"][0]["reasons"][0]["artist"]["id"] == W.artists[4], repr(page["items"][0]))
    page = expect(call("GET", SIM_A.format(id=W.artists[0])), 200, "GET", SIM_A)
    check(ids(page) == [W.artists[3]], repr(page))
    page = expect(call("GET", SIM_A.format(id=W.artists[4])), 200, "GET", SIM_A)
    check(page["model"]["reason"] == "no_neighbours" and ids(page)[:2] == [W.artists[5], W.artists[3]],
          repr(ids(page)))
    for bad in ("0", "-1", "abc", "99999999999", "9007199254740993", "1e3", "007"):
        for route in (SIM_T, SIM_A):
            expect(call("GET", route.format(id=bad)), 404, "GET", route)
    p = expect(call("GET", SIM_T.format(id=T(0, 0)) + "?limit=101"), 422, "GET", SIM_T)
    check(encore.error_fields(p) == {"limit"}, repr(p))


def recs_bin():
    admin = encore.stack().get("ENCORE_ADMIN_BIN", "")
    return os.path.join(os.path.dirname(os.path.dirname(admin)), "batch", "recs", "encore-recs")


def test_trained_model_is_served():
    """End to end: encore-recs train on the stack's data, then the API
    serves the version it switched to."""
    binary = recs_bin()
    if not os.access(binary, os.X_OK):
        raise encore.Skip("%s is not built" % binary)
    usage = subprocess.run([binary], capture_output=True, text=True, timeout=30)
    if "train" not in usage.stdout + usage.stderr:
        raise encore.Skip("this encore-recs has no train command")
    users = [encore.new_user() for _ in range(4)]
    heavy = [T(0, 0), T(0, 1), T(0, 2), T(1, 0), T(1, 1)]
    for k, u in enumerate(users):
        mine = heavy if k < 3 else heavy[:2]
        body = {"listens": [{"track_id": t, "ms_played": 200000,
                             "listened_at": now_ts(-datetime.timedelta(hours=2, minutes=i))}
                            for i, t in enumerate(mine * 3)]}
        expect(call("POST", LISTENS, token=u.access, json_body=body), 200, "POST", LISTENS)
    conf = encore.stack().get("ENCORE_CONF") or os.path.join(encore.stack_dir(), "encore.conf")
    r = subprocess.run([binary, "train", "-c", conf], env=dict(os.environ, OMP_NUM_THREADS="2"),
                       capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, "train exited %d: %s %s" % (r.returncode, r.stdout, r.stderr[-2000:]))
    v = int(sql("SELECT version FROM rec_serving WHERE slot = 1")[0][0])
    check(sql("SELECT state FROM rec_versions WHERE id = %d" % v)[0][0] == "ready", "not ready")
    light = users[3]
    page = recs(light, "?limit=30")
    check(page["model"]["version"] == v and page["model"]["fallback"] is None, repr(page["model"]))
    got = ids(page)
    check(got and T(0, 0) not in got and T(0, 1) not in got, "known tracks served: %r" % got)
    check({T(0, 2), T(1, 0), T(1, 1)} & set(got[:30]),
          "what similar listeners play is missing: %r" % got)
    sim = expect(call("GET", SIM_T.format(id=T(0, 0))), 200, "GET", SIM_T)
    check(sim["model"]["version"] == v and sim["model"]["fallback"] is None and
          {T(0, 1), T(0, 2), T(1, 0), T(1, 1)} & set(ids(sim)), repr(sim)[:500])
    # a listen after the run is blended in at once
    listen(light, T(1, 1))
    check(recs(light, "?limit=30")["model"]["fresh_listens"] == 1, "fresh listen not blended")


def test_empty_database():
    """The model on an empty, migrated database (tests/api/test_recs in its
    "empty" mode, pointed at a scratch database): no items, no error."""
    import bulkdb
    build = os.path.dirname(os.path.dirname(os.path.dirname(
        encore.stack().get("ENCORE_API_BIN", ""))))
    binary = os.path.join(build, "tests", "api", "test_recs")
    if not os.access(binary, os.X_OK):
        raise encore.Skip("%s is not built (make check builds it)" % binary)
    with bulkdb.Scratch("recs_empty") as db:
        env = dict(os.environ, ENCORE_DB_NAME=db, ENCORE_STACK_DIR=encore.stack_dir())
        r = subprocess.run([binary, "empty"], env=env, capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 0 and "0 failed" in r.stdout + r.stderr, "%s%s" % (r.stdout, r.stderr))


if __name__ == "__main__":
    encore.main(globals(), setup=seed)
