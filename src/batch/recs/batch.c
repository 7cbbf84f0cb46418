/* batch.c: releasing the structures between the production stages
 * (batch.h), whichever stage or test filled them. */
#include "batch/recs/batch.h"

#include <stdlib.h>
#include <string.h>

void batch_input_free(struct batch_input *in) {
  dataset_free(&in->d);
  csr_free(&in->neg);
  csr_free(&in->item_genres);
  csr_free(&in->pref_genres);
  free(in->genre_ext);
  free(in->item_artist_ext);
  free(in->changed);
  enum batch_level level = in->level;
  memset(in, 0, sizeof *in);
  in->level = level;
}

void batch_output_free(struct batch_output *out) {
  free(out->list_ptr);
  free(out->list);
  free(out->nb_ptr);
  free(out->nb_item);
  free(out->nb_score);
  batch_pop_free(out->n_pop, out->pop, out->pop_score, out->pop_n);
  free(out->stats);
  memset(out, 0, sizeof *out);
}

void batch_pop_free(int n_pop, int **pop, float **pop_score, int *pop_n) {
  for (int g = 0; g < n_pop; g++) {
    free(pop[g]);
    free(pop_score[g]);
  }
  free(pop);
  free(pop_score);
  free(pop_n);
}
