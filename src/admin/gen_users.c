/* gen_users: the generated users: a username from a first name and a
 * number, an address @generated.invalid (which is how a generated world is
 * recognized), a display name, a time of sign-up in the year before the
 * listens, and their favourite genres (their taste, see gen_plan.c). */
#include <stdio.h>

#include "admin/gen.h"

int gen_users(struct gen_world *w, const char *hash) {
  struct gen_rng *r = &w->r;
  const struct gen_opts *o = &w->o;
  struct gen_tsv tu, tp;
  if (gen_tsv_open(w, &tu, "users") || gen_tsv_open(w, &tp, "user_preferences"))
    return -1;
  double t0 = gen_now();
  long long start = o->end_ms - 730 * GEN_DAY_MS;
  w->log.handle = gen_calloc((size_t)o->users, sizeof *w->log.handle);
  for (long u = 0; u < o->users; u++) {
    char uname[40], email[80], display[96], prefs[256];
    w->log.handle[u] = gen_pick(r, &gen_handles);
    snprintf(uname, sizeof uname, "%s_%ld", w->log.handle[u], u + 1);
    snprintf(email, sizeof email, "%s@generated.invalid", uname);
    /* the last name first, as the first worlds drew it (gen_catalogue.c) */
    const char *last = gen_pick(r, &gen_last_names);
    const char *first = gen_pick(r, &gen_first_names);
    snprintf(display, sizeof display, "%s %s", first, last);
    gen_tsv_int(&tu, w->user0 + u + 1);
    gen_tsv_str(&tu, uname);
    gen_tsv_str(&tu, email);
    gen_tsv_str(&tu, hash);
    gen_tsv_str(&tu, display);
    gen_tsv_time(
        &tu, start + (long long)(gen_uniform(r) * (double)(365 * GEN_DAY_MS)));
    gen_tsv_eol(&tu);
    size_t n = (size_t)snprintf(prefs, sizeof prefs, "[");
    for (int k = 0; k < w->tastes[u]; k++)
      n += (size_t)snprintf(prefs + n, sizeof prefs - n, "%s\"%s\"",
                            k ? "," : "", gen_genres[w->taste[u][k]].name);
    snprintf(prefs + n, sizeof prefs - n, "]");
    gen_tsv_int(&tp, w->user0 + u + 1);
    gen_tsv_str(&tp, prefs);
    gen_tsv_eol(&tp);
  }
  if (gen_tsv_close(&tu) || gen_tsv_close(&tp)) return -1;
  printf("  write users           %10lld rows %7.2f s\n", tu.rows + tp.rows,
         gen_now() - t0);
  /* users keep their unique checks: a taken name fails the load */
  if (gen_tsv_load(w, &tu, "users",
                   "id, username, email, password_hash, display_name, "
                   "created_at",
                   GEN_CHECKS_UNIQUE) ||
      gen_tsv_load(w, &tp, "user_preferences", "user_id, favourite_genres",
                   GEN_CHECKS_OFF))
    return -1;
  return 0;
}
