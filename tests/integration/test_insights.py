#!/usr/bin/python3
"""Listening insights through nginx: every figure of GET /api/v1/me/insights
computed again here from the listens posted (in Python, with the standard
library's zoneinfo) for ranges in several time zones (half- and
three-quarter-hour offsets, DST, the southern hemisphere), ranges cut
anywhere in a busy month (the one that keeps day rows) and a quiet one;
the same after deleting one listen, a range and everything; the previous
period; another user's insights under each history visibility and a
block; the year in review (and an empty year) and its card, rendered with
rsvg-convert; the time_zone preference; and the bad input of the issue:
dates backwards, before 1970, in the future, malformed, unknown and
malformed zones, 200 years, years out of range."""

import collections
import datetime
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zoneinfo

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import call, check, expect  # noqa: E402
from test_listens import q, sql  # noqa: E402

encore.require_stack()

ME = "/api/v1/me/insights"
USER = "/api/v1/users/{username}/insights"
YEAR = "/api/v1/me/insights/year/{year}"
CARD = "/api/v1/me/insights/year/{year}/card.svg"
LISTENS = "/api/v1/me/listens"
HISTORY = "/api/v1/me/history"
ONE = "/api/v1/me/history/{listen_id}"
PREFS = "/api/v1/me/preferences"
UTC = datetime.timezone.utc
ZONES = ["UTC", "Europe/Berlin", "Asia/Kolkata", "Asia/Kathmandu",
         "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]


class World:
    pass


W = World()


# --------------------------------------------------------------------------
# Seeding: a small catalogue with known credits, and one user's listens


def create(path, body):
    """POST a catalogue object as the stack's admin; its id (the catalogue's
    own tests hold its answers against the spec)."""
    r = call("POST", path, token=encore.admin().access, json_body=body)
    check(r.status_code == 201, "POST %s: %d %s" % (path, r.status_code, r.text[:200]))
    return r.json()["id"]


def seed_catalogue():
    tag = encore.unique("ins")
    W.genres = ["Ins Rock " + tag, "Ins Jazz " + tag, "Ins Folk " + tag]
    W.artists = {}
    for i, name in enumerate(["Tom & <Jerry> " + tag, "Ins Two " + tag,
                              "Ins Three " + tag, "Ins Four " + tag]):
        W.artists[create("/api/v1/artists", {"name": name})] = name
    a = list(W.artists)
    al1 = create("/api/v1/albums", {"title": "Ins Album One " + tag, "artist_id": a[0]})
    al2 = create("/api/v1/albums", {"title": "Ins Album Two " + tag, "artist_id": a[1]})
    specs = [  # (primary artists, featured, album, genres, duration)
        ([a[0]], [], al1, [0], 180000),
        ([a[0]], [a[2]], al1, [0, 1], 240000),
        ([a[1]], [], al2, [1], 200000),
        ([a[1], a[2]], [], al2, [1, 2], 210000),  # two primary artists
        ([a[2]], [], None, [2], 150000),
        ([a[3]], [], None, [], 300000),  # no genre, no album
        ([a[3]], [a[0]], None, [0], 100000),
    ]
    W.tracks = {}
    for i, (prim, feat, album, genres, dur) in enumerate(specs):
        body = {"title": "Ins Song %d %s" % (i, tag), "duration_ms": dur,
                "artists": [{"id": x, "role": "primary"} for x in prim] +
                           [{"id": x, "role": "featured"} for x in feat],
                "genres": [W.genres[g] for g in genres]}
        if album:
            body["album_id"] = album
        tid = create("/api/v1/tracks", body)
        W.tracks[tid] = {"artists": prim, "album": album,
                         "genres": [W.genres[g] for g in genres], "duration": dur}
    # genres are shown by name: their ids from the database
    W.genre_ids = {name: int(gid) for gid, name in
                   sql("SELECT id, name FROM genres WHERE name IN (%s)" %
                       ",".join(q(g) for g in W.genres))}


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def month_start(dt, back):
    y, m = dt.year, dt.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    return datetime.datetime(y, m, 1, tzinfo=UTC)


def make_listens(rnd, now):
    """A busy UTC month (over 256 listens), listens around the local
    midnights of the zones, and a quiet year before."""
    out = []
    busy = month_start(now, 2)
    W.busy = busy
    for i in range(330):
        out.append(busy + datetime.timedelta(seconds=rnd.randrange(28 * 86400)))
    for k in range(14):  # quiet months
        base = month_start(now, 3 + k)
        for i in range(rnd.randrange(5, 25)):
            out.append(base + datetime.timedelta(seconds=rnd.randrange(27 * 86400)))
    # around each zone's midnights (both sides), in the busy month
    for name in ZONES:
        z = zoneinfo.ZoneInfo(name)
        d = (busy + datetime.timedelta(days=10)).astimezone(z).date()
        mid = datetime.datetime(d.year, d.month, d.day, tzinfo=z).astimezone(UTC)
        for off in (-61, -1, 0, 1, 899, 901):
            out.append(mid + datetime.timedelta(seconds=off))
    # this month, up to a few minutes ago
    for i in range(20):
        out.append(now - datetime.timedelta(seconds=rnd.randrange(60, 5 * 86400)))
    out = sorted(set(dt.replace(microsecond=(dt.microsecond // 1000) * 1000) for dt in out))
    tids = list(W.tracks)
    items = []
    for dt in out:
        tid = rnd.choice(tids)
        ms = None if rnd.random() < 0.2 else rnd.randrange(1000, 400000)
        items.append({"track_id": tid, "listened_at": iso(dt), "ms_played": ms, "at": dt})
    return items


def post_listens(user, items):
    for i in range(0, len(items), 500):
        body = {"listens": [{k: v for k, v in it.items() if k != "at" and v is not None}
                            for it in items[i:i + 500]]}
        rep = expect(call("POST", LISTENS, token=user.access, json_body=body), 200,
                     "POST", LISTENS)
        check(rep["stored"] + rep["duplicates"] == len(body["listens"]), repr(rep)[:300])


def setup():
    seed_catalogue()
    rnd = random.Random(20260101)
    W.now = datetime.datetime.now(UTC)
    W.user = encore.new_user()
    W.items = make_listens(rnd, W.now)
    post_listens(W.user, W.items)


# --------------------------------------------------------------------------
# The figures, computed again


def listen_ms(it):
    return it["ms_played"] if it["ms_played"] is not None else W.tracks[it["track_id"]]["duration"]


def figures(items, zone, d0, d1, limit=50):
    z = zoneinfo.ZoneInfo(zone)
    inside = [it for it in items if d0 <= it["at"].astimezone(z).date() <= d1]
    first = {}
    for it in sorted(items, key=lambda x: x["at"]):
        for a in W.tracks[it["track_id"]]["artists"]:
            first.setdefault(a, it["at"])
    f = {"listens": len(inside), "ms_played": sum(listen_ms(i) for i in inside)}
    per = {k: collections.defaultdict(lambda: [0, 0]) for k in ("tracks", "artists", "albums", "genres")}
    heat = [[0] * 24 for _ in range(7)]
    daily = collections.defaultdict(lambda: [0, 0])
    for it in inside:
        t, ms = W.tracks[it["track_id"]], listen_ms(it)
        keys = {"tracks": [it["track_id"]], "artists": t["artists"],
                "albums": [t["album"]] if t["album"] else [],
                "genres": [W.genre_ids[g] for g in t["genres"]]}
        for k, ids in keys.items():
            for x in ids:
                per[k][x][0] += 1
                per[k][x][1] += ms
        loc = it["at"].astimezone(z)
        heat[loc.weekday()][loc.hour] += 1
        daily[loc.date()][0] += 1
        daily[loc.date()][1] += ms
    f["distinct"] = {k: len(v) for k, v in per.items()}
    f["top"] = {k: [(x, n, ms) for x, (n, ms) in
                    sorted(v.items(), key=lambda e: (-e[1][0], -e[1][1], e[0]))[:limit]]
                for k, v in per.items()}
    f["heatmap"] = heat
    f["daily"] = [(d.isoformat(), n, ms) for d, (n, ms) in sorted(daily.items())]
    best, run, prev, end = 0, 0, None, None
    for d in sorted(daily):
        run = run + 1 if prev is not None and d == prev + datetime.timedelta(days=1) else 1
        prev = d
        if run > best:
            best, end = run, d
    f["streak"] = (best, (end - datetime.timedelta(days=best - 1)).isoformat() if best else None,
                   end.isoformat() if best else None)
    lo = datetime.datetime(d0.year, d0.month, d0.day, tzinfo=z)
    hi = datetime.datetime(d1.year, d1.month, d1.day, tzinfo=z) + datetime.timedelta(days=1)
    # the zone's local midnight: fold=0, like tz_day_start's first instant
    f["discoveries"] = sum(1 for at in first.values() if lo <= at < hi)
    counts = [n for n, _ in per["artists"].values()]
    total = sum(counts)
    h = -sum(c / total * math.log2(c / total) for c in counts) if total else 0.0
    f["entropy"] = h
    return f


def compare(got, want, what):
    check(got["listens"] == want["listens"], "%s: listens %d, expected %d" % (what, got["listens"], want["listens"]))
    check(got["ms_played"] == want["ms_played"], "%s: ms_played %d, expected %d" % (what, got["ms_played"], want["ms_played"]))
    check(got["minutes"] == want["ms_played"] // 60000, what + ": minutes")
    check(got["distinct"] == want["distinct"], "%s: distinct %r, expected %r" % (what, got["distinct"], want["distinct"]))
    for k in ("tracks", "artists", "albums", "genres"):
        g = [(x["id"], x["listens"], x["ms_played"]) for x in got["top"][k]]
        check(g == want["top"][k], "%s: top %s %r, expected %r" % (what, k, g, want["top"][k]))
        check([x["rank"] for x in got["top"][k]] == list(range(1, len(g) + 1)), what + ": ranks")
    check(got["heatmap"] == want["heatmap"], "%s: heatmap differs: %r vs %r" % (what, got["heatmap"], want["heatmap"]))
    d = [(x["date"], x["listens"], x["ms_played"]) for x in got["daily"]]
    check(d == want["daily"], "%s: daily %r, expected %r" % (what, d[:5], want["daily"][:5]))
    s = got["longest_streak"]
    check((s["days"], s["from"], s["to"]) == want["streak"], "%s: streak %r, expected %r" % (what, s, want["streak"]))
    check(got["discoveries"] == want["discoveries"], "%s: discoveries %d, expected %d" % (what, got["discoveries"], want["discoveries"]))
    share = want["discoveries"] / want["listens"] if want["listens"] else 0
    check(abs(got["discovery_share"] - share) < 1e-4, what + ": discovery_share")
    check(abs(got["diversity"]["artist_entropy_bits"] - want["entropy"]) < 1e-4,
          "%s: entropy %r, expected %r" % (what, got["diversity"], want["entropy"]))


def report(user, zone, d0, d1, path=ME, **kw):
    params = "?from=%s&to=%s&tz=%s&limit=50" % (d0.isoformat(), d1.isoformat(), zone)
    r = call("GET", path.format(**kw) + params, token=user.access if user else None)
    return expect(r, 200, "GET", path)


def check_range(zone, d0, d1, items=None):
    items = W.items if items is None else items
    got = report(W.user, zone, d0, d1)
    what = "%s %s..%s" % (zone, d0, d1)
    check(got["time_zone"] == zone and got["from"] == d0.isoformat() and got["to"] == d1.isoformat(),
          what + ": range echoed %r" % {k: got[k] for k in ("from", "to", "time_zone")})
    compare(got, figures(items, zone, d0, d1), what)
    n = (d1 - d0).days + 1
    p0, p1 = d0 - datetime.timedelta(days=n), d0 - datetime.timedelta(days=1)
    check(got["previous"]["from"] == p0.isoformat() and got["previous"]["to"] == p1.isoformat(),
          what + ": previous period")
    compare(got["previous"], figures(items, zone, p0, p1), what + " (previous)")


def ranges(zone):
    z = zoneinfo.ZoneInfo(zone)
    busy = (W.busy + datetime.timedelta(days=10)).astimezone(z).date()
    today = W.now.astimezone(z).date()
    return [
        (busy, busy),  # a day, cut at the zone's midnights
        (busy - datetime.timedelta(days=3), busy + datetime.timedelta(days=3)),
        (W.busy.astimezone(z).date(), (W.busy + datetime.timedelta(days=40)).astimezone(z).date()),
        (today - datetime.timedelta(days=400), today),  # a year and more
        (datetime.date(1970, 1, 1), today),  # all time
        (today - datetime.timedelta(days=95), today - datetime.timedelta(days=33)),
    ]


# --------------------------------------------------------------------------


def test_ranges_in_every_zone():
    for zone in ZONES:
        for d0, d1 in ranges(zone):
            check_range(zone, d0, d1)


def test_default_zone_is_the_preference():
    body = {"time_zone": "Asia/Kathmandu"}
    got = expect(call("PUT", PREFS, token=W.user.access, json_body=body), 200, "PUT", PREFS)
    check(got["time_zone"] == "Asia/Kathmandu", repr(got))
    d = (W.busy + datetime.timedelta(days=10)).astimezone(zoneinfo.ZoneInfo("Asia/Kathmandu")).date()
    r = call("GET", ME + "?from=%s&to=%s&limit=50" % (d, d), token=W.user.access)
    got = expect(r, 200, "GET", ME)
    check(got["time_zone"] == "Asia/Kathmandu", got["time_zone"])
    compare(got, figures(W.items, "Asia/Kathmandu", d, d), "preference zone")
    # defaults: the last 30 days
    got = expect(call("GET", ME, token=W.user.access), 200, "GET", ME)
    check(got["days"] == 30, got["days"])
    # back to the default zone
    got = expect(call("PUT", PREFS, token=W.user.access, json_body={}), 200, "PUT", PREFS)
    check(got["time_zone"] == "UTC", got)
    for bad in ["Mars/Olympus", "../../etc/passwd", "europe/berlin", "", "x" * 65, 5]:
        r = call("PUT", PREFS, token=W.user.access, json_body={"time_zone": bad})
        p = expect(r, 422, "PUT", PREFS)
        check("time_zone" in encore.error_fields(p), repr(p))


def history_ids(user, d0, d1):
    r = call("GET", HISTORY + "?from=%s&to=%s&limit=100" % (iso(d0), iso(d1)), token=user.access)
    return [(x["id"], x["listened_at"]) for x in expect(r, 200, "GET", HISTORY)["items"]]


def drop_items(pred):
    W.items = [it for it in W.items if not pred(it)]


def test_deleting_updates_the_insights():
    zone = "Asia/Kolkata"
    # one listen of the busy month
    mid = W.busy + datetime.timedelta(days=12)
    lid, at = history_ids(W.user, mid, mid + datetime.timedelta(days=1))[0]
    expect(call("DELETE", ONE.format(listen_id=lid), token=W.user.access), 200, "DELETE", ONE)
    drop_items(lambda it: iso(it["at"]) == at)
    for d0, d1 in ranges(zone)[:3]:
        check_range(zone, d0, d1)
    # a range: most of the busy month, so that it falls under the day rows'
    # threshold and back to being read from listens
    lo, hi = W.busy + datetime.timedelta(days=2, hours=5), W.busy + datetime.timedelta(days=25)
    r = call("DELETE", HISTORY + "?from=%s&to=%s" % (iso(lo), iso(hi)), token=W.user.access)
    n = expect(r, 200, "DELETE", HISTORY)["deleted"]
    before = len(W.items)
    drop_items(lambda it: lo <= it["at"] < hi)
    check(n == before - len(W.items), "deleted %d, expected %d" % (n, before - len(W.items)))
    for z in ("UTC", zone, "America/New_York"):
        for d0, d1 in ranges(z):
            check_range(z, d0, d1)
    # stored again: the month gets busy again from its listens
    again = [it for it in make_listens(random.Random(7), W.now) if lo <= it["at"] < hi][:280]
    post_listens(W.user, again)
    W.items += again
    for d0, d1 in ranges(zone)[:3]:
        check_range(zone, d0, d1)


def check_year(year):
    got = expect(call("GET", YEAR.format(year=year), token=W.user.access), 200, "GET", YEAR)
    d0, d1 = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    want = figures(W.items, "UTC", d0, d1, limit=5)
    check(got["year"] == year and got["listens"] == want["listens"] and got["ms_played"] == want["ms_played"],
          repr({k: got[k] for k in ("year", "listens", "ms_played")}))
    for k in ("tracks", "artists", "albums", "genres"):
        check([(x["id"], x["listens"], x["ms_played"]) for x in got["top"][k]] == want["top"][k], k)
    months = [0] * 12
    for it in W.items:
        if it["at"].year == year:
            months[it["at"].month - 1] += listen_ms(it)
    check([m["ms_played"] for m in got["months"]] == months, "months")
    check(got["best_month"]["month"] == months.index(max(months)) + 1, got["best_month"])
    first = {}
    for it in sorted(W.items, key=lambda x: x["at"]):
        for a in W.tracks[it["track_id"]]["artists"]:
            first.setdefault(a, it["at"])
    heard = {a: (n, ms) for a, n, ms in figures(W.items, "UTC", d0, d1)["top"]["artists"]}
    new = sorted((a for a, at in first.items() if at.year == year),
                 key=lambda a: (-heard[a][0], -heard[a][1], a))
    if new:
        check(got["new_artist"] and got["new_artist"]["id"] == new[0] and
              got["new_artist"]["listens"] == heard[new[0]][0], repr(got["new_artist"]))
    else:
        check(got["new_artist"] is None, repr(got["new_artist"]))
    check(got["discoveries"] == len(new), "discoveries %d, expected %d" % (got["discoveries"], len(new)))
    return bool(new)


def test_year_in_review_and_card():
    years = sorted({it["at"].year for it in W.items})
    check(any([check_year(y) for y in years]), "no year with a new artist")
    year = W.busy.year

    # a year without listens: zeros and nulls
    empty = expect(call("GET", YEAR.format(year=1999), token=W.user.access), 200, "GET", YEAR)
    check(empty["listens"] == 0 and empty["best_month"] is None and empty["new_artist"] is None
          and all(not v for v in empty["top"].values()), repr(empty)[:300])
    for y in (year, 1999):
        r = call("GET", CARD.format(year=y), token=W.user.access)
        check(r.status_code == 200, "card: %d %s" % (r.status_code, r.text[:200]))
        check(encore.media_type(r) in encore.operation("GET", CARD)["responses"]["200"]["content"],
              r.headers.get("Content-Type"))
        root = ET.fromstring(r.content)  # well-formed XML, names escaped
        check(root.get("width") == "1080" and root.get("height") == "1350", root.attrib)
        if y == year:
            check(b"Tom &amp; &lt;Jerry&gt;" in r.content, "the artist's name is not escaped")
        rsvg = shutil.which("rsvg-convert")
        if not rsvg:
            raise encore.Skip("rsvg-convert (librsvg2-bin) is not installed")
        with tempfile.TemporaryDirectory() as d:
            svg, png = os.path.join(d, "card.svg"), os.path.join(d, "card.png")
            with open(svg, "wb") as f:
                f.write(r.content)
            out = subprocess.run([rsvg, "-o", png, svg], capture_output=True, timeout=60)
            check(out.returncode == 0, "rsvg-convert: %s" % out.stderr[:300])
            with open(png, "rb") as f:
                head = f.read(24)
            check(head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", "not a PNG")
            check(struct.unpack(">II", head[16:24]) == (1080, 1350), struct.unpack(">II", head[16:24]))
    expect(call("GET", YEAR.format(year=year)), 401, "GET", YEAR)


def test_other_users_insights_follow_history_visibility():
    owner, fan, stranger = encore.new_user(), encore.new_user(), encore.new_user()
    tid = list(W.tracks)[0]
    post_listens(owner, [{"track_id": tid, "listened_at": iso(W.now - datetime.timedelta(hours=5)),
                          "ms_played": 1000}])
    expect(call("PUT", "/api/v1/me/following/%s" % owner.username, token=fan.access),
           (200, 201, 204), "PUT", "/api/v1/me/following/{username}")
    today = W.now.date()

    def seen(viewer):
        r = call("GET", USER.format(username=owner.username) + "?from=%s&to=%s" % (today - datetime.timedelta(days=1), today),
                 token=viewer.access if viewer else None)
        if r.status_code == 404:
            expect(r, 404, "GET", USER)
            return False
        got = expect(r, 200, "GET", USER)
        check(got["listens"] == 1, repr(got)[:200])
        return True

    for vis, fan_sees, stranger_sees in (("public", True, True), ("followers", True, False),
                                         ("private", False, False)):
        expect(call("PUT", PREFS, token=owner.access, json_body={"history_visibility": vis}),
               200, "PUT", PREFS)
        check(seen(owner), "the owner always sees")
        check(seen(fan) == fan_sees, "%s: follower" % vis)
        check(seen(stranger) == stranger_sees, "%s: stranger" % vis)
        check(seen(None) == (vis == "public"), "%s: anonymous" % vis)
    # a block hides everything from the one blocked
    expect(call("PUT", PREFS, token=owner.access, json_body={"history_visibility": "public"}),
           200, "PUT", PREFS)
    expect(call("PUT", "/api/v1/me/blocks/%s" % fan.username, token=owner.access),
           (200, 201, 204), "PUT", "/api/v1/me/blocks/{username}")
    check(not seen(fan), "blocked viewer")
    check(seen(stranger), "unblocked viewer")
    r = call("GET", USER.format(username="no_such_user_here"))
    expect(r, 404, "GET", USER)


def test_bad_input():
    today = datetime.datetime.now(UTC).date()
    tomorrow = (today + datetime.timedelta(days=2)).isoformat()
    cases = [
        ("from=2025-02-01&to=2025-01-01", "to"),
        ("from=1969-12-31&to=2025-01-01", "from"),
        ("from=1826-01-01&to=2026-01-01", "from"),  # 200 years, from before 1970
        ("from=1970-01-01&to=2170-01-01", "to"),     # 200 years, into the future
        ("from=%s" % tomorrow, "from"),
        ("to=%s" % tomorrow, "to"),
        ("from=2025-13-01", "from"),
        ("from=2025-02-30", "from"),
        ("to=2025-1-1x", "to"),
        ("from=abcdefghij", "from"),
        ("from=2025-01-01T00:00:00Z", "from"),
        ("tz=Mars/Olympus", "tz"),
        ("tz=../../etc/passwd", "tz"),
        ("tz=Europe//Berlin", "tz"),
        ("tz=posix/UTC", "tz"),
        ("tz=" + "A" * 65, "tz"),
        ("limit=0", "limit"),
        ("limit=51", "limit"),
    ]
    for query, field in cases:
        r = call("GET", ME + "?" + query, token=W.user.access)
        p = expect(r, 422, "GET", ME)
        check(field in encore.error_fields(p), "%s: %r" % (query, p))
    for y in (1969, today.year + 1, 10000):
        r = call("GET", YEAR.format(year=y), token=W.user.access)
        p = expect(r, 422, "GET", YEAR)
        check("year" in encore.error_fields(p), repr(p))
    for y in ("0", "-1", "abc", "2025.5", "02025"):
        r = call("GET", "/api/v1/me/insights/year/%s" % y, token=W.user.access)
        encore.expect_problem(r, 404, what="year %s" % y)
    r = call("GET", YEAR.format(year=2020) + "?tz=Nowhere/Else", token=W.user.access)
    check("tz" in encore.error_fields(expect(r, 422, "GET", YEAR)), "year tz")
    expect(call("GET", ME), 401, "GET", ME)


if __name__ == "__main__":
    encore.main(globals(), setup)
