/* import: `encore-admin import hetrec DIR`, the HetRec 2011 Last.fm 2K data
 * set (artists.dat, tags.dat, user_artists.dat, user_friends.dat,
 * user_taggedartists.dat: tab-separated, one header line).
 *
 * Mapping: artists keep their Last.fm page and picture URLs and their id in
 * artists.hetrec_id; tags become genres (tags.dat is ISO-8859-1, converted
 * byte-wise to UTF-8; names equal under the utf8mb4_unicode_ci collation
 * share one genre); users are "lastfm_<id>" with users.hetrec_id and an
 * unusable password (the hash of random bytes nobody keeps); listening
 * counts go to user_artist_plays and artists.popularity (their sum); each
 * friend line is a follow both ways; user taggings go to user_artist_tags
 * and their per-artist counts to artist_genres.weight.
 *
 * Idempotent: every row is an upsert keyed by hetrec_id or the primary key,
 * so a second run adds nothing and reports 0 new rows. A malformed line
 * (wrong field count, bad id, unknown referenced id, invalid text) is
 * reported as FILE:LINE and skipped. The whole import is one transaction of
 * multi-row INSERTs. */
#include "admin/import.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/bulk.h"
#include "core/arena.h"
#include "core/bytes.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/pw.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "model/search.h"

#define MAX_FIELDS 8
#define REPORT_MAX 20       /* malformed lines printed per file */
#define NAME_MAX_CHARS 255  /* artists.name */
#define GENRE_MAX_CHARS 255 /* genres.name */
#define URL_MAX_BYTES 2048  /* artists.image_url, lastfm_url */
#define ID_MAX 2147483647LL /* ids of the data set: positive INT */

/* --- an id -> row id map (open addressing, keys > 0) ---------------------- */

struct idmap {
  uint32_t *keys;
  long long *vals;
  size_t cap, count;
};

static size_t idmap_slot(const struct idmap *m, uint32_t k) {
  return (size_t)((k * 2654435761u) & (uint32_t)(m->cap - 1));
}

static void idmap_put(struct idmap *m, uint32_t k, long long v) {
  if ((m->count + 1) * 2 > m->cap) {
    struct idmap n = {.cap = m->cap ? m->cap * 2 : 1024};
    n.keys = calloc(n.cap, sizeof *n.keys);
    n.vals = calloc(n.cap, sizeof *n.vals);
    if (!n.keys || !n.vals) {
      fputs("encore-admin: out of memory\n", stderr);
      exit(1);
    }
    for (size_t i = 0; i < m->cap; i++)
      if (m->keys[i]) idmap_put(&n, m->keys[i], m->vals[i]);
    free(m->keys);
    free(m->vals);
    *m = n;
  }
  size_t i = idmap_slot(m, k);
  while (m->keys[i] && m->keys[i] != k)
    i = (i + 1) & (m->cap - 1);
  if (!m->keys[i]) m->count++;
  m->keys[i] = k;
  m->vals[i] = v;
}

/* idmap_get: the value of k, or 0 when absent. */
static long long idmap_get(const struct idmap *m, uint32_t k) {
  if (!m->cap) return 0;
  for (size_t i = idmap_slot(m, k); m->keys[i]; i = (i + 1) & (m->cap - 1))
    if (m->keys[i] == k) return m->vals[i];
  return 0;
}

static void idmap_free(struct idmap *m) {
  free(m->keys);
  free(m->vals);
  *m = (struct idmap){0};
}

/* --- reading a file ------------------------------------------------------- */

struct src {
  const char *name; /* "artists.dat" */
  FILE *f;
  char *line;
  size_t cap;
  long no;                 /* current line number, 1-based */
  long lines, bad;         /* data lines seen, lines skipped */
  char *field[MAX_FIELDS]; /* of the current line, NUL-terminated */
  size_t flen[MAX_FIELDS];
  int nfields;
};

