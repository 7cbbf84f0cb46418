#!/usr/bin/python3
"""Playlist covers through nginx: upload (re-encoded, content-hashed file
served by nginx at cover_url), replace and delete removing the file nothing
uses any more, a file shared with album art surviving the removal of
either, the playlist and account deletes removing their cover files, input
checks (415, 422, 413), strangers (404), edit grantees (403) and If-Match (412).

Deliberate login failures here: none."""

import hashlib
import os
import secrets
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import images  # noqa: E402
from encore import call, check, expect  # noqa: E402
from images import fresh_png, png  # noqa: E402

encore.require_stack()

PLS, PL = "/api/v1/playlists", "/api/v1/playlists/{id}"
COVER = "/api/v1/playlists/{id}/cover"
GRANT = "/api/v1/playlists/{id}/grants/{username}"
ARTISTS, ALBUMS = "/api/v1/artists", "/api/v1/albums"
ALBUM, ART = "/api/v1/albums/{id}", "/api/v1/albums/{id}/art"


def path(route, oid):
    return route.replace("{id}", str(oid))


def media_file(url):
    media = encore.stack()["ENCORE_MEDIA_DIR"]
    check(url.startswith("/media/art/"), "url %r" % url)
    return os.path.join(media, url[len("/media/"):])


def new_playlist(u, **body):
    body.setdefault("name", "Cover " + secrets.token_hex(3))
    return expect(call("POST", PLS, token=u.access, json_body=body), 201, "POST", PLS)


def put_cover(u, pid, body, ctype="image/png", status=200, headers=None):
    h = {"Content-Type": ctype}
    h.update(headers or {})
    r = call("PUT", path(COVER, pid), token=u.access if u else None, data=body, headers=h)
    return expect(r, status, "PUT", COVER), r


def del_cover(u, pid, status=204, headers=None):
    r = call("DELETE", path(COVER, pid), token=u.access if u else None, headers=headers)
    return expect(r, status, "DELETE", COVER)


def get(u, pid, status=200):
    r = call("GET", path(PL, pid), token=u.access if u else None)
    return expect(r, status, "GET", PL)


# --------------------------------------------------------------------------


def test_upload_replace_delete():
    owner = encore.new_user()
    p = new_playlist(owner, visibility="public")
    check(p["cover_url"] is None, "a new playlist has a cover: %r" % p)
    img = fresh_png(64, 80)
    got, r = put_cover(owner, p["id"], img)
    f1 = media_file(got["cover_url"])
    stored = open(f1, "rb").read()
    sha = hashlib.sha256(stored).hexdigest()
    check(got["cover_url"] == "/media/art/%s/%s.png" % (sha[:2], sha), got["cover_url"])
    check(int(got["snapshot_id"]) == int(p["snapshot_id"]) + 1, "snapshot not bumped: %r" % got)
    check(r.headers.get("ETag") == '"%s"' % got["snapshot_id"], "ETag %r" % r.headers.get("ETag"))
    check(images.png_pixels(stored) == images.png_pixels(img), "stored pixels differ from the upload")
    # The cached public copy is not stale, for the owner or anyone.
    check(get(None, p["id"])["cover_url"] == got["cover_url"], "stale cached playlist")
    check(get(owner, p["id"])["cover_url"] == got["cover_url"], "stale playlist")
    mine = expect(call("GET", "/api/v1/me/playlists", token=owner.access), 200, "GET",
                  "/api/v1/me/playlists")
    check([x["cover_url"] for x in mine["items"] if x["id"] == p["id"]] == [got["cover_url"]],
          "list lacks the cover: %r" % mine)
    r = call("GET", got["cover_url"])
    check(r.status_code == 200 and r.content == stored, "nginx did not serve the cover: %d" % r.status_code)
    # Replace: the old file goes.
    img2 = fresh_png(128, 64)
    got2, _ = put_cover(owner, p["id"], img2)
    f2 = media_file(got2["cover_url"])
    check(os.path.exists(f2) and not os.path.exists(f1), "replace left the old file or lost the new")
    check(get(None, p["id"])["cover_url"] == got2["cover_url"], "stale after replace")
    # The same bytes again keep the file (and still bump the snapshot).
    got3, _ = put_cover(owner, p["id"], img2)
    check(os.path.exists(f2) and int(got3["snapshot_id"]) == int(got2["snapshot_id"]) + 1, repr(got3))
    # Delete: the file goes, the snapshot moves, the JSON says null.
    del_cover(owner, p["id"])
    check(not os.path.exists(f2), "deleted cover file left behind")
    after = get(None, p["id"])
    check(after["cover_url"] is None and int(after["snapshot_id"]) == int(got3["snapshot_id"]) + 1,
          repr(after))
    del_cover(owner, p["id"])  # no cover: still fine


