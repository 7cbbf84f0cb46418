#!/usr/bin/python3
"""GET /api/v1/search through nginx: prefix words, accents and case, one- and
two-letter queries, several words, filters, every sort in both directions,
cursor paging, playlist visibility, bad input, and the index following a
rename.

The catalogue is seeded with SQL (every name carries a word unique to this
run, so other data in the stack never interferes) and indexed with
`encore-admin search rebuild`; the rename goes through the catalogue API
when it exists."""

import os
import random
import string
import subprocess
import sys
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402

encore.require_stack()

SEARCH = "/api/v1/search"
RNG = random.Random()
N = "zq" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(8))
W = {}  # seeded ids by name


def sql(text):
    """Run SQL as the service's database user; rows as lists of strings."""
    c, s = encore.conf(), encore.secrets_conf()
    sock = encore.stack().get("ENCORE_DB_SOCKET") or c.get("db_socket")
    out = subprocess.run(
        ["mariadb", "--socket=" + sock, "-u", c.get("db_user", "encore"),
         "--password=" + s.get("db_password", ""), c.get("db_name", "encore"),
         "-N", "-B", "-e", text],
        capture_output=True, text=True, timeout=60)
    if out.returncode:
        raise AssertionError("SQL failed: %s" % out.stderr.strip())
    return [line.split("\t") for line in out.stdout.splitlines()]


def insert(text):
    return int(sql(text + "; SELECT LAST_INSERT_ID()")[-1][0])


def esc(s):
    return s.replace("\\", "\\\\").replace("'", "''")


def rebuild():
    s = encore.stack()
    admin = s.get("ENCORE_ADMIN_BIN")
    if not admin:
        raise encore.Skip("stack.env has no ENCORE_ADMIN_BIN")
    out = subprocess.run([admin, "-c", s["ENCORE_CONF"], "search", "rebuild"],
                         capture_output=True, text=True, timeout=600)
    check(out.returncode == 0, "search rebuild failed: %s" % out.stderr)


def seed():
    g = insert("INSERT INTO genres (name) VALUES ('genre%s')" % N)
    W["genre"] = g
    a = {}
    for key, name, pop in [("beatles", "The Beatles", 900), ("beyonce", "Beyoncé", 800),
                           ("beatriz", "Beatriz", 100)]:
        a[key] = insert("INSERT INTO artists (name, popularity) VALUES ('%s %s', %d)"
                        % (esc(name), N, pop))
    # the run's word alone, very popular: first for its one- and two-letter
    # prefixes
    a["solo"] = insert("INSERT INTO artists (name, popularity) VALUES ('%s', %d)"
                       % (N.capitalize(), 10 ** 14))
    sql("INSERT INTO artist_genres (artist_id, genre_id) VALUES (%d, %d)" % (a["beyonce"], g))
    W.update(a)
    W["abbey"] = insert(
        "INSERT INTO albums (title, artist_id, release_date, popularity) "
        "VALUES ('Abbey Road %s', %d, '1969-09-26', 500)" % (N, a["beatles"]))
    sql("INSERT INTO album_genres (album_id, genre_id) VALUES (%d, %d)" % (W["abbey"], g))
    tracks = [("beatit", "Beat It", 258000, "1982-11-30", 0, 700, a["beyonce"], True),
              ("dontstop", "Don't Stop", 180000, "1990-06-01", 1, 600, a["beatles"], False),
              ("cafe", "Café del Mar", 300000, "2000-01-15", 0, 500, None, True)]
    # fillers with repeated popularity, durations and dates: ties must page
    for i in range(22):
        tracks.append(("f%d" % i, "Filler %s %d" % ("ABCD"[i % 4], i), 120000 + 1000 * (i % 5),
                       "19%02d-01-01" % (70 + i % 6) if i % 7 else None, 0, 10 * (i % 3),
                       None, False))
    for key, title, dur, date, expl, pop, artist, genre in tracks:
        t = insert("INSERT INTO tracks (title, duration_ms, release_date, explicit, popularity) "
                   "VALUES ('%s %s', %d, %s, %d, %d)"
                   % (esc(title), N, dur, "'%s'" % date if date else "NULL", expl, pop))
        W[key] = t
        if artist:
            sql("INSERT INTO track_artists (track_id, artist_id) VALUES (%d, %d)" % (t, artist))
        if genre:
            sql("INSERT INTO track_genres (track_id, genre_id) VALUES (%d, %d)" % (t, g))
    W["tracks"] = [W[t[0]] for t in tracks]

    me, other = encore.new_user(), encore.new_user()
    W["me"], W["other"] = me, other
    for key, owner, name, vis in [("p_public", other, "Road Trip", "public"),
                                  ("p_private", other, "Secret Road", "private"),
                                  ("p_unlisted", other, "Hidden Road", "unlisted"),
                                  ("p_shared", other, "Shared Road", "private"),
                                  ("p_mine", me, "My Road", "private")]:
        W[key] = insert("INSERT INTO playlists (owner_id, name, visibility) VALUES (%d, '%s %s', '%s')"
                        % (owner.id, name, N, vis))
    sql("INSERT INTO playlist_grants (playlist_id, user_id, access) VALUES (%d, %d, 'view')"
        % (W["p_shared"], me.id))
    rebuild()


