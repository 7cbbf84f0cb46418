/* dataset.c: releasing a data set, whichever loader filled it. */
#include "batch/recs/dataset.h"

#include <stdlib.h>
#include <string.h>

void dataset_free(struct dataset *d) {
  free(d->user_id);
  free(d->item_id);
  csr_free(&d->ui);
  csr_free(&d->tags);
  csr_free(&d->base_tags);
  free(d->tagged);
  csr_free(&d->social);
  memset(d, 0, sizeof *d);
}
