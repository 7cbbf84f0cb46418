/* recs_hetrec.c: encore-recs-hetrec, the training stage (train_run) timed
 * on the HetRec Last.fm 2K files at the artist level, without a database:
 * the play counts, tags and friends become a struct batch_input (no genres,
 * negatives or stated preferences), and the run's stats (stage times, peak
 * memory, blend weights, validation NDCG@10) are printed as JSON.
 * Usage: encore-recs-hetrec DIR [--light] [--threads N] [--seed S] */
#include "batch/recs/batch.h"
#include "batch/recs/dataset.h"
#include "batch/recs/hetrec.h"
#include "batch/recs/timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  struct train_opts o = {.kind = BATCH_FULL, .seed = 1, .verbose = 1};
  const char *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--light"))
      o.kind = BATCH_LIGHT;
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      o.threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
      o.seed = strtoull(argv[++i], NULL, 10);
    else if (argv[i][0] != '-' && !dir)
      dir = argv[i];
    else {
      fprintf(stderr, "usage: encore-recs-hetrec DIR [--light] [--threads N] "
                      "[--seed S]\n");
      return 2;
    }
  }
  if (!dir) {
    fprintf(stderr, "encore-recs-hetrec: the HetRec directory is required\n");
    return 2;
  }
  struct batch_input in = {.level = BATCH_ARTIST};
  double t0 = timing_now();
  if (hetrec_load(&in.d, dir)) return 1;
  double t_load = timing_now() - t0;
  in.item_artist_ext = in.d.item_id; /* the artist level: itself */
  /* A light run refreshes every tenth user, as if they had listened since. */
  unsigned char *changed = NULL;
  if (o.kind == BATCH_LIGHT) {
    changed = calloc((size_t)in.d.n_users + 1, 1);
    if (!changed) return 1;
    for (int u = 0; u < in.d.n_users; u += 10)
      changed[u] = 1;
    in.changed = changed;
  }
  struct batch_output out;
  t0 = timing_now();
  int rc = train_run(&out, &in, &o);
  double t_train = timing_now() - t0;
  if (!rc) {
    printf("{\"load_seconds\":%.2f,\"train_seconds\":%.2f,\"train\":%s}\n",
           t_load, t_train, out.stats);
    batch_output_free(&out);
  }
  free(changed);
  dataset_free(&in.d);
  return rc ? 1 : 0;
}