def search(params, token=None, status=200):
    r = call("GET", SEARCH + "?" + urllib.parse.urlencode(params), token=token)
    return expect(r, status, "GET", SEARCH)


def ids(params, token=None):
    return [(i["type"], i["id"]) for i in search(params, token)["items"]]


def tids(params, token=None):
    return [i for t, i in ids(dict(params, type="track"), token)]


# --------------------------------------------------------------------------


def test_prefix_finds_words_and_ranks_name_prefixes_first():
    got = ids({"q": "beat " + N, "type": "artist"})
    # "Beatriz" starts with the prefix (name prefix), "The Beatles" only has
    # a word that does (word prefix): name prefix first despite popularity
    check(got == [("artist", W["beatriz"]), ("artist", W["beatles"])],
          "beat finds %r" % got)
    check(ids({"q": "beatl " + N, "type": "artist"}) == [("artist", W["beatles"])],
          "beatl does not find exactly The Beatles")
    got = ids({"q": "beat " + N})
    check(("track", W["beatit"]) in got and ("artist", W["beatles"]) in got,
          "all types: %r" % got)
    exact = search({"q": "the beatles " + N, "type": "artist"})["items"]
    check([i["id"] for i in exact] == [W["beatles"]] and exact[0]["name"] == "The Beatles " + N,
          "the whole name: %r" % exact)
    check(exact[0]["score"] >= 4 * 2 ** 50, "an exact name scores as exact: %r" % exact[0])


def test_accents_case_and_apostrophes():
    for q in ("beyonce", "BEYONCE", "Beyoncé", "bEyOnC"):
        got = ids({"q": "%s %s" % (q, N), "type": "artist"})
        check(got == [("artist", W["beyonce"])], "%r finds %r" % (q, got))
    for q in ("cafe", "CAFÉ", "café del"):
        check(tids({"q": "%s %s" % (q, N)}) == [W["cafe"]], "%r does not find Café del Mar" % q)
    for q in ("dont", "don't", "Don’t", "DON'T STOP"):
        check(tids({"q": "%s %s" % (q, N)}) == [W["dontstop"]], "%r does not find Don't Stop" % q)


def test_one_and_two_letter_queries():
    for q in (N[0], N[:2], N[:2].upper()):
        items = search({"q": q, "type": "artist", "limit": 5})["items"]
        check(items and items[0]["id"] == W["solo"],
              "%r: the most popular name starting so is not first: %r" % (q, items))
        check(all(i["name"].lower().startswith(q.lower()) for i in items),
              "%r matches inside names: %r" % (q, items))
    # a word inside a name does not count for short queries
    got = ids({"q": N[:2], "type": "artist", "limit": 100})
    check(("artist", W["beatles"]) not in got, "two letters matched a later word")


