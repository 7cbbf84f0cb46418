#!/usr/bin/python3
"""Uploaded images through nginx are stored decoded and encoded again: a
PNG followed by HTML (a polyglot), a JPEG with Exif (a GPS position), a
comment and trailing bytes, a WebP with an EXIF chunk and trailing HTML are
each served as the image alone, without the rest, for album art and
playlist covers alike, under the hash of the stored bytes; truncated,
damaged, header-only, oversize and too complex images answer 422 naming
the reason.

Deliberate login failures here: none."""

import hashlib
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import encore  # noqa: E402
import images  # noqa: E402
from encore import call, check, expect  # noqa: E402

encore.require_stack()

ART, COVER = "/api/v1/albums/{id}/art", "/api/v1/playlists/{id}/cover"
HTML = b"<html><script>alert(document.domain)</script>"
LEAKS = (b"<html", b"<script", b"GPSLatitude", b"Exif", b"EXIF", b"tEXt")


def new_album():
    admin = encore.admin()
    ar = expect(call("POST", "/api/v1/artists", token=admin.access,
                     json_body={"name": encore.unique("Img")}), 201, "POST", "/api/v1/artists")
    return expect(call("POST", "/api/v1/albums", token=admin.access,
                       json_body={"title": encore.unique("Img"), "artist_id": ar["id"]}),
                  201, "POST", "/api/v1/albums")


def put(route, oid, token, body, ctype, status=200):
    r = call("PUT", route.replace("{id}", str(oid)), token=token, data=body,
             headers={"Content-Type": ctype})
    return expect(r, status, "PUT", route)


def served(url):
    """The bytes nginx serves at url, checked against the content hash in
    its name."""
    r = call("GET", url)
    check(r.status_code == 200, "GET %s: %d" % (url, r.status_code))
    name = os.path.splitext(os.path.basename(url))[0]
    check(hashlib.sha256(r.content).hexdigest() == name, "%s is not named by its hash" % url)
    return r.content


def check_clean(data, ctype):
    for leak in LEAKS:
        check(leak not in data, "%r survived into the stored %s" % (leak, ctype))
    if ctype == "image/png":
        images.chunks(data)  # a whole PNG, nothing after IEND
        kinds = {k for k, _ in images.chunks(data)}
        check(kinds <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}, "chunks %r" % kinds)
    elif ctype == "image/jpeg":
        check(data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9", "not a whole JPEG")
        check(b"\xff\xe1" not in data and b"\xff\xfe" not in data, "APP1 or COM kept")
    else:
        check(data[:4] == b"RIFF" and data[8:12] == b"WEBP", "not a WebP")
        (riff,) = struct.unpack("<I", data[4:8])
        check(riff + 8 == len(data), "%d bytes after the RIFF" % (len(data) - riff - 8))


def test_polyglot_art_is_stored_clean():
    album = new_album()
    admin = encore.admin()
    upload = images.png(80, 64, 7) + HTML
    got = put(ART, album["id"], admin.access, upload, "image/png")
    data = served(got["art_url"])
    check_clean(data, "image/png")
    check(images.png_pixels(data) == images.png_pixels(upload[:-len(HTML)]),
          "the stored picture is not the upload's")
    check(data == open(os.path.join(encore.stack()["ENCORE_MEDIA_DIR"],
                                    got["art_url"][len("/media/"):]), "rb").read(),
          "nginx serves other bytes than the file")


def test_metadata_and_trailing_data_dropped():
    album = new_album()
    admin = encore.admin()
    for name, ctype, ext in (("real_jpeg_exif_trailing", "image/jpeg", ".jpg"),
                             ("real_webp_exif", "image/webp", ".webp"),
                             ("real_png_text_html", "image/png", ".png"),
                             ("real_png_html_after", "image/png", ".png")):
        upload = images.fixture(name)
        check(any(leak in upload for leak in LEAKS), "fixture %s has nothing to drop" % name)
        got = put(ART, album["id"], admin.access, upload, ctype)
        check(got["art_url"].endswith(ext), "%s stored as %s" % (name, got["art_url"]))
        check_clean(served(got["art_url"]), ctype)


def test_polyglot_cover_is_stored_clean():
    owner = encore.new_user()
    p = expect(call("POST", "/api/v1/playlists", token=owner.access,
                    json_body={"name": encore.unique("Cover")}), 201, "POST", "/api/v1/playlists")
    upload = images.fresh_png(64, 64)
    got = put(COVER, p["id"], owner.access, upload + HTML, "image/png")
    data = served(got["cover_url"])
    check_clean(data, "image/png")
    check(images.png_pixels(data) == images.png_pixels(upload), "the stored picture is not the upload's")
    # The same picture without the HTML is the same stored file.
    again = put(COVER, p["id"], owner.access, upload, "image/png")
    check(again["cover_url"] == got["cover_url"], "one picture, two files")


def test_refused_images_name_the_reason():
    album = new_album()
    admin = encore.admin()
    good = images.png(64, 64, 3)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 200, 300, 1) + b"\x01\x11\x00"
    anim = (b"RIFF\x24\0\0\0WEBPVP8X\x0a\0\0\0\x02\0\0\0\x63\0\0\x63\0\0"
            b"ANIM\x06\0\0\0\0\0\0\0\0\0")
    for body, ctype, reason in (
            (images.fixture("real_png_cut"), "image/png", "truncated"),
            (images.fixture("real_jpeg_cut"), "image/jpeg", "truncated"),
            (good[:-40], "image/png", "truncated"),
            (b"\xff\xd8" + sof + b"\xff\xd9", "image/jpeg", "malformed"),
            (good[:45] + bytes([good[45] ^ 0xff]) + good[46:], "image/png", "malformed"),
            (images.fixture("real_jpeg_many_scans"), "image/jpeg", "too much"),
            (anim, "image/webp", "animated"),
            (images.png(4097, 64), "image/png", "64 to 4096"),
            (images.fixture("real_webp_lossy"), "image/png", "Content-Type")):
        p = put(ART, album["id"], admin.access, body, ctype, 422)
        msgs = [e.get("message", "") for e in p.get("errors") or []]
        check(any(reason in m for m in msgs), "%s: %r lacks %r" % (ctype, msgs, reason))
    check(encore.expect(call("GET", "/api/v1/albums/%d" % album["id"]), 200, "GET",
                        "/api/v1/albums/{id}")["art_url"] is None, "a refused upload set the art")


if __name__ == "__main__":
    encore.main(globals())
