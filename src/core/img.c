/* img: image type and size from the file header; see img.h. */
#include "core/img.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

static unsigned be16(const unsigned char *p) {
  return (unsigned)p[0] << 8 | p[1];
}
static unsigned le16(const unsigned char *p) {
  return (unsigned)p[1] << 8 | p[0];
}
static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}
static uint32_t le24(const unsigned char *p) {
  return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* jpeg: walk the marker segments up to a start-of-frame (SOF0..SOF15 but
 * DHT C4, JPG C8 and DAC CC), which holds height then width. */
static int jpeg(const unsigned char *b, size_t n, struct img *out) {
  size_t i = 2;
  for (;;) {
    /* Markers may be preceded by fill bytes 0xFF. */
    while (i < n && b[i] == 0xFF)
      i++;
    if (i >= n) return IMG_E_TRUNCATED;
    unsigned m = b[i++];
    if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;
    if (m == 0xD9 || m == 0xDA) return IMG_E_CORRUPT; /* no frame before scan */
    if (i + 2 > n) return IMG_E_TRUNCATED;
    unsigned seg = be16(b + i);
    if (seg < 2) return IMG_E_CORRUPT;
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      if (seg < 7) return IMG_E_CORRUPT;
      if (i + 7 > n) return IMG_E_TRUNCATED;
      out->height = be16(b + i + 3);
      out->width = be16(b + i + 5);
      return 0;
    }
    if (seg > n - i) return IMG_E_TRUNCATED;
    i += seg;
  }
}

/* png: the signature, then IHDR first with width and height (big endian). */
static int png(const unsigned char *b, size_t n, struct img *out) {
  if (n < 24) return IMG_E_TRUNCATED;
  if (be32(b + 8) != 13 || memcmp(b + 12, "IHDR", 4) != 0) return IMG_E_CORRUPT;
  uint32_t w = be32(b + 16), h = be32(b + 20);
  if (w > 0x7fffffff || h > 0x7fffffff) return IMG_E_CORRUPT;
  out->width = w;
  out->height = h;
  return 0;
}

/* webp: RIFF....WEBP then the first chunk: VP8 (lossy: 14-bit sizes after
 * a start code), VP8L (lossless: 14-bit sizes minus one, packed) or VP8X
 * (extended: 24-bit canvas sizes minus one). */
static int webp(const unsigned char *b, size_t n, struct img *out) {
  if (n < 16) return IMG_E_TRUNCATED;
  const unsigned char *c = b + 12, *d = b + 20;
  if (memcmp(c, "VP8 ", 4) == 0) {
    if (n < 30) return IMG_E_TRUNCATED;
    if (d[3] != 0x9d || d[4] != 0x01 || d[5] != 0x2a) return IMG_E_CORRUPT;
    out->width = le16(d + 6) & 0x3fff;
    out->height = le16(d + 8) & 0x3fff;
    return 0;
  }
  if (memcmp(c, "VP8L", 4) == 0) {
    if (n < 25) return IMG_E_TRUNCATED;
    if (d[0] != 0x2f) return IMG_E_CORRUPT;
    uint32_t v = (uint32_t)d[1] | (uint32_t)d[2] << 8 | (uint32_t)d[3] << 16 |
                 (uint32_t)d[4] << 24;
    out->width = (v & 0x3fff) + 1;
    out->height = ((v >> 14) & 0x3fff) + 1;
    return 0;
  }
  if (memcmp(c, "VP8X", 4) == 0) {
    if (n < 30) return IMG_E_TRUNCATED;
    out->width = le24(d + 4) + 1;
    out->height = le24(d + 7) + 1;
    return 0;
  }
  return IMG_E_CORRUPT;
}

int img_probe(const unsigned char *b, size_t n, struct img *out) {
  int rc;
  memset(out, 0, sizeof *out);
  if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
    out->type = IMG_JPEG;
    rc = jpeg(b, n, out);
  } else if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) {
    out->type = IMG_PNG;
    rc = png(b, n, out);
  } else if (n >= 12 && memcmp(b, "RIFF", 4) == 0 &&
             memcmp(b + 8, "WEBP", 4) == 0) {
    out->type = IMG_WEBP;
    rc = webp(b, n, out);
  } else {
    return IMG_E_UNKNOWN;
  }
  if (!rc && (out->width == 0 || out->height == 0)) rc = IMG_E_CORRUPT;
  if (rc) {
    enum img_type t = out->type;
    memset(out, 0, sizeof *out);
    out->type = t;
  }
  return rc;
}

int img_check_size(unsigned width, unsigned height) {
  if (width < IMG_MIN_SIDE || height < IMG_MIN_SIDE || width > IMG_MAX_SIDE ||
      height > IMG_MAX_SIDE)
    return IMG_E_SIDES;
  if ((unsigned long)width * height > (unsigned long)IMG_MAX_PIXELS)
    return IMG_E_PIXELS;
  return 0;
}

const char *img_error(int code) {
  switch (code) {
  case IMG_E_UNKNOWN:
    return "not a JPEG, PNG or WebP image";
  case IMG_E_TRUNCATED:
    return "the image is truncated";
  case IMG_E_CORRUPT:
    return "the image is malformed";
  case IMG_E_MISMATCH:
    return "the image does not match its Content-Type";
  case IMG_E_SIDES:
    return "each side must be 64 to 4096 pixels";
  case IMG_E_PIXELS:
    return "the image has more than 16777216 pixels";
  case IMG_E_ANIMATED:
    return "animated images are not accepted";
  case IMG_E_COMPLEX:
    return "the image needs too much memory or work to decode";
  case IMG_E_NOMEM:
    return "out of memory";
  default:
    return "not a readable image";
  }
}

enum img_type img_type_of_media(const char *ct) {
  static const struct {
    const char *name;
    enum img_type t;
  } types[] = {{"image/jpeg", IMG_JPEG},
               {"image/png", IMG_PNG},
               {"image/webp", IMG_WEBP}};
  if (!ct) return IMG_NONE;
  while (*ct == ' ')
    ct++;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    size_t n = strlen(types[i].name);
    if (strncasecmp(ct, types[i].name, n) != 0) continue;
    const char *p = ct + n;
    while (*p == ' ')
      p++;
    if (*p == '\0' || *p == ';') return types[i].t;
  }
  return IMG_NONE;
}

const char *img_ext(enum img_type t) {
  switch (t) {
  case IMG_JPEG:
    return "jpg";
  case IMG_PNG:
    return "png";
  case IMG_WEBP:
    return "webp";
  default:
    return "bin";
  }
}