def test_several_words_must_all_match():
    check([i for _, i in ids({"q": "abbey road " + N, "type": "album"})] == [W["abbey"]],
          "abbey road")
    check(ids({"q": "road abbey " + N, "type": "album"}) == [("album", W["abbey"])],
          "word order")
    check(ids({"q": "abbey nothinglikethis " + N}) == [], "a word that matches nothing")
    check(ids({"q": "abb roa " + N, "type": "album"}) == [("album", W["abbey"])],
          "earlier words as prefixes")


def test_filters():
    g = "genre" + N
    check(set(tids({"q": N, "genre": g})) == {W["beatit"], W["cafe"]}, "genre on tracks")
    check(set(tids({"q": N, "genre": g.upper()})) == {W["beatit"], W["cafe"]}, "genre ignores case")
    got = set(ids({"q": N, "genre": g, "limit": 100}))
    check(got == {("track", W["beatit"]), ("track", W["cafe"]), ("album", W["abbey"]),
                  ("artist", W["beyonce"])}, "genre over every type: %r" % got)
    check(ids({"q": N, "genre": "nosuchgenre" + N}) == [], "unknown genre")
    # browse: no q, a filter
    check(set(ids({"genre": g, "type": "track"})) ==
          {("track", W["beatit"]), ("track", W["cafe"])}, "browse by genre")
    items = search({"q": N, "type": "track", "year_from": 1982, "year_to": 1990, "limit": 100})["items"]
    check({i["id"] for i in items} == {W["beatit"], W["dontstop"]},
          "years: %r" % [(i["title"], i["release_date"]) for i in items])
    got = set(tids({"q": N, "duration_min": 250000, "duration_max": 300000, "limit": 100}))
    check(got == {W["beatit"], W["cafe"]}, "durations: %r" % got)
    check(tids({"q": N, "explicit": "true", "limit": 100}) == [W["dontstop"]], "explicit")
    check(W["dontstop"] not in tids({"q": N, "explicit": "false", "limit": 100}), "clean")
    got = set(ids({"q": N, "artist_id": W["beatles"], "limit": 100}))
    check(got == {("track", W["dontstop"]), ("album", W["abbey"]), ("artist", W["beatles"])},
          "artist_id: %r" % got)
    # a filter drops the types it does not apply to
    check(all(t == "track" for t, _ in ids({"q": N, "explicit": "false", "limit": 100})),
          "explicit kept non-tracks")


FIELD = {"popularity": "popularity", "release_date": "release_date", "duration": "duration_ms"}


def test_each_sort_both_directions():
    for sort in ("relevance", "popularity", "release_date", "title", "duration"):
        asc = search({"q": N, "type": "track", "sort": sort, "order": "asc", "limit": 100})["items"]
        desc = search({"q": N, "type": "track", "sort": sort, "order": "desc", "limit": 100})["items"]
        check(len(asc) == len(W["tracks"]), "%s: %d items" % (sort, len(asc)))
        check([i["id"] for i in asc] == [i["id"] for i in reversed(desc)],
              "%s: desc is not asc reversed" % sort)
        f = FIELD.get(sort)
        if f:
            keys = [(i[f] or "") if f == "release_date" else i[f] for i in asc]
            check(keys == sorted(keys), "%s asc not ordered: %r" % (sort, keys))
        if sort == "title":
            titles = [i["title"].lower() for i in asc]
            check(titles == sorted(titles), "title asc not ordered: %r" % titles)
        if sort == "relevance":
            check(all("score" in i for i in asc), "relevance items carry no score")
    default = search({"q": N, "type": "track", "sort": "popularity", "limit": 100})["items"]
    check(default[0]["popularity"] >= default[-1]["popularity"], "popularity defaults to desc")


def pages(params, limit):
    seen, cursor, n = [], None, 0
    while True:
        p = dict(params, limit=limit)
        if cursor:
            p["cursor"] = cursor
        body = search(p)
        seen += [(i["type"], i["id"]) for i in body["items"]]
        cursor = body["next_cursor"]
        n += 1
        check(n < 100, "paging does not end")
        if not cursor:
            return seen


