/* img: the type and pixel size of an uploaded image, read from its header
 * only (JPEG SOF marker, PNG IHDR, WebP VP8 / VP8L / VP8X); the pixels are
 * never decoded. Safe on any input: every read is bounds-checked. */
#ifndef ENCORE_IMG_H
#define ENCORE_IMG_H

#include <stddef.h>

enum img_type { IMG_NONE, IMG_JPEG, IMG_PNG, IMG_WEBP };

#define IMG_MIN_SIDE 64
#define IMG_MAX_SIDE 4096

/* What img_probe found. */
struct img {
  enum img_type type;
  unsigned width, height;
};

/* Failures of img_probe (negative; img_error names them). */
enum {
  IMG_E_UNKNOWN = -1,   /* no known magic bytes */
  IMG_E_TRUNCATED = -2, /* the header ends before the size */
  IMG_E_CORRUPT = -3,   /* a malformed header or a zero size */
};

/* img_probe: the type and size of buf[0..len). Returns 0 or an IMG_E_*. */
int img_probe(const unsigned char *buf, size_t len, struct img *out);
/* img_error: a short English message for an IMG_E_* code. */
const char *img_error(int code);
/* img_type_of_media: the type a Content-Type names ("image/png",
 * parameters allowed, case-insensitive); IMG_NONE for NULL or another. */
enum img_type img_type_of_media(const char *content_type);
/* img_ext: the file extension of a type ("jpg", "png", "webp"). */
const char *img_ext(enum img_type t);

#endif
