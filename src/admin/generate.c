/* generate: `encore-admin generate`, a synthetic world made from a seed and
 * bulk-loaded — genres (a fixed list of real names), artists with genres and
 * countries, albums (types, labels, release dates over six decades), tracks
 * (1-3 genres, sometimes a featured artist, durations, explicit flags, ISRCs,
 * audio features drawn around their genre's profile, lyrics for some), users
 * whose tastes cluster on 1-3 genres, a year of listens, likes (of tracks
 * listened to, their albums, public playlists), follows (mostly within the
 * same taste, and a few heavily followed users), playlists, comments, and
 * the activity, feeds and notifications of the last weeks. This file is the
 * command: its options, the ids the world starts from, and the order of the
 * steps; gen.h lists the files of the steps.
 *
 * Deterministic: one splitmix64 stream from the seed, consumed in a fixed
 * order, so the same seed and options give the same rows (ids are offset by
 * what the tables already hold; listen times are relative to --end-date,
 * today by default), but for what must not be guessable: unlisted playlists'
 * keys and the password hash.
 *
 * Generated users get one shared hash of random bytes nobody keeps (no one
 * can log in as them) and emails @generated.invalid, which is also how a
 * generated world is recognized: a second generate into the same database
 * is refused. */
#include "admin/generate.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/gen.h"
#include "admin/insights.h"
#include "core/arena.h"
#include "core/bytes.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/pw.h"
#include "core/rnd.h"
#include "model/search.h"

/* The counts of a world: the full one by default, the demo's with --small
 * (for the counts not given), each within [0, max]. */
enum count { USERS, ARTISTS, ALBUMS, TRACKS, LISTENS, PLAYLISTS, COUNTS };
struct count_option {
  const char *flag;
  long long full, small, max;
};
static const struct count_option count_options[COUNTS] = {
    [USERS] = {.flag = "--users",
               .full = 100000,
               .small = 200,
               .max = 10000000},
    [ARTISTS] = {.flag = "--artists",
                 .full = 50000,
                 .small = 500,
                 .max = 10000000},
    [ALBUMS] = {.flag = "--albums",
                .full = 200000,
                .small = 1000,
                .max = 50000000},
    [TRACKS] = {.flag = "--tracks",
                .full = 1000000,
                .small = 10000,
                .max = 100000000},
    [LISTENS] = {.flag = "--listens",
                 .full = 10000000,
                 .small = 100000,
                 .max = 2000000000},
    [PLAYLISTS] = {.flag = "--playlists",
                   .full = 25000,
                   .small = 100,
                   .max = 10000000},
};

/* parse_count: a decimal number in [0, max]. */
static bool parse_count(const char *s, long long max, long long *out) {
  if (!s || !*s) return false;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 0 || v > max) return false;
  *out = v;
  return true;
}

/* parse_date: "YYYY-MM-DD" -> ms since the epoch at 00:00 UTC. */
static bool parse_date(const char *s, long long *ms) {
  struct tm tm = {0};
  const char *end = strptime(s, "%Y-%m-%d", &tm);
  if (!end || *end || tm.tm_year < 70 || tm.tm_year > 200) return false;
  *ms = (long long)timegm(&tm) * 1000;
  return true;
}

static int usage(const char *why) {
  fprintf(stderr,
          "encore-admin: generate: %s\n"
          "usage: generate [--seed N] [--small] [--users N] [--artists N] "
          "[--albums N] [--tracks N] [--listens N] [--playlists N] "
          "[--demo-user USERNAME] [--end-date YYYY-MM-DD] "
          "[--heavy-listens N]\n",
          why);
  return 2;
}

