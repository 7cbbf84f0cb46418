/* imgmake: test images written with libpng, libjpeg and libwebp directly,
 * never through src/core/imgcodec, for the unit tests and the upload
 * benchmark's samples; and a decoder to RGBA for comparing pixels. */
#ifndef ENCORE_TEST_IMGMAKE_H
#define ENCORE_TEST_IMGMAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/img.h"

/* What to make. Pixels are a smooth picture with noise, from `seed`. */
struct imgmake {
  enum img_type type; /* IMG_PNG, IMG_JPEG or IMG_WEBP */
  unsigned width, height, seed;
  int channels;        /* 1 grey (PNG, JPEG), 3 RGB, 4 RGBA (PNG, WebP) */
  int depth;           /* PNG: 8 (0 too) or 16 bits a sample */
  bool palette;        /* PNG: 16 colours, one of them transparent */
  bool interlace;      /* PNG: Adam7 */
  bool progressive;    /* JPEG: the standard progressive script */
  bool many_scans;     /* JPEG: progressive, one scan per AC band (190) */
  bool lossless;       /* WebP */
  bool smooth;         /* gradients only, no noise: compresses very well */
  int quality;         /* JPEG and lossy WebP; 0: 85 */
  const char *comment; /* PNG tEXt; JPEG COM and an Exif APP1 holding it */
};

/* imgmake: the encoded image (malloc'd; *len its size), or NULL. */
unsigned char *imgmake(const struct imgmake *m, size_t *len);

/* imgmake_rgba: buf decoded to 8-bit RGBA (malloc'd, *w x *h pixels), or
 * NULL when a library refuses it. */
unsigned char *imgmake_rgba(const unsigned char *buf, size_t len, unsigned *w,
                            unsigned *h);

#endif