def test_shared_with_album_art():
    owner, admin = encore.new_user(), encore.admin()
    img = fresh_png(100, 100)
    ar = expect(call("POST", ARTISTS, token=admin.access, json_body={"name": encore.unique("A")}),
                201, "POST", ARTISTS)
    al = expect(call("POST", ALBUMS, token=admin.access,
                     json_body={"title": encore.unique("Al"), "artist_id": ar["id"]}),
                201, "POST", ALBUMS)
    art = expect(call("PUT", path(ART, al["id"]), token=admin.access, data=img,
                      headers={"Content-Type": "image/png"}), 200, "PUT", ART)
    p = new_playlist(owner)
    got, _ = put_cover(owner, p["id"], img)
    check(got["cover_url"] == art["art_url"], "same bytes, two files: %r %r" % (got, art))
    f = media_file(got["cover_url"])
    # Removing the album art keeps the file the cover still uses...
    expect(call("DELETE", path(ART, al["id"]), token=admin.access), 204, "DELETE", ART)
    check(os.path.exists(f), "album art delete removed a playlist's cover file")
    check(call("GET", got["cover_url"]).status_code == 200, "cover no longer served")
    # ...and the other way round: a playlist cover delete keeps the art.
    expect(call("PUT", path(ART, al["id"]), token=admin.access, data=img,
                headers={"Content-Type": "image/png"}), 200, "PUT", ART)
    del_cover(owner, p["id"])
    check(os.path.exists(f), "cover delete removed an album's art file")
    # Replacing the cover while the album uses the old bytes keeps them.
    put_cover(owner, p["id"], img)
    put_cover(owner, p["id"], fresh_png())
    check(os.path.exists(f), "cover replace removed an album's art file")
    # Deleting the album, the last user, removes it.
    expect(call("DELETE", path(ALBUM, al["id"]), token=admin.access), 204, "DELETE", ALBUM)
    check(not os.path.exists(f), "orphan file left after the album delete")


def test_playlist_and_account_delete_remove_files():
    owner = encore.new_user()
    p = new_playlist(owner)
    got, _ = put_cover(owner, p["id"], fresh_png())
    f = media_file(got["cover_url"])
    expect(call("DELETE", path(PL, p["id"]), token=owner.access), 204, "DELETE", PL)
    check(not os.path.exists(f), "playlist delete left its cover file")
    # Two playlists sharing one file, another user's third: the account
    # delete removes the shared file once, keeps the other user's.
    other = encore.new_user()
    img, kept_img = fresh_png(), fresh_png()
    a, b = new_playlist(owner), new_playlist(owner)
    ua, _ = put_cover(owner, a["id"], img)
    put_cover(owner, b["id"], img)
    c = new_playlist(other)
    uc, _ = put_cover(other, c["id"], kept_img)
    d = new_playlist(owner)
    put_cover(owner, d["id"], kept_img)
    r = call("DELETE", "/api/v1/me", token=owner.access, json_body={"password": owner.password})
    expect(r, 204, "DELETE", "/api/v1/me")
    check(not os.path.exists(media_file(ua["cover_url"])), "account delete left a cover file")
    check(os.path.exists(media_file(uc["cover_url"])), "account delete removed another user's cover")
    check(get(other, c["id"])["cover_url"] == uc["cover_url"], "other user's cover changed")


def test_bad_uploads_and_access():
    owner, stranger, editor = encore.new_user(), encore.new_user(), encore.new_user()
    p = new_playlist(owner)  # private
    img = fresh_png()
    good, _ = put_cover(owner, p["id"], img)
    for body, ctype, status in ((img, "image/jpeg", 422), (b"not an image at all", "image/png", 422),
                                (png(10, 10), "image/png", 422), (png(5000, 64), "image/png", 422),
                                (img[:20], "image/png", 422), (b"", "image/png", 422),
                                (img, "image/gif", 415), (img, "application/json", 415),
                                (img + b"\0" * (1 << 20), "image/png", 413)):
        put_cover(owner, p["id"], body, ctype, status)
    check(get(owner, p["id"])["cover_url"] == good["cover_url"], "a bad upload changed the cover")
    # Strangers cannot tell a private playlist exists; anonymous callers are 401.
    put_cover(stranger, p["id"], fresh_png(), status=404)
    del_cover(stranger, p["id"], status=404)
    put_cover(None, p["id"], fresh_png(), status=401)
    for bad in ("0", "-1", "abc", "99999999999999999999", str(9 ** 15)):
        put_cover(owner, bad, img, status=404)
        del_cover(owner, bad, status=404)
    # An edit grantee may change tracks but not the cover.
    r = call("PUT", GRANT.replace("{id}", str(p["id"])).replace("{username}", editor.username),
             token=owner.access, json_body={"access": "edit"})
    expect(r, 200, "PUT", GRANT)
    put_cover(editor, p["id"], fresh_png(), status=403)
    del_cover(editor, p["id"], status=403)
    # A stale If-Match changes nothing and leaves no new file behind (the
    # file an image would be stored as is learnt from another playlist,
    # whose cover is then deleted: encoding is deterministic).
    img3 = fresh_png()
    scratch = new_playlist(owner)
    probe, _ = put_cover(owner, scratch["id"], img3)
    del_cover(owner, scratch["id"])
    f3 = media_file(probe["cover_url"])
    check(not os.path.exists(f3), "a deleted cover left its file")
    cur = get(owner, p["id"])
    stale = '"%d"' % (int(cur["snapshot_id"]) - 1)
    put_cover(owner, p["id"], img3, headers={"If-Match": stale}, status=412)
    check(not os.path.exists(f3), "a refused upload left its file")
    del_cover(owner, p["id"], headers={"If-Match": stale}, status=412)
    check(get(owner, p["id"])["cover_url"] == good["cover_url"], "a 412 changed the cover")
    got, _ = put_cover(owner, p["id"], img3, headers={"If-Match": '"%s"' % cur["snapshot_id"]})
    check(got["cover_url"] != good["cover_url"], "a matching If-Match was refused")
    check(got["cover_url"] == probe["cover_url"], "one image, two files")
    del_cover(owner, p["id"], headers={"If-Match": '"%s"' % got["snapshot_id"]})


if __name__ == "__main__":
    encore.main(globals())
