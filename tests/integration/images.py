"""images: test images for the upload tests (album art, playlist covers):
PNGs made here with zlib, the real JPEG, PNG and WebP files of the image
fuzz corpus (tests/fuzz/corpus/img, written by `tests/bench/img_codec
corpus` through libjpeg, libpng and libwebp), and a reader of PNG pixels
to tell that what the API stored is the upload's picture."""

import os
import secrets
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus", "img")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\0\0\0\0IEND\xae\x42\x60\x82"


def chunk(kind, data):
    c = kind + data
    return struct.pack(">I", len(data)) + c + struct.pack(">I", zlib.crc32(c) & 0xffffffff)


def png(w, h, seed=0, first_row=None):
    """A real PNG of w x h grey pixels (seed varies the content; first_row,
    w bytes, replaces the first row)."""
    rows = [bytes([(seed + x) & 0xff for x in range(w)]) for _ in range(h)]
    if first_row is not None:
        rows[0] = first_row
    raw = b"".join(b"\0" + r for r in rows)
    return (PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def fresh_png(w=96, h=96):
    """A PNG whose pixels no other upload has (a random first row), so that
    the file stored for it is a test's own."""
    return png(w, h, first_row=secrets.token_bytes(w))


def fixture(name):
    """The bytes of tests/fuzz/corpus/img/<name>."""
    with open(os.path.join(CORPUS, name), "rb") as f:
        return f.read()


def chunks(data):
    """[(type, payload)] of a PNG, in order; raises ValueError when it is
    not a whole PNG ending at IEND."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("no PNG signature")
    out, i = [], 8
    while i < len(data):
        (n,) = struct.unpack(">I", data[i:i + 4])
        kind, payload = data[i + 4:i + 8], data[i + 8:i + 8 + n]
        if len(payload) != n or len(data) < i + 12 + n:
            raise ValueError("truncated chunk")
        out.append((kind, payload))
        i += 12 + n
        if kind == b"IEND":
            if i != len(data):
                raise ValueError("%d bytes after IEND" % (len(data) - i))
            return out
    raise ValueError("no IEND")


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def png_pixels(data):
    """(width, height, channels, pixel bytes) of a non-interlaced 8-bit
    PNG without palette, filters undone."""
    cs = chunks(data)
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", cs[0][1])
    if depth != 8 or interlace or ctype not in (0, 2, 4, 6):
        raise ValueError("not a plain 8-bit PNG")
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(p for k, p in cs if k == b"IDAT"))
    stride, out, prev = w * bpp, bytearray(), bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + (0, a, b, (a + b) // 2, _paeth(a, b, c))[f]) & 0xff
        out += line
        prev = line
    return w, h, bpp, bytes(out)
