/* hetrec.h: the HetRec 2011 Last.fm 2K files as a data set, for the offline
 * evaluation and the benchmarks. */
#ifndef ENCORE_BATCH_RECS_HETREC_H
#define ENCORE_BATCH_RECS_HETREC_H

#include "batch/recs/dataset.h"

/* hetrec_load: read the HetRec 2011 Last.fm 2K files under dir.
 * Malformed lines are reported on stderr with file:line and skipped; a
 * missing user_artists.dat is an error, missing tag or friend files leave
 * those parts empty. Returns 0 or -1 (message on stderr). */
int hetrec_load(struct dataset *d, const char *dir);

#endif
