/* gen_heavy: `generate --heavy-listens N`: one more generated user,
 * heavy_listener, with N listens over the five years before the end date
 * (the figures of docs/PERFORMANCE.md ask for a user of 100,000). Tracks are
 * picked with the first user's taste; times of day follow a day's rhythm
 * (little at night, more in the morning and most in the evening). It draws
 * after every other step, so the rest of a world is the same with or
 * without it; its listens do not count in the catalogue's popularity. */
#include <stdio.h>
#include <stdlib.h>

#include "admin/gen.h"
#include "core/db.h"

#define HEAVY_NAME "heavy_listener"
#define HEAVY_YEARS 5

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

/* hour_of_day: an hour drawn from a day's rhythm. */
static int hour_of_day(struct gen_rng *r) {
  static const int weight[24] = {2, 1, 1, 1, 1, 2, 4,  7,  9,  7,  5, 5,
                                 6, 6, 5, 5, 6, 8, 10, 12, 12, 10, 7, 4};
  int total = 0, x;
  for (int h = 0; h < 24; h++)
    total += weight[h];
  x = (int)gen_below(r, (uint32_t)total);
  for (int h = 0; h < 24; h++)
    if ((x -= weight[h]) < 0) return h;
  return 23;
}

int gen_heavy(struct gen_world *w, const char *hash) {
  struct gen_rng *r = &w->r;
  long long n = w->o.heavy,
            start = w->o.end_ms - HEAVY_YEARS * 365 * GEN_DAY_MS;
  struct db_res res;
  double t0 = gen_now();
  if (n <= 0 || w->o.tracks <= 0 || w->o.users <= 0) return 0;
  if (db_exec(w->db, NULL,
              "INSERT INTO users (username, email, password_hash, "
              "display_name) VALUES ('" HEAVY_NAME "', '" HEAVY_NAME
              "@generated.invalid', ?, 'Heavy Listener')",
              (struct db_val[]){DB_S(hash)}, 1, 0, &res) ||
      db_exec(w->db, NULL, "INSERT INTO user_preferences (user_id) VALUES (?)",
              (struct db_val[]){DB_I(res.insert_id)}, 1, 0, NULL)) {
    fprintf(stderr, "generate: cannot create %s\n", HEAVY_NAME);
    return -1;
  }
  long long uid = (long long)res.insert_id;
  long long *times = gen_calloc((size_t)n, sizeof *times);
  long long days = HEAVY_YEARS * 365;
  for (long long i = 0; i < n; i++)
    times[i] = start + (long long)gen_below(r, (uint32_t)days) * GEN_DAY_MS +
               hour_of_day(r) * 3600000LL + (long long)gen_below(r, 3600000);
  qsort(times, (size_t)n, sizeof *times, cmp_ll);
  for (long long i = 1; i < n; i++) /* distinct times: the key is unique */
    if (times[i] <= times[i - 1]) times[i] = times[i - 1] + 1;
  struct gen_tsv t;
  if (gen_tsv_open(w, &t, "heavy_listens")) {
    free(times);
    return -1;
  }
  for (long long i = 0; i < n; i++) {
    uint32_t k = gen_pick_track(w, 0);
    gen_tsv_int(&t, uid);
    gen_tsv_int(&t, w->track0 + k + 1);
    gen_tsv_time(&t, times[i]);
    gen_tsv_int(&t, gen_uniform(r) < 0.8
                        ? (long long)w->track_ms[k]
                        : (long long)(w->track_ms[k] * gen_uniform(r)));
    gen_tsv_str(&t, gen_pick(r, &gen_sources));
    gen_tsv_eol(&t);
  }
  free(times);
  if (gen_tsv_close(&t)) return -1;
  printf("  write heavy listener  %10lld rows %7.2f s\n", t.rows,
         gen_now() - t0);
  return gen_tsv_load(w, &t, "listens",
                      "user_id, track_id, listened_at, ms_played, source",
                      GEN_CHECKS_OFF);
}