def test_cursor_pages_have_no_duplicates_and_no_gaps():
    for params in ({"q": N, "type": "track", "sort": "popularity"},
                   {"q": N, "type": "track", "sort": "title", "order": "desc"},
                   {"q": N, "type": "track", "sort": "release_date", "order": "asc"},
                   {"q": N, "sort": "duration"},
                   {"q": N},
                   {"genre": "genre" + N, "sort": "title"}):
        whole = [(i["type"], i["id"]) for i in search(dict(params, limit=100))["items"]]
        for limit in (1, 3, 7):
            got = pages(params, limit)
            check(got == whole, "%r by %d: %r != %r" % (params, limit, got, whole))


def test_bad_cursors():
    for cur in ("x", "!!!!", "Zm9v", encore.b64url(b"relevance|d|0|1"),
                encore.b64url(b"relevance|d|9|1|5"), encore.b64url(b"relevance|d|0|0|5")):
        r = call("GET", SEARCH + "?" + urllib.parse.urlencode({"q": N, "cursor": cur}))
        expect(r, 400, "GET", SEARCH)
    # a cursor of another sort or direction
    body = search({"q": N, "type": "track", "sort": "popularity", "limit": 2})
    for other in ({"sort": "title"}, {"sort": "popularity", "order": "asc"}):
        r = call("GET", SEARCH + "?" + urllib.parse.urlencode(
            dict({"q": N, "type": "track", "cursor": body["next_cursor"]}, **other)))
        expect(r, 400, "GET", SEARCH)


def test_playlists_only_visible_ones():
    me, other = W["me"], W["other"]
    q = {"q": "road " + N, "type": "playlist"}
    check(set(ids(q)) == {("playlist", W["p_public"])}, "anonymous sees %r" % ids(q))
    got = set(ids(q, me.access))
    check(got == {("playlist", W["p_public"]), ("playlist", W["p_shared"]),
                  ("playlist", W["p_mine"])}, "the caller sees %r" % got)
    got = set(ids(q, other.access))
    check(got == {("playlist", W["p_public"]), ("playlist", W["p_private"]),
                  ("playlist", W["p_unlisted"]), ("playlist", W["p_shared"])},
          "the owner sees %r" % got)
    stranger = encore.new_user()
    check(set(ids(dict(q, type="track,playlist,artist"), stranger.access)) ==
          {("playlist", W["p_public"])}, "a stranger sees private playlists")
    for short in ("s", "se", "hi"):
        got = ids({"q": short, "type": "playlist", "limit": 100}, stranger.access)
        check(("playlist", W["p_private"]) not in got and ("playlist", W["p_unlisted"]) not in got,
              "short query %r shows a private playlist" % short)


def test_bad_parameters():
    bad = [({"q": "x" * 10000}, "q"), ({"q": "é" * 201}, "q"), ({}, "q"), ({"q": ""}, "q"),
           ({"q": "a", "type": "song"}, "type"), ({"q": "a", "type": ""}, "type"),
           ({"q": "a", "type": "track,"}, "type"), ({"q": "a", "sort": "random"}, "sort"),
           ({"q": "a", "order": "up"}, "order"), ({"q": "a", "year_from": 2000, "year_to": 1999}, "year_to"),
           ({"q": "a", "duration_min": 5, "duration_max": 4}, "duration_max"),
           ({"q": "a", "year_from": "nineteen"}, "year_from"), ({"q": "a", "explicit": "yes"}, "explicit"),
           ({"q": "a", "artist_id": "0"}, "artist_id"), ({"q": "a", "artist_id": "9" * 30}, "artist_id"),
           ({"q": "a", "limit": 101}, "limit"), ({"q": "a", "limit": 0}, "limit"),
           ({"q": "a", "genre": ""}, "genre")]
    for params, field in bad:
        p = search(params, status=422)
        check(field in encore.error_fields(p), "%r: errors %r" % (params, p.get("errors")))
    search({"q": "é" * 200}, status=200)
    # 10,000 characters that each take 3 bytes once %-encoded make a request
    # line over nginx's 16 KiB: a clear 414 problem there
    r = call("GET", SEARCH + "?" + urllib.parse.urlencode({"q": '+-*"()~<>@' * 1000}))
    check(r.status_code in (414, 422), "10,000 operators: %d" % r.status_code)
    encore.expect_problem(r, (414, 422), what="10,000 operators")


