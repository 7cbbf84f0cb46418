/* imgcodec: an uploaded image decoded and encoded again, so that what is
 * stored holds only what the decoder accepted, written by the encoder: no
 * data after the image, no metadata (EXIF with its GPS position, XMP, ICC
 * profiles, comments, text chunks), no second file hidden behind the first.
 * The one user of libpng, libjpeg (libjpeg-turbo) and libwebp:
 *
 *   PNG   the rows as decoded, bit depth and colour type kept, palette and
 *         tRNS transparency kept, every other chunk dropped; written
 *         non-interlaced (lossless)
 *   JPEG  the DCT coefficients entropy-decoded and coded again with
 *         optimized Huffman tables, progressive when the upload was, no
 *         marker copied (lossless, like `jpegtran -copy none`)
 *   WebP  decoded to RGB or RGBA and encoded again: lossless stays
 *         lossless, lossy is encoded at quality 90; animations refused
 *
 * Costs are bounded before any pixel is decoded: img_probe reads the header
 * without a library, then the decoder's own header read is checked again
 * (img_check_size: IMG_MIN_SIDE..IMG_MAX_SIDE a side, IMG_MAX_PIXELS), and
 * each decoder works within a memory budget (128 MiB; a JPEG also within 64
 * scans). Decoder warnings about damaged data are failures. */
#ifndef ENCORE_IMGCODEC_H
#define ENCORE_IMGCODEC_H

#include <stddef.h>

#include "core/img.h"

struct arena;

/* What imgcodec_reencode made. */
struct imgcodec_out {
  enum img_type type;
  unsigned width, height;
  const unsigned char *data; /* len bytes, owned by the arena */
  size_t len;
};

/* imgcodec_reencode: decode buf[0..len), which must be a JPEG, PNG or WebP
 * image of type `want` (IMG_NONE: any of them), and encode its pixels again
 * in the same format into memory of arena a. Returns 0, or an IMG_E_* code
 * (img_error names it); only IMG_E_NOMEM is not the input's fault. Safe on
 * any input; nothing is printed. */
int imgcodec_reencode(struct arena *a, const unsigned char *buf, size_t len,
                      enum img_type want, struct imgcodec_out *out);

#endif
