#!/usr/bin/python3
"""encore-admin import hetrec: the real HetRec 2011 Last.fm 2K files (counts
against the files, idempotence), and a crafted directory of malformed lines,
Latin-1/UTF-8 mixes, CRLF endings, empty lines and huge fields that must be
reported as FILE:LINE and skipped. Each import goes into a scratch database
(bulkdb.Scratch). The real data comes from $ENCORE_HETREC_DIR or
/work/shared/data/hetrec2011-lastfm-2k; without it that test is skipped."""

import os
import re
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
from encore import check  # noqa: E402
import bulkdb  # noqa: E402
from bulkdb import one, sql  # noqa: E402

encore.require_stack()

HETREC = os.environ.get("ENCORE_HETREC_DIR") or "/work/shared/data/hetrec2011-lastfm-2k"
LONG_TAG = "long tag " + "l" * 111  # 120 characters: past the old 64-character genre names


def new_counts(stdout):
    """{what: (new, of)} from the import's summary lines."""
    return {m.group(1): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r"(\w[\w ]*): (\d+) new of (\d+)", stdout)}


def write(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def crafted(d):
    write(d, "artists.dat", b"".join([
        b"id\tname\turl\tpictureURL\r\n",
        b"1\tGood Artist\thttp://www.last.fm/music/Good\thttp://img/1.jpg\r\n",
        "2\tBeyoncé\thttp://www.last.fm/music/Beyonc%C3%A9\t\r\n".encode(),
        b"x3\tBad Id\thttp://x\thttp://y\r\n",          # 4: id not a number
        b"4\tToo\tfew\r\n",                              # 5: 3 fields
        b"\r\n",                                         # 6: empty: passed over
        b"5\tCaf\xe9\thttp://x\thttp://y\n",             # 7: Latin-1, not UTF-8
        b"6\t" + b"A" * 300 + b"\thttp://x\thttp://y\n",  # 8: name too long
        b"7\tHuge URL\thttp://x\t" + b"h" * 100000 + b"\n",  # 9: huge field
        b"8\tControl\x01Char\tu\tp\n",                   # 10: control character
        b"1\tDuplicate\tu\tp\n",                         # 11: duplicate id
        b"9\tLast Artist\thttp://z\thttp://p",           # 12: no final newline
    ]))
    write(d, "tags.dat", b"".join([
        b"tagID\ttagValue\n",
        b"1\trock\n",
        b"2\tCaf\xe9 del Mar\n",          # Latin-1 e-acute -> U+00E9
        b"3\t\xc3\xa9lectro\n",           # UTF-8 bytes read as Latin-1
        b"4\tbad\x85tag\n",               # 5: C1 control character
        b"5\t\n",                         # 6: empty tag
        b"six\tx\n",                      # 7: id not a number
        b"7\t" + b"t" * 70000 + b"\n",    # 8: huge field
        b"8\tROCK\n",                     # the genre of tag 1 (collation)
        b"9\t" + LONG_TAG.encode() + b"\n",  # longer than 64: kept whole
    ]))
    write(d, "user_artists.dat", b"".join([
        b"userID\tartistID\tweight\n",
        b"10\t1\t100\n",
        b"10\t2\t50\n",
        b"11\t9\t7\n",
        b"11\t999\t5\n",                  # 5: unknown artist
        b"12\t1\tabc\n",                  # 6: count not a number
        b"11\t1\t3\t4\n",                 # 7: 4 fields
    ]))
    write(d, "user_friends.dat", b"".join([
        b"userID\tfriendID\r\n",
        b"10\t11\r\n",
        b"11\t10\r\n",
        b"10\t12\r\n",
        b"12\t12\r\n",                    # 5: befriends themselves
        b"13\tfoo\r\n",                   # 6: id not a number
    ]))
    write(d, "user_taggedartists.dat", b"".join([
        b"userID\tartistID\ttagID\tday\tmonth\tyear\n",
        b"10\t1\t1\t1\t4\t2009\n",
        b"11\t1\t8\t31\t2\t2010\n",       # no such day: date NULL
        b"14\t2\t2\t15\t6\t2008\n",
        b"10\t1\t4\t1\t1\t2009\n",        # 5: tag 4 was skipped
        b"10\t999\t1\t1\t1\t2009\n",      # 6: unknown artist
        b"10\t1\t1\t1\t1\n",              # 7: 5 fields
        b"12\t9\t9\t2\t1\t2009\n",        # the long tag
    ]))


def test_crafted_directory():
    with tempfile.TemporaryDirectory() as d, bulkdb.Scratch("t_import") as db:
        crafted(d)
        r = bulkdb.admin(db, "import", "hetrec", d)
        check(r.returncode == 0, "import failed: %s" % r.stderr)
        for where in ["artists.dat:%d:" % n for n in (4, 5, 7, 8, 9, 10, 11)] + \
                     ["tags.dat:%d:" % n for n in (5, 6, 7, 8)] + \
                     ["user_artists.dat:%d:" % n for n in (5, 6, 7)] + \
                     ["user_friends.dat:%d:" % n for n in (5, 6)] + \
                     ["user_taggedartists.dat:%d:" % n for n in (5, 6, 7)]:
            check("import: " + where in r.stderr,
                  "%s not reported: %s" % (where, r.stderr[:2000]))
        check("import: artists.dat:6:" not in r.stderr and
              "import: artists.dat:12:" not in r.stderr,
              "a good or empty line was reported: %s" % r.stderr[:2000])
        n = new_counts(r.stdout)
        check(n.get("artists") == (3, 3) and n.get("users") == (4, 4) and
              n.get("plays") == (3, 3) and n.get("follows") == (4, 6) and
              n.get("user tags") == (4, 4) and n.get("artist genres") == (3, 3),
              "counts %r" % n)

        rows = sql("SELECT hetrec_id, name, lastfm_url, COALESCE(image_url, '-'), "
                   "popularity FROM artists ORDER BY hetrec_id", db)
        check(rows == [["1", "Good Artist", "http://www.last.fm/music/Good",
                        "http://img/1.jpg", "100"],
                       ["2", "Beyoncé", "http://www.last.fm/music/Beyonc%C3%A9", "-", "50"],
                       ["9", "Last Artist", "http://z", "http://p", "7"]],
              "artists %r" % rows)
        names = sorted(r[0] for r in sql("SELECT name FROM genres", db))
        check(names == sorted(["rock", "Café del Mar", "Ã©lectro", LONG_TAG]), "genres %r" % names)
        check(one("SELECT HEX(name) FROM genres WHERE name = 'Café del Mar'", db) ==
              "436166C3A92064656C204D6172",
              "Latin-1 was not converted to UTF-8")
        users = sql("SELECT username, email, hetrec_id, LEFT(password_hash, 10) "
                    "FROM users ORDER BY hetrec_id", db)
        check([u[0] for u in users] == ["lastfm_10", "lastfm_11", "lastfm_12", "lastfm_14"] and
              users[0][1] == "lastfm_10@hetrec.invalid" and
              all(u[3] == "$argon2id$" for u in users), "users %r" % users)
        check(one("SELECT COUNT(*) FROM user_preferences", db) == "4", "preferences")
        follows = sql("SELECT a.hetrec_id, b.hetrec_id FROM follows f JOIN users a "
                      "ON a.id = f.follower_id JOIN users b ON b.id = f.followee_id "
                      "ORDER BY 1, 2", db)
        check(follows == [["10", "11"], ["10", "12"], ["11", "10"], ["12", "10"]],
              "follows %r" % follows)
        tags = sql("SELECT u.hetrec_id, a.hetrec_id, g.name, COALESCE(t.tagged_on, '-') "
                   "FROM user_artist_tags t JOIN users u ON u.id = t.user_id "
                   "JOIN artists a ON a.id = t.artist_id JOIN genres g ON g.id = t.genre_id "
                   "ORDER BY 1", db)
        check(tags == [["10", "1", "rock", "2009-04-01"], ["11", "1", "rock", "-"],
                       ["12", "9", LONG_TAG, "2009-01-02"],
                       ["14", "2", "Café del Mar", "2008-06-15"]], "user tags %r" % tags)
        weights = sql("SELECT a.hetrec_id, g.name, w.weight FROM artist_genres w "
                      "JOIN artists a ON a.id = w.artist_id JOIN genres g ON g.id = w.genre_id "
                      "ORDER BY 1", db)
        check(weights == [["1", "rock", "2"], ["2", "Café del Mar", "1"], ["9", LONG_TAG, "1"]],
              "weights %r" % weights)

        again = bulkdb.admin(db, "import", "hetrec", d)
        check(again.returncode == 0, "second import failed: %s" % again.stderr)
        n2 = new_counts(again.stdout)
        check(n2 and all(new == 0 for new, _ in n2.values()),
              "the second import added rows: %r" % n2)
        check(one("SELECT COUNT(*) FROM artists", db) == "3", "artists doubled")


def test_missing_directory_and_usage():
    with bulkdb.Scratch("t_import") as db:
        r = bulkdb.admin(db, "import", "hetrec", "/nonexistent/hetrec")
        check(r.returncode == 1 and "artists.dat" in r.stderr, "missing dir: %r" % (r,))
        check(one("SELECT COUNT(*) FROM artists", db) == "0", "rows left behind")
        r = bulkdb.admin(db, "import", "movielens", "/tmp")
        check(r.returncode == 2, "unknown data set: %r" % (r,))


def test_real_hetrec():
    if not os.path.exists(os.path.join(HETREC, "artists.dat")):
        raise encore.Skip("no HetRec data at %s" % HETREC)
    with bulkdb.Scratch("t_import") as db:
        t0 = time.monotonic()
        r = bulkdb.admin(db, "import", "hetrec", HETREC)
        took = time.monotonic() - t0
        check(r.returncode == 0, "import failed: %s" % r.stderr[-2000:])
        print("     import took %.1f s" % took)
        check(took < 120, "import took %.1f s" % took)
        n = new_counts(r.stdout)
        check(n["artists"] == (17632, 17632), "artists %r" % (n["artists"],))
        check(n["users"] == (1892, 1892), "users %r" % (n["users"],))
        check(n["plays"] == (92834, 92834), "plays %r" % (n["plays"],))
        check(n["follows"][0] == 25434, "follows %r" % (n["follows"],))
        check(one("SELECT COUNT(*) FROM artists", db) == "17632", "artists in db")
        check(one("SELECT COUNT(*) FROM users WHERE hetrec_id IS NOT NULL", db) == "1892",
              "users in db")
        check(one("SELECT COUNT(*) FROM user_artist_plays", db) == "92834", "plays in db")
        check(one("SELECT COUNT(*) FROM follows", db) == "25434", "follows in db")
        # every follow goes both ways
        check(one("SELECT COUNT(*) FROM follows f LEFT JOIN follows b ON "
                  "b.follower_id = f.followee_id AND b.followee_id = f.follower_id "
                  "WHERE b.follower_id IS NULL", db) == "0", "a one-way follow")
        with open(os.path.join(HETREC, "user_artists.dat")) as f:
            total = sum(int(line.split("\t")[2]) for line in list(f)[1:])
        check(one("SELECT SUM(popularity) FROM artists", db) == str(total),
              "popularity is not the sum of the plays")
        # every tag is kept, the 47 longer than 64 characters too, and every
        # tagging but the 1,538 of artists that artists.dat does not list
        check("tags.dat: 11946 lines, 0 skipped" in r.stdout and
              "user_taggedartists.dat: 186479 lines, 1538 skipped" in r.stdout, r.stdout)
        check(r.stderr.count("user_taggedartists.dat:") ==
              r.stderr.count("unknown artist id") + ("more malformed" in r.stderr), r.stderr)
        check(int(one("SELECT MAX(CHAR_LENGTH(name)) FROM genres", db)) == 126, "longest tag")
        ntags = int(one("SELECT COUNT(*) FROM user_artist_tags", db))
        check(ntags == n["user tags"][0] == 184941, "user tags %d" % ntags)
        check(int(one("SELECT COUNT(*) FROM genres", db)) > 11000, "genres")
        check(one("SELECT image_url FROM artists WHERE hetrec_id = 1", db) ==
              "http://userserve-ak.last.fm/serve/252/10808.jpg", "picture URL")
        # tags.dat is Latin-1: every genre name is valid UTF-8 in the database
        check(one("SELECT COUNT(*) FROM genres WHERE CONVERT(CONVERT(name USING binary) "
                  "USING utf8mb4) IS NULL", db) == "0", "invalid UTF-8 stored")

        again = bulkdb.admin(db, "import", "hetrec", HETREC)
        check(again.returncode == 0, "second import failed: %s" % again.stderr[-2000:])
        n2 = new_counts(again.stdout)
        check(all(new == 0 for new, _ in n2.values()), "second import added %r" % n2)
        check(one("SELECT COUNT(*) FROM follows", db) == "25434", "follows after re-run")


if __name__ == "__main__":
    encore.main(globals())