def test_operators_are_plain_text():
    for q in ('+-*"()~<>@', "%", "_", "\\", "%%%", "' OR 1=1 -- ", '"beat"', "beat*", "@@",
              "a%b_c\\d", "+beat -it", "(beat)", "~beat", ">beat <it", "*", "MATCH AGAINST",
              "\U0001F3B5", "；", "\u200b"):
        search({"q": q, "type": "track,artist,album,playlist"}, status=200)
    got = tids({"q": '+beat* -"%s"' % N})
    check(got == [W["beatit"]], "operators as separators: %r" % got)
    check(ids({"q": "%_%"}) == [], "only operators: no items")


def test_a_common_word_pages_in_sort_order():
    """A word in thousands of names takes the ordered plan (the sort's own
    index, probing each object): same answers as a sort of every match."""
    m = "zx" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(8))
    rows = []
    for i in range(3000):
        rows.append((("%s crowd %d" % (m, i)) if i else m, 90000 + 1000 * (i % 37),
                     "%04d-%02d-01" % (1960 + i % 60, 1 + i % 12) if i % 11 else None,
                     int(i % 13 == 0), (i * 7919) % 1000))
    # One multi-row insert gets consecutive ids; tests running beside this
    # one may insert tracks between two of them, so each keeps its own start.
    ids = []
    for lo in range(0, len(rows), 1000):
        part = rows[lo:lo + 1000]
        tid = insert("INSERT INTO tracks (title, duration_ms, release_date, explicit, popularity) "
                     "VALUES " + ", ".join("('%s', %d, %s, %d, %d)" % (
                         t, d, "'%s'" % r if r else "NULL", e, p) for t, d, r, e, p in part))
        ids += range(tid, tid + len(part))
    rebuild()
    data = {i: r for i, r in zip(ids, rows)}
    exact = ids[0]

    def walk(params, limit, pages):
        got, cursor = [], None
        for _ in range(pages):
            p = dict(params, limit=limit)
            if cursor:
                p["cursor"] = cursor
            body = search(p)
            got += [i["id"] for i in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        return got

    # relevance: the exact name first, then by popularity
    want = [exact] + sorted((i for i in ids if i != exact),
                            key=lambda i: (-data[i][4], -i))
    got = walk({"q": m, "type": "track"}, 50, 4)
    check(got == want[:200], "relevance: %r... != %r..." % (got[:8], want[:8]))
    for sort, col in (("popularity", 4), ("duration", 1)):
        for desc in (False, True):
            want = sorted(ids, key=lambda i: (data[i][col], i), reverse=desc)
            got = walk({"q": m, "type": "track", "sort": sort,
                        "order": "desc" if desc else "asc"}, 100, 3)
            check(got == want[:300], "%s %s: %r != %r" % (sort, desc, got[:8], want[:8]))
    want = sorted(ids, key=lambda i: (data[i][2] or "", i))
    check(walk({"q": m, "type": "track", "sort": "release_date", "order": "asc"}, 100, 2) ==
          want[:200], "release_date asc")
    want = sorted(ids, key=lambda i: (data[i][0].lower(), i), reverse=True)
    check(walk({"q": m + " crowd", "type": "track", "sort": "title", "order": "desc"}, 100, 2) ==
          [i for i in want if i != exact][:200], "title desc")
    # filters on the ordered plan
    want = [exact] + sorted((i for i in ids if data[i][3] and i != exact),
                            key=lambda i: (-data[i][4], -i))
    check(walk({"q": m, "type": "track", "explicit": "true"}, 100, 5) == want,
          "explicit over a common word")
    want = sorted((i for i in ids if data[i][2] and "1970" <= data[i][2][:4] <= "1972"),
                  key=lambda i: (-data[i][4], -i))
    check(walk({"q": m + " crowd", "type": "track", "year_from": 1970, "year_to": 1972}, 100, 5)
          == want, "years over a common word")
    # a rare word with a common one: exactly the names with both
    check(tids({"q": "%s crowd 1234" % m}) == [ids[1234]], "common + rare words")


def test_rename_is_found_by_the_new_name():
    if "/api/v1/artists/{id}" not in encore.spec().get("paths", {}):
        raise encore.Skip("no catalogue API yet")
    adm = encore.admin()
    r = call("POST", "/api/v1/artists", token=adm.access, json_body={"name": "Old Name " + N})
    created = expect(r, 201, "POST", "/api/v1/artists")
    aid = created["id"]
    check(ids({"q": "old name " + N, "type": "artist"}) == [("artist", aid)], "not indexed on create")
    r = call("PATCH", "/api/v1/artists/%d" % aid, token=adm.access,
             json_body={"name": "Brand New " + N})
    expect(r, 200, "PATCH", "/api/v1/artists/{id}")
    # the old page was cached just above: a write must invalidate it
    check(ids({"q": "old name " + N, "type": "artist"}) == [], "the old name still finds it")
    check(ids({"q": "brand new " + N, "type": "artist"}) == [("artist", aid)], "the new name does not")
    r = call("DELETE", "/api/v1/artists/%d" % aid, token=adm.access)
    check(r.status_code in (200, 204), "delete: %d" % r.status_code)
    check(ids({"q": "brand " + N, "type": "artist"}) == [], "a deleted artist is still found")


def new_track(title):
    """A track made through the catalogue API (so indexed by its writer)."""
    adm = encore.admin()
    if "artist" not in W:
        r = call("POST", "/api/v1/artists", token=adm.access, json_body={"name": "Maker " + N})
        W["artist"] = expect(r, 201, "POST", "/api/v1/artists")["id"]
    r = call("POST", "/api/v1/tracks", token=adm.access,
             json_body={"title": title, "duration_ms": 1000,
                        "artists": [{"id": W["artist"], "role": "primary"}]})
    return expect(r, 201, "POST", "/api/v1/tracks")["id"]


def test_names_with_many_matching_words_come_once():
    """Each word of a name starting with the query is an index entry of its
    own: a name counts once however many of its words match, on every
    page."""
    m = "zw" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(6))
    made = [new_track(" ".join(m + c for c in "abcdefghijk") + " %d" % i) for i in range(4)]
    for params in ({"q": m, "type": "track"}, {"q": m, "type": "track", "sort": "title"},
                   {"q": m, "type": "track", "sort": "duration", "order": "desc"}):
        whole = [i for t, i in pages(params, 100)]
        check(sorted(whole) == sorted(made), "%r: %r" % (params, whole))
        for limit in (1, 3):
            check([i for t, i in pages(params, limit)] == whole, "%r by %d" % (params, limit))


