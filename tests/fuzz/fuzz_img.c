/* fuzz_img: uploaded album art and playlist covers through img_probe and
 * imgcodec_reencode, the decoders (libpng, libjpeg, libwebp) included: any
 * bytes give a size only with success, never a read out of bounds or a
 * leak; an accepted image is re-encoded within the caps, and what was
 * written is accepted again with the same type and size. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/arena.h"
#include "core/img.h"
#include "core/imgcodec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct img im;
  int rc = img_probe(data, size, &im);
  if (rc == 0 && (im.width == 0 || im.height == 0)) abort();
  if (rc != 0 && (im.width != 0 || im.height != 0)) abort();

  struct arena *a = arena_new(0);
  if (!a) return 0;
  struct imgcodec_out out, again;
  rc = imgcodec_reencode(a, data, size, IMG_NONE, &out);
  if (rc == 0) {
    if (!out.data || !out.len || out.type != im.type) abort();
    if (img_check_size(out.width, out.height)) abort();
    if (imgcodec_reencode(a, out.data, out.len, out.type, &again) != 0 ||
        again.width != out.width || again.height != out.height)
      abort();
  } else if (rc > 0 || out.data || out.len) {
    abort();
  }
  arena_free(a);
  return 0;
}