static int src_open(struct src *s, const char *dir, const char *name) {
  char path[4096];
  *s = (struct src){.name = name};
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (!(s->f = fopen(path, "rb"))) {
    fprintf(stderr, "import: %s: %s\n", path, strerror(errno));
    return -1;
  }
  return 0;
}

static void src_close(struct src *s) {
  if (s->f && s->bad > REPORT_MAX)
    fprintf(stderr, "import: %s: %ld more malformed lines skipped\n", s->name,
            s->bad - REPORT_MAX);
  if (s->f) fclose(s->f);
  free(s->line);
  s->f = NULL;
  s->line = NULL;
}

static void bad_line(struct src *s, const char *why) {
  if (s->bad++ < REPORT_MAX)
    fprintf(stderr, "import: %s:%ld: %s, skipped\n", s->name, s->no, why);
}

/* src_next: the next data line split on tabs (the header and empty lines
 * are passed over; CR LF endings are accepted). 1 with a line, 0 at the
 * end, -1 on a read error. A line with other than `want` fields is reported
 * and passed over here. */
static int src_next(struct src *s, int want) {
  for (;;) {
    errno = 0;
    ssize_t n = getline(&s->line, &s->cap, s->f);
    if (n < 0) {
      if (ferror(s->f)) {
        fprintf(stderr, "import: %s: read error: %s\n", s->name,
                strerror(errno));
        return -1;
      }
      return 0;
    }
    s->no++;
    while (n > 0 && (s->line[n - 1] == '\n' || s->line[n - 1] == '\r'))
      s->line[--n] = '\0';
    if (n == 0) continue;
    /* The header: its first field is a name, not a number. */
    if (s->no == 1 && (s->line[0] < '0' || s->line[0] > '9')) continue;
    s->lines++;
    int k = 0;
    char *p = s->line, *end = s->line + n;
    for (;;) {
      char *tab = memchr(p, '\t', (size_t)(end - p));
      if (k < MAX_FIELDS) {
        s->field[k] = p;
        s->flen[k] = (size_t)((tab ? tab : end) - p);
      }
      k++;
      if (!tab) break;
      *tab = '\0';
      p = tab + 1;
    }
    s->nfields = k;
    if (k != want) {
      char why[64];
      snprintf(why, sizeof why, "%d fields, %d expected", k, want);
      bad_line(s, why);
      continue;
    }
    return 1;
  }
}