def test_title_cursor_outlives_its_item():
    """A title-sort cursor carries the title it stopped at, so deleting that
    track does not break the next page."""
    adm = encore.admin()
    m = "zt" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(8))
    made = [new_track("%s %s" % (t, m)) for t in ("Alpha", "Bravo", "Charlie", "Delta", "Echo")]
    q = {"q": m, "type": "track", "sort": "title", "limit": 2}
    first = search(q)
    check([i["id"] for i in first["items"]] == made[:2], "first page %r" % first["items"])
    r = call("DELETE", "/api/v1/tracks/%d" % made[1], token=adm.access)
    check(r.status_code in (200, 204), "delete: %d" % r.status_code)
    after = search(dict(q, cursor=first["next_cursor"]))
    check([i["id"] for i in after["items"]] == made[2:4],
          "page after a deleted item: %r" % after["items"])
    # and in the other direction, from a title that sorts between two left
    desc = search(dict(q, order="desc", limit=3))
    check([i["id"] for i in desc["items"]] == [made[4], made[3], made[2]], "desc %r" % desc)
    sql("UPDATE tracks SET title = 'Zulu %s' WHERE id = %d" % (m, made[2]))
    rest = search(dict(q, order="desc", limit=3, cursor=desc["next_cursor"]))
    check([i["id"] for i in rest["items"]] == [made[0]], "desc rest %r" % rest["items"])
    for m_id in made[:1] + made[2:]:
        call("DELETE", "/api/v1/tracks/%d" % m_id, token=adm.access)