/* parse_options: argv into o. 0, or the exit status of a usage error. */
static int parse_options(int argc, char **argv, struct gen_opts *o) {
  long long v[COUNTS];
  bool set[COUNTS] = {false};
  long long seed = 1;
  for (int k = 0; k < COUNTS; k++)
    v[k] = count_options[k].full;
  o->end_ms = (long long)(time(NULL) / 86400) * GEN_DAY_MS;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    int k = 0;
    while (k < COUNTS && strcmp(arg, count_options[k].flag) != 0)
      k++;
    if (k < COUNTS) {
      if (!parse_count(val, count_options[k].max, &v[k]))
        return usage("bad count");
      set[k] = true;
      i++;
    } else if (!strcmp(arg, "--small")) {
      for (k = 0; k < COUNTS; k++)
        if (!set[k]) v[k] = count_options[k].small;
    } else if (!strcmp(arg, "--seed")) {
      if (!parse_count(val, INT64_MAX, &seed)) return usage("bad seed");
      i++;
    } else if (!strcmp(arg, "--demo-user")) {
      if (!val || !*val) return usage("--demo-user needs a username");
      o->demo_user = val;
      i++;
    } else if (!strcmp(arg, "--heavy-listens")) {
      long long h;
      if (!parse_count(val, 10000000, &h)) return usage("bad count");
      o->heavy = (long)h;
      i++;
    } else if (!strcmp(arg, "--end-date")) {
      if (!val || !parse_date(val, &o->end_ms)) return usage("bad end date");
      i++;
    } else {
      return usage("unknown option");
    }
  }
  /* --small applies to the counts not given, wherever it stands */
  for (int i = 0; i < argc; i++)
    if (!strcmp(argv[i], "--small"))
      for (int k = 0; k < COUNTS; k++)
        if (!set[k]) v[k] = count_options[k].small;
  o->users = (long)v[USERS];
  o->artists = (long)v[ARTISTS];
  o->albums = (long)v[ALBUMS];
  o->tracks = (long)v[TRACKS];
  o->listens = v[LISTENS];
  o->playlists = (long)v[PLAYLISTS];
  o->seed = (unsigned long long)seed;
  if ((o->tracks && !o->albums) || (o->albums && !o->artists))
    return usage("tracks need albums, albums need artists");
  if (o->listens && (!o->tracks || !o->users))
    return usage("listens need users and tracks");
  return 0;
}

static long long max_id(struct gen_world *w, struct arena *a, const char *sql) {
  struct db_res res;
  if (db_exec(w->db, a, sql, NULL, 0, 0, &res) || res.nrows != 1) return -1;
  return db_i64(&res.rows[0], 0, -1);
}

int admin_world_exists(struct db *d, struct arena *a, bool *exists) {
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT 1 FROM users WHERE email LIKE '%@generated.invalid' "
                   "LIMIT 1",
                   NULL, 0, 0, &res);
  if (!rc) *exists = res.nrows > 0;
  return rc;
}

/* prepare: what the world starts from: no generated world yet, the demo
 * user's id, each table's highest id, the genres' ids (created when
 * missing), a connection that may LOAD DATA LOCAL. 0, or 1 after saying
 * why. */
static int prepare(struct gen_world *w, struct arena *a) {
  struct db *d = w->db;
  struct db_res res;
  bool exists;
  if (admin_world_exists(d, a, &exists)) {
    fprintf(stderr, "generate: database error\n");
    return 1;
  }
  if (exists) {
    fprintf(stderr, "generate: this database already holds a generated world "
                    "(users @generated.invalid); generate into a fresh "
                    "database instead\n");
    return 1;
  }
  if (w->o.demo_user) {
    if (db_exec(d, a, "SELECT id FROM users WHERE username = ?",
                (struct db_val[]){DB_S(w->o.demo_user)}, 1, 0, &res)) {
      fprintf(stderr, "generate: database error\n");
      return 1;
    }
    if (!res.nrows) {
      fprintf(stderr, "generate: no user %s\n", w->o.demo_user);
      return 1;
    }
    w->demo_id = db_i64(&res.rows[0], 0, 0);
  }
  if ((w->artist0 = max_id(w, a, "SELECT COALESCE(MAX(id), 0) FROM artists")) <
          0 ||
      (w->album0 = max_id(w, a, "SELECT COALESCE(MAX(id), 0) FROM albums")) <
          0 ||
      (w->track0 = max_id(w, a, "SELECT COALESCE(MAX(id), 0) FROM tracks")) <
          0 ||
      (w->user0 = max_id(w, a, "SELECT COALESCE(MAX(id), 0) FROM users")) < 0 ||
      (w->playlist0 =
           max_id(w, a, "SELECT COALESCE(MAX(id), 0) FROM playlists")) < 0) {
    fprintf(stderr, "generate: database error\n");
    return 1;
  }
  for (int g = 0; g < GEN_GENRES; g++) {
    if (db_exec(d, a, "INSERT IGNORE INTO genres (name) VALUES (?)",
                (struct db_val[]){DB_S(gen_genres[g].name)}, 1, 0, NULL) ||
        db_exec(d, a, "SELECT id FROM genres WHERE name = ?",
                (struct db_val[]){DB_S(gen_genres[g].name)}, 1, 0, &res) ||
        res.nrows != 1) {
      fprintf(stderr, "generate: cannot create the genres\n");
      return 1;
    }
    w->genre_id[g] = db_i64(&res.rows[0], 0, 0);
  }
  /* LOAD DATA LOCAL needs the connection's permission, set at connect. */
  if (db_local_infile(d)) {
    fprintf(stderr, "generate: cannot reconnect with local infile\n");
    return 1;
  }
  return 0;
}