/* parse_num: a decimal integer in [lo, hi] filling the whole field. */
static bool parse_num(const char *f, size_t n, long long lo, long long hi,
                      long long *out) {
  if (n == 0 || n > 18) return false;
  long long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (f[i] < '0' || f[i] > '9') return false;
    v = v * 10 + (f[i] - '0');
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

/* Report one file's counts on stdout. */
static void summary(const struct src *s, const char *what,
                    unsigned long long fresh, unsigned long long total) {
  printf("%s: %ld lines, %ld skipped; %s: %llu new of %llu\n", s->name,
         s->lines, s->bad, what, fresh, total);
}

/* --- the import ------------------------------------------------------------
 */

struct imp {
  struct db *db;
  struct arena *a;
  const char *dir;
  struct idmap artists; /* hetrec artist id -> artists.id */
  struct idmap tags;    /* hetrec tag id -> genres.id */
  struct idmap users;   /* hetrec user id -> users.id */
};

/* count: the single number a counting SELECT returns; -1 on error. */
static long long count(struct imp *im, const char *sql) {
  struct db_res res;
  if (db_exec(im->db, im->a, sql, NULL, 0, 0, &res) || res.nrows != 1)
    return -1;
  return db_i64(&res.rows[0], 0, -1);
}

static int fail_db(const char *what) {
  fprintf(stderr, "import: database error while loading %s\n", what);
  return 1;
}

static int load_artists(struct imp *im) {
  struct src s;
  if (src_open(&s, im->dir, "artists.dat")) return 1;
  struct bulk b;
  bulk_init(&b, im->db,
            "INSERT INTO artists (hetrec_id, name, lastfm_url, image_url) "
            "VALUES ",
            " ON DUPLICATE KEY UPDATE name = VALUES(name), "
            "lastfm_url = VALUES(lastfm_url), image_url = VALUES(image_url)");
  struct idmap seen = {0};
  static const char n_sql[] =
      "SELECT COUNT(*) FROM artists WHERE hetrec_id IS NOT NULL";
  long long before = count(im, n_sql);
  int r, rc = before < 0;
  while (!rc && (r = src_next(&s, 4)) == 1) {
    long long id;
    size_t chars;
    if (!parse_num(s.field[0], s.flen[0], 1, ID_MAX, &id)) {
      bad_line(&s, "the artist id is not a positive integer");
      continue;
    }
    if (idmap_get(&seen, (uint32_t)id)) {
      bad_line(&s, "duplicate artist id");
      continue;
    }
    if (s.flen[1] == 0 || !utf8_check(s.field[1], s.flen[1], &chars)) {
      bad_line(&s, "the name is empty, not UTF-8 or has control characters");
      continue;
    }
    if (chars > NAME_MAX_CHARS) {
      bad_line(&s, "the name is longer than 255 characters");
      continue;
    }
    bool urls_ok = true;
    for (int k = 2; k < 4; k++)
      if (s.flen[k] > URL_MAX_BYTES || !utf8_check(s.field[k], s.flen[k], NULL))
        urls_ok = false;
    if (!urls_ok) {
      bad_line(&s, "a URL is too long, not UTF-8 or has control characters");
      continue;
    }
    idmap_put(&seen, (uint32_t)id, 1);
    bulk_row(&b);
    bulk_int(&b, id);
    bulk_str(&b, s.field[1], s.flen[1]);
    bulk_str(&b, s.flen[2] ? s.field[2] : NULL, s.flen[2]);
    bulk_str(&b, s.flen[3] ? s.field[3] : NULL, s.flen[3]);
    rc = bulk_end(&b);
  }
  if (!rc) rc = bulk_flush(&b);
  long long after = rc ? -1 : count(im, n_sql);
  if (after < 0) rc = RC_DB;
  if (!rc && r >= 0)
    summary(&s, "artists", (unsigned long long)(after - before), b.rows);
  idmap_free(&seen);
  bulk_free(&b);
  src_close(&s);
  if (r < 0) return 1;
  if (rc) return fail_db("artists.dat");

  struct db_res res;
  if (db_exec(im->db, im->a,
              "SELECT hetrec_id, id FROM artists WHERE hetrec_id IS NOT NULL",
              NULL, 0, 0, &res))
    return fail_db("artists.dat");
  for (int i = 0; i < res.nrows; i++)
    idmap_put(&im->artists, (uint32_t)db_i64(&res.rows[i], 0, 0),
              db_i64(&res.rows[i], 1, 0));
  return 0;
}

static int load_tags(struct imp *im) {
  struct src s;
  if (src_open(&s, im->dir, "tags.dat")) return 1;
  /* Staged in a temporary table, so that the genre of each tag is found by
   * the collation's equality (case- and accent-insensitive), as the unique
   * key on genres.name sees it. */
  static const char create[] =
      "CREATE TEMPORARY TABLE IF NOT EXISTS hetrec_tags ("
      "tag_id INT UNSIGNED NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL) "
      "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";
  static const char clear[] = "DELETE FROM hetrec_tags";
  if (db_query(im->db, create, sizeof create - 1, NULL) ||
      db_query(im->db, clear, sizeof clear - 1, NULL)) {
    src_close(&s);
    return fail_db("tags.dat");
  }
  struct bulk b;
  bulk_init(&b, im->db, "INSERT INTO hetrec_tags (tag_id, name) VALUES ", "");
  struct idmap seen = {0};
  char *conv = NULL;
  size_t convcap = 0;
  int r, rc = 0;
  while (!rc && (r = src_next(&s, 2)) == 1) {
    long long id;
    if (!parse_num(s.field[0], s.flen[0], 1, ID_MAX, &id)) {
      bad_line(&s, "the tag id is not a positive integer");
      continue;
    }
    if (idmap_get(&seen, (uint32_t)id)) {
      bad_line(&s, "duplicate tag id");
      continue;
    }
    if (convcap < 2 * s.flen[1] + 1) {
      convcap = 2 * s.flen[1] + 1;
      free(conv);
      if (!(conv = malloc(convcap))) {
        fputs("encore-admin: out of memory\n", stderr);
        exit(1);
      }
    }
    size_t n;
    if (!latin1_to_utf8(s.field[1], s.flen[1], conv, &n)) {
      bad_line(&s, "control characters in the tag");
      continue;
    }
    char *t = conv;
    while (*t == ' ')
      t++, n--;
    while (n && t[n - 1] == ' ')
      t[--n] = '\0';
    size_t chars;
    utf8_check(t, n, &chars);
    if (n == 0 || chars > GENRE_MAX_CHARS) {
      bad_line(&s, "the tag is empty or longer than 255 characters");
      continue;
    }
    idmap_put(&seen, (uint32_t)id, 1);
    bulk_row(&b);
    bulk_int(&b, id);
    bulk_str(&b, t, n);
    rc = bulk_end(&b);
  }
  free(conv);
  if (!rc) rc = bulk_flush(&b);
  unsigned long long tags = b.rows;
  idmap_free(&seen);
  bulk_free(&b);
  if (r < 0) {
    src_close(&s);
    return 1;
  }
  static const char genres[] =
      "INSERT IGNORE INTO genres (name) SELECT name FROM hetrec_tags";
  struct db_qres q = {0};
  if (rc || db_query(im->db, genres, sizeof genres - 1, &q)) {
    src_close(&s);
    return fail_db("tags.dat");
  }
  struct db_res res;
  if (db_exec(im->db, im->a,
              "SELECT t.tag_id, g.id FROM hetrec_tags t "
              "JOIN genres g ON g.name = t.name",
              NULL, 0, 0, &res)) {
    src_close(&s);
    return fail_db("tags.dat");
  }
  for (int i = 0; i < res.nrows; i++)
    idmap_put(&im->tags, (uint32_t)db_i64(&res.rows[i], 0, 0),
              db_i64(&res.rows[i], 1, 0));
  summary(&s, "genres", q.affected, tags);
  src_close(&s);
  return 0;
}

/* One validated line of the user files, kept until the users exist. */
struct rec {
  uint32_t user, other; /* other: artist or friend */
  uint32_t tag;
  long long n; /* plays */
  char date[11];
  long line;
};

struct recs {
  struct rec *v;
  size_t n, cap;
};

static struct rec *recs_add(struct recs *r) {
  if (r->n == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 4096;
    struct rec *v = realloc(r->v, r->cap * sizeof *v);
    if (!v) {
      fputs("encore-admin: out of memory\n", stderr);
      exit(1);
    }
    r->v = v;
  }
  struct rec *e = &r->v[r->n++];
  memset(e, 0, sizeof *e);
  return e;
}

/* make_date: "YYYY-MM-DD" for a real calendar day, else "". */
static void make_date(long long d, long long m, long long y, char out[11]) {
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  out[0] = '\0';
  if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
    return;
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return;
  snprintf(out, 11, "%04d-%02d-%02d", (int)y % 10000, (int)m % 100,
           (int)d % 100);
}

/* read_user_files: the three files about users, validated, into memory;
 * every user id seen goes into `ids`. */
static int read_user_files(struct imp *im, struct recs *plays,
                           struct recs *friends, struct recs *tagged,
                           struct src *src, struct idmap *ids) {
  static const char *names[3] = {"user_artists.dat", "user_friends.dat",
                                 "user_taggedartists.dat"};
  static const int want[3] = {3, 2, 6};
  for (int f = 0; f < 3; f++) {
    struct src *s = &src[f];
    if (src_open(s, im->dir, names[f])) return 1;
    int r;
    while ((r = src_next(s, want[f])) == 1) {
      long long v[6];
      bool ok = true;
      /* ids are positive; plays and the date fields may be 0 */
      for (int k = 0; k < want[f] && ok; k++) {
        bool count = (f == 0 && k == 2) || (f == 2 && k >= 3);
        ok = parse_num(s->field[k], s->flen[k], count ? 0 : 1,
                       f == 0 && k == 2 ? 999999999999LL : ID_MAX, &v[k]);
      }
      if (!ok) {
        bad_line(s, "a field is not a number in range");
        continue;
      }
      if (f == 0 && !idmap_get(&im->artists, (uint32_t)v[1])) {
        bad_line(s, "unknown artist id");
        continue;
      }
      if (f == 1 && v[0] == v[1]) {
        bad_line(s, "a user cannot befriend themselves");
        continue;
      }
      if (f == 2 && !idmap_get(&im->artists, (uint32_t)v[1])) {
        bad_line(s, "unknown artist id");
        continue;
      }
      if (f == 2 && !idmap_get(&im->tags, (uint32_t)v[2])) {
        bad_line(s, "unknown tag id");
        continue;
      }
      struct rec *e = recs_add(f == 0 ? plays : f == 1 ? friends : tagged);
      e->user = (uint32_t)v[0];
      e->other = (uint32_t)v[1];
      e->line = s->no;
      if (f == 0) e->n = v[2];
      if (f == 2) {
        e->tag = (uint32_t)v[2];
        make_date(v[3], v[4], v[5], e->date);
      }
      idmap_put(ids, e->user, 1);
      if (f == 1) idmap_put(ids, e->other, 1);
    }
    if (r < 0) return 1;
  }
  return 0;
}

static int load_users(struct imp *im, const struct idmap *ids, long *nusers,
                      unsigned long long *fresh) {
  /* One hash of 32 random bytes that nobody keeps: no password matches it,
   * and it costs one argon2 run instead of one per user. */
  unsigned char secret[32];
  char secret64[48], hash[PW_HASH_MAX];
  rnd_bytes(secret, sizeof secret);
  bytes_b64url(secret, sizeof secret, secret64);
  if (pw_hash(secret64, hash)) return 1;
  explicit_bzero(secret64, sizeof secret64);

  struct bulk b;
  bulk_init(&b, im->db,
            "INSERT INTO users (username, email, password_hash, display_name, "
            "hetrec_id) VALUES ",
            " ON DUPLICATE KEY UPDATE hetrec_id = hetrec_id");
  static const char n_sql[] =
      "SELECT COUNT(*) FROM users WHERE hetrec_id IS NOT NULL";
  long long before = count(im, n_sql);
  int rc = before < 0;
  *nusers = 0;
  for (size_t i = 0; i < ids->cap && !rc; i++) {
    if (!ids->keys[i]) continue;
    char name[48], email[64], display[64];
    snprintf(name, sizeof name, "lastfm_%u", ids->keys[i]);
    snprintf(email, sizeof email, "lastfm_%u@hetrec.invalid", ids->keys[i]);
    snprintf(display, sizeof display, "Last.fm user %u", ids->keys[i]);
    bulk_row(&b);
    bulk_str(&b, name, strlen(name));
    bulk_str(&b, email, strlen(email));
    bulk_str(&b, hash, strlen(hash));
    bulk_str(&b, display, strlen(display));
    bulk_int(&b, ids->keys[i]);
    rc = bulk_end(&b);
    (*nusers)++;
  }
  if (!rc) rc = bulk_flush(&b);
  bulk_free(&b);
  long long after = rc ? -1 : count(im, n_sql);
  if (after < 0) rc = RC_DB;
  *fresh = rc ? 0 : (unsigned long long)(after - before);
  static const char prefs[] =
      "INSERT IGNORE INTO user_preferences (user_id) "
      "SELECT id FROM users WHERE hetrec_id IS NOT NULL";
  if (rc || db_query(im->db, prefs, sizeof prefs - 1, NULL))
    return fail_db("the users");
  struct db_res res;
  if (db_exec(im->db, im->a,
              "SELECT hetrec_id, id FROM users WHERE hetrec_id IS NOT NULL",
              NULL, 0, 0, &res))
    return fail_db("the users");
  for (int i = 0; i < res.nrows; i++)
    idmap_put(&im->users, (uint32_t)db_i64(&res.rows[i], 0, 0),
              db_i64(&res.rows[i], 1, 0));
  return 0;
}

/* user_of: the users.id of a hetrec user, reporting the line when the
 * account could not be made (its username was taken by another account). */
static long long user_of(struct imp *im, struct src *s, uint32_t hid,
                         long line) {
  long long id = idmap_get(&im->users, hid);
  if (!id) {
    long save = s->no;
    s->no = line;
    bad_line(s, "the user's account lastfm_<id> belongs to someone else");
    s->no = save;
  }
  return id;
}

static int load_links(struct imp *im, struct recs *plays, struct recs *friends,
                      struct recs *tagged, struct src *src) {
  struct bulk b;
  static const char n_plays[] = "SELECT COUNT(*) FROM user_artist_plays";
  static const char n_tags[] = "SELECT COUNT(*) FROM user_artist_tags";
  static const char n_weights[] = "SELECT COUNT(*) FROM artist_genres";
  long long before = count(im, n_plays), after;
  int rc = before < 0;

  bulk_init(&b, im->db,
            "INSERT INTO user_artist_plays (user_id, artist_id, plays) VALUES ",
            " ON DUPLICATE KEY UPDATE plays = VALUES(plays)");
  for (size_t i = 0; i < plays->n && !rc; i++) {
    struct rec *e = &plays->v[i];
    long long u = user_of(im, &src[0], e->user, e->line);
    if (!u) continue;
    bulk_row(&b);
    bulk_int(&b, u);
    bulk_int(&b, idmap_get(&im->artists, e->other));
    bulk_int(&b, e->n);
    rc = bulk_end(&b);
  }
  if (!rc) rc = bulk_flush(&b);
  static const char pop[] =
      "UPDATE artists a JOIN (SELECT artist_id, SUM(plays) AS s "
      "FROM user_artist_plays GROUP BY artist_id) p ON p.artist_id = a.id "
      "SET a.popularity = p.s";
  if (!rc) rc = db_query(im->db, pop, sizeof pop - 1, NULL);
  if (!rc && (after = count(im, n_plays)) < 0) rc = RC_DB;
  if (!rc)
    summary(&src[0], "plays", (unsigned long long)(after - before), b.rows);
  bulk_free(&b);
  if (rc) return fail_db("user_artists.dat");

  bulk_init(&b, im->db,
            "INSERT IGNORE INTO follows (follower_id, followee_id) VALUES ",
            "");
  for (size_t i = 0; i < friends->n && !rc; i++) {
    struct rec *e = &friends->v[i];
    long long u = user_of(im, &src[1], e->user, e->line);
    long long f = u ? user_of(im, &src[1], e->other, e->line) : 0;
    if (!f) continue;
    bulk_row(&b);
    bulk_int(&b, u);
    bulk_int(&b, f);
    bulk_end(&b);
    bulk_row(&b);
    bulk_int(&b, f);
    bulk_int(&b, u);
    rc = bulk_end(&b);
  }
  if (!rc) rc = bulk_flush(&b);
  if (!rc) summary(&src[1], "follows", b.fresh, b.rows);
  bulk_free(&b);
  if (rc) return fail_db("user_friends.dat");

  if ((before = count(im, n_tags)) < 0)
    return fail_db("user_taggedartists.dat");
  bulk_init(&b, im->db,
            "INSERT INTO user_artist_tags (user_id, artist_id, genre_id, "
            "tagged_on) VALUES ",
            " ON DUPLICATE KEY UPDATE tagged_on = VALUES(tagged_on)");
  for (size_t i = 0; i < tagged->n && !rc; i++) {
    struct rec *e = &tagged->v[i];
    long long u = user_of(im, &src[2], e->user, e->line);
    if (!u) continue;
    bulk_row(&b);
    bulk_int(&b, u);
    bulk_int(&b, idmap_get(&im->artists, e->other));
    bulk_int(&b, idmap_get(&im->tags, e->tag));
    if (e->date[0])
      bulk_str(&b, e->date, 10);
    else
      bulk_null(&b);
    rc = bulk_end(&b);
  }
  if (!rc) rc = bulk_flush(&b);
  unsigned long long tag_rows = b.rows, tag_fresh = 0;
  bulk_free(&b);
  if (!rc && (after = count(im, n_tags)) < 0) rc = RC_DB;
  if (!rc) tag_fresh = (unsigned long long)(after - before);
  long long wbefore = rc ? -1 : count(im, n_weights);
  if (wbefore < 0) rc = RC_DB;
  /* The weight of an artist's genre: how many users put that tag on it. */
  static const char weights[] =
      "INSERT INTO artist_genres (artist_id, genre_id, weight) "
      "SELECT t.artist_id, t.genre_id, COUNT(*) FROM user_artist_tags t "
      "JOIN users u ON u.id = t.user_id WHERE u.hetrec_id IS NOT NULL "
      "GROUP BY t.artist_id, t.genre_id "
      "ON DUPLICATE KEY UPDATE weight = VALUES(weight)";
  struct db_qres q = {0};
  if (!rc) rc = db_query(im->db, weights, sizeof weights - 1, &q);
  if (!rc && (after = count(im, n_weights)) < 0) rc = RC_DB;
  if (rc) return fail_db("user_taggedartists.dat");
  summary(&src[2], "user tags", tag_fresh, tag_rows);
  printf("artist genres: %llu new of %llu\n",
         (unsigned long long)(after - wbefore), q.records);
  return 0;
}

static int import_hetrec(struct db *d, struct kv *kv, struct arena *a,
                         const char *dir) {
  struct imp im = {.db = d, .a = a, .dir = dir};
  struct recs plays = {0}, friends = {0}, tagged = {0};
  struct src src[3] = {{0}};
  struct idmap ids = {0};
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  int rc = 1;
  if (db_begin(d)) {
    fail_db("the transaction");
    goto out;
  }
  long nusers = 0;
  unsigned long long new_users = 0;
  if (load_artists(&im) || load_tags(&im) ||
      read_user_files(&im, &plays, &friends, &tagged, src, &ids) ||
      load_users(&im, &ids, &nusers, &new_users))
    goto out;
  printf("users: %llu new of %ld\n", new_users, nusers);
  if (load_links(&im, &plays, &friends, &tagged, src)) goto out;
  if (db_commit(d)) {
    fail_db("the commit");
    goto out;
  }
  rc = 0;
out:
  if (rc) {
    db_rollback(d);
    fprintf(stderr, "import: failed; nothing was changed\n");
  }
  for (int f = 0; f < 3; f++)
    src_close(&src[f]);
  free(plays.v);
  free(friends.v);
  free(tagged.v);
  idmap_free(&ids);
  idmap_free(&im.artists);
  idmap_free(&im.tags);
  idmap_free(&im.users);
  if (!rc) {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double loaded = (double)(t1.tv_sec - t0.tv_sec) +
                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (search_rebuild(d))
      fprintf(stderr, "import: the search index could not be rebuilt\n");
    if (kv) kv_ns_bump(kv, "genres");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("import hetrec: loaded in %.2f s, done with the search index in "
           "%.2f s\n",
           loaded,
           (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  }
  return rc;
}

int admin_import(struct db *d, struct kv *kv, struct arena *a, int argc,
                 char **argv) {
  if (argc != 2 || strcmp(argv[0], "hetrec") != 0) {
    fprintf(stderr, "encore-admin: usage: import hetrec DIR\n");
    return 2;
  }
  return import_hetrec(d, kv, a, argv[1]);
}
