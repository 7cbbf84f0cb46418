/* gen_tsv: the generator's output. Each table is written as a TSV file in
 * a private temporary directory and loaded with LOAD DATA LOCAL INFILE
 * inside one transaction per table, with unique and foreign-key checks off
 * for the tables whose keys the generator guarantees (ids are explicit and
 * consistent; a user's listen times are distinct, so UNIQUE (user, track,
 * listened_at) holds). Users keep their unique checks: an existing account
 * with a generated name fails the load instead of duplicating it. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/gen.h"
#include "core/db.h"
#include "core/rc.h"

int gen_tsv_open(struct gen_world *w, struct gen_tsv *t, const char *name) {
  snprintf(t->path, sizeof t->path, "%s/%s.tsv", w->dir, name);
  t->rows = 0;
  t->first = true;
  if (!(t->f = fopen(t->path, "w"))) {
    fprintf(stderr, "generate: %s: %s\n", t->path, strerror(errno));
    return -1;
  }
  setvbuf(t->f, NULL, _IOFBF, 1 << 20);
  return 0;
}

static void separate(struct gen_tsv *t) {
  if (!t->first) putc('\t', t->f);
  t->first = false;
}

/* put_int: decimal digits without printf (the writer's hot path). */
static void put_int(FILE *f, long long v) {
  char buf[24], *p = buf + sizeof buf;
  unsigned long long u =
      v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
  do
    *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0) *--p = '-';
  fwrite(p, 1, (size_t)(buf + sizeof buf - p), f);
}

void gen_tsv_int(struct gen_tsv *t, long long v) {
  separate(t);
  put_int(t->f, v);
}

void gen_tsv_null(struct gen_tsv *t) {
  separate(t);
  fputs("\\N", t->f);
}

void gen_tsv_num(struct gen_tsv *t, double v, int prec) {
  separate(t);
  fprintf(t->f, "%.*f", prec, v);
}

void gen_tsv_str(struct gen_tsv *t, const char *s) {
  separate(t);
  for (; *s; s++) {
    if (*s == '\\')
      fputs("\\\\", t->f);
    else if (*s == '\t')
      fputs("\\t", t->f);
    else if (*s == '\n')
      fputs("\\n", t->f);
    else
      putc(*s, t->f);
  }
}

void gen_tsv_time(struct gen_tsv *t, long long ms) {
  /* the date part is cached, as a writer's times mostly stay within one
   * day */
  static long long cached_day = -1;
  static char date[16];
  long long day = ms / GEN_DAY_MS, rest = ms % GEN_DAY_MS;
  if (day != cached_day) {
    time_t s = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&s, &tm);
    snprintf(date, sizeof date, "%04d-%02d-%02d ", (tm.tm_year + 1900) % 10000,
             (tm.tm_mon + 1) % 100, tm.tm_mday % 100);
    cached_day = day;
  }
  int h = (int)(rest / 3600000), m = (int)(rest / 60000 % 60),
      sec = (int)(rest / 1000 % 60), milli = (int)(rest % 1000);
  char buf[16] = {(char)('0' + h / 10),
                  (char)('0' + h % 10),
                  ':',
                  (char)('0' + m / 10),
                  (char)('0' + m % 10),
                  ':',
                  (char)('0' + sec / 10),
                  (char)('0' + sec % 10),
                  '.',
                  (char)('0' + milli / 100),
                  (char)('0' + milli / 10 % 10),
                  (char)('0' + milli % 10)};
  separate(t);
  fwrite(date, 1, 11, t->f);
  fwrite(buf, 1, 12, t->f);
}

void gen_tsv_eol(struct gen_tsv *t) {
  putc('\n', t->f);
  t->first = true;
  t->rows++;
}

int gen_tsv_close(struct gen_tsv *t) {
  int bad = ferror(t->f) | fclose(t->f);
  t->f = NULL;
  if (bad) fprintf(stderr, "generate: cannot write %s\n", t->path);
  return bad ? -1 : 0;
}

int gen_tsv_load(struct gen_world *w, struct gen_tsv *t, const char *table,
                 const char *cols, enum gen_checks checks) {
  double t0 = gen_now();
  char sql[1024], set[96];
  int n = snprintf(sql, sizeof sql,
                   "LOAD DATA LOCAL INFILE '%s' INTO TABLE %s CHARACTER SET "
                   "utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                   "LINES TERMINATED BY '\\n' (%s)",
                   t->path, table, cols);
  int m = snprintf(set, sizeof set,
                   "SET unique_checks = %d, foreign_key_checks = 0",
                   checks == GEN_CHECKS_UNIQUE ? 1 : 0);
  struct db_qres q = {0};
  int rc = db_query(w->db, set, (size_t)m, NULL);
  if (!rc) rc = db_begin(w->db);
  if (!rc) {
    rc = db_query(w->db, sql, (size_t)n, &q);
    if (rc)
      db_rollback(w->db);
    else
      rc = db_commit(w->db);
  }
  unlink(t->path);
  if (rc) {
    fprintf(stderr, "generate: loading %s failed%s\n", table,
            rc == RC_CONFLICT ? " (a generated name is already taken)" : "");
    return -1;
  }
  double dt = gen_now() - t0;
  w->rows += (long long)q.affected;
  printf("  load %-16s %10llu rows %7.2f s %9.0f rows/s%s\n", table, q.affected,
         dt, dt > 0 ? (double)q.affected / dt : 0.0,
         q.warnings ? " (with warnings)" : "");
  fflush(stdout);
  return 0;
}
