/* img: the type and pixel size of an uploaded image, read from its header
 * only (JPEG SOF marker, PNG IHDR, WebP VP8 / VP8L / VP8X), without any image
 * library: the cheap first gate of an upload, before imgcodec decodes it.
 * Safe on any input: every read is bounds-checked. */
#ifndef ENCORE_IMG_H
#define ENCORE_IMG_H

#include <stddef.h>

enum img_type { IMG_NONE, IMG_JPEG, IMG_PNG, IMG_WEBP };

#define IMG_MIN_SIDE 64
#define IMG_MAX_SIDE 4096
/* Decoded pixels at most (width x height), checked with the sides before
 * any pixel is decoded; what bounds a decoder's memory. */
#define IMG_MAX_PIXELS (4096L * 4096L)

/* What img_probe found. */
struct img {
  enum img_type type;
  unsigned width, height;
};

/* Failures of img_probe and imgcodec_reencode (negative; img_error names
 * them). All but IMG_E_NOMEM are the upload's fault. */
enum {
  IMG_E_UNKNOWN = -1,   /* no known magic bytes */
  IMG_E_TRUNCATED = -2, /* the data ends early */
  IMG_E_CORRUPT = -3,   /* a malformed header or image data, a zero size */
  IMG_E_MISMATCH = -4,  /* another type than the one announced */
  IMG_E_SIDES = -5,     /* a side under IMG_MIN_SIDE or over IMG_MAX_SIDE */
  IMG_E_PIXELS = -6,    /* more than IMG_MAX_PIXELS */
  IMG_E_ANIMATED = -7,  /* an animation (WebP) */
  IMG_E_COMPLEX = -8,   /* over a decoder's memory or scan budget */
  IMG_E_NOMEM = -9,     /* out of memory (not the upload's fault) */
};

/* img_probe: the type and size of buf[0..len). Returns 0 or an IMG_E_*. */
int img_probe(const unsigned char *buf, size_t len, struct img *out);
/* img_check_size: 0 when width x height is within the sides and the pixel
 * count allowed, else IMG_E_SIDES or IMG_E_PIXELS. */
int img_check_size(unsigned width, unsigned height);
/* img_error: a short English message for an IMG_E_* code (the messages of
 * the sides and pixels name the numbers above). */
const char *img_error(int code);
/* img_type_of_media: the type a Content-Type names ("image/png",
 * parameters allowed, case-insensitive); IMG_NONE for NULL or another. */
enum img_type img_type_of_media(const char *content_type);
/* img_ext: the file extension of a type ("jpg", "png", "webp"). */
const char *img_ext(enum img_type t);

#endif
