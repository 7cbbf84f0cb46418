/* fuzz_img: uploaded album art through img_probe (any bytes: never a read
 * out of bounds, a size only with success). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct img im;
  int rc = img_probe(data, size, &im);
  if (rc == 0 && (im.width == 0 || im.height == 0)) abort();
  if (rc != 0 && (im.width != 0 || im.height != 0)) abort();
  return 0;
}