/* make_dir: the private directory of the TSV files, under $TMPDIR. */
static int make_dir(struct gen_world *w) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strpbrk(tmp, "'\\") || strlen(tmp) > 200) tmp = "/tmp";
  snprintf(w->dir, sizeof w->dir, "%s/encore-generate.XXXXXX", tmp);
  if (!mkdtemp(w->dir)) {
    fprintf(stderr, "generate: cannot create a directory in %s: %s\n", tmp,
            strerror(errno));
    w->dir[0] = '\0';
    return 1;
  }
  return 0;
}

int admin_generate(struct db *d, struct kv *kv, struct arena *a, int argc,
                   char **argv) {
  struct gen_world w = {.db = d};
  const struct gen_opts *o = &w.o;
  int rc = parse_options(argc, argv, &w.o);
  if (rc) return rc;
  w.r.state = o->seed;

  double t0 = gen_now();
  if (prepare(&w, a)) return 1;
  /* One hash of random bytes nobody keeps: no one can log in as a generated
   * user, and it costs one argon2 run for all of them. */
  unsigned char secret[32];
  char secret64[48], hash[PW_HASH_MAX];
  rnd_bytes(secret, sizeof secret);
  bytes_b64url(secret, sizeof secret, secret64);
  if (pw_hash(secret64, hash)) return 1;
  if (make_dir(&w)) return 1;
  printf("generate: seed %llu, %ld users, %ld artists, %ld albums, %ld "
         "tracks, %ld listens, %ld playlists%s%s\n",
         o->seed, o->users, o->artists, o->albums, o->tracks, o->listens,
         o->playlists, o->demo_user ? ", demo user " : "",
         o->demo_user ? o->demo_user : "");
  fflush(stdout);
  double tp = gen_now();
  gen_plan(&w);
  printf("  plan                  %10s      %7.2f s\n", "", gen_now() - tp);
  /* the steps in the stream's order: listens come before the catalogue,
   * whose popularity counts them */
  rc = 1;
  if (gen_users(&w, hash) || gen_listens(&w) || gen_social(&w) ||
      gen_catalogue(&w) || gen_heavy(&w, hash) || gen_feed(&w))
    goto out;
  static const char restore[] = "SET unique_checks = 1, foreign_key_checks = 1";
  db_query(d, restore, sizeof restore - 1, NULL);
  double ts = gen_now();
  if (search_rebuild(d)) {
    fprintf(stderr, "generate: the search index could not be rebuilt\n");
    goto out;
  }
  printf("  search rebuild        %10s      %7.2f s\n", "", gen_now() - ts);
  /* the listens went in without their insights' rollups */
  if (admin_insights_rebuild_all(d)) goto out;
  if (kv) kv_ns_bump(kv, "genres");
  double dt = gen_now() - t0;
  printf("generate: %lld rows in %.1f s (%.0f rows/s)\n", w.rows, dt,
         dt > 0 ? (double)w.rows / dt : 0.0);
  rc = 0;
out:
  if (rc)
    fprintf(stderr, "generate: failed; tables loaded before the failure keep "
                    "their rows\n");
  gen_free(&w);
  return rc;
}