def test_grants_and_visibility_reach_cached_pages():
    """A grant, a revoke or a visibility change shows in the affected users'
    next search at once, although their previous page was cached."""
    owner, grantee, stranger = encore.new_user(), encore.new_user(), encore.new_user()
    m = "zg" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(8))
    r = call("POST", "/api/v1/playlists", token=owner.access,
             json_body={"name": "Shared later " + m, "visibility": "private"})
    pid = expect(r, 201, "POST", "/api/v1/playlists")["id"]
    q = {"q": m, "type": "playlist"}
    mine = ("playlist", pid)
    check(ids(q, grantee.access) == [] and ids(q, stranger.access) == [], "private, not shared")
    r = call("PUT", "/api/v1/playlists/%d/grants/%s" % (pid, grantee.username),
             token=owner.access, json_body={"access": "view"})
    expect(r, 200, "PUT", "/api/v1/playlists/{id}/grants/{username}")
    check(ids(q, grantee.access) == [mine], "the grantee does not find it after the grant")
    check(ids(q, stranger.access) == [], "a stranger finds it after someone else's grant")
    r = call("DELETE", "/api/v1/playlists/%d/grants/%s" % (pid, grantee.username),
             token=owner.access)
    check(r.status_code == 204, "revoke: %d" % r.status_code)
    check(ids(q, grantee.access) == [], "the grantee still finds it after the revoke")
    r = call("PATCH", "/api/v1/playlists/%d" % pid, token=owner.access,
             json_body={"visibility": "public"})
    expect(r, 200, "PATCH", "/api/v1/playlists/{id}")
    check(ids(q, stranger.access) == [mine] and ids(q) == [mine],
          "a public playlist stays hidden behind cached pages")


def test_writes_during_a_rebuild_are_kept():
    """A track created while `search rebuild` runs is in the new index: the
    rebuild replays what was indexed meanwhile."""
    s = encore.stack()
    admin = s.get("ENCORE_ADMIN_BIN")
    if not admin:
        raise encore.Skip("stack.env has no ENCORE_ADMIN_BIN")
    # enough rows that the rebuild takes a moment (tracks come first)
    bulk = "zb" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(8))
    first = insert("INSERT INTO tracks (title, duration_ms) SELECT CONCAT('%s ', seq), 1000 "
                   "FROM seq_1_to_40000" % bulk)
    adm = encore.admin()
    created = []
    for attempt in range(3):
        m = "zr" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(8))
        proc = subprocess.Popen([admin, "-c", s["ENCORE_CONF"], "search", "rebuild"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        # the rebuild has read the tracks' id range once its new tables have rows
        while proc.poll() is None:
            if sql("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                   "DATABASE() AND table_name = 'search_heads_next'")[0][0] == "1":
                try:
                    if sql("SELECT EXISTS (SELECT 1 FROM search_heads_next)")[0][0] == "1":
                        break
                except AssertionError:
                    break  # swapped in meanwhile: the write below comes too late
        tid = new_track("Late " + m)
        created.append(tid)
        during = proc.poll() is None
        check(proc.wait(timeout=600) == 0, "search rebuild failed: %s" % proc.stderr.read())
        proc.stderr.close()
        check(tids({"q": "late " + m}) == [tid], "a track created during a rebuild is lost")
        if during:
            break
    else:
        raise AssertionError("the rebuild always ended before the write; cannot tell")
    sql("DELETE FROM tracks WHERE id BETWEEN %d AND %d AND title LIKE '%s %%'"
        % (first, first + 39999, bulk))
    rebuild()
    for tid in created:
        call("DELETE", "/api/v1/tracks/%d" % tid, token=adm.access)


if __name__ == "__main__":
    encore.main(globals(), setup=seed)
