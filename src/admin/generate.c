/* generate: `encore-admin generate`, a synthetic world made from a seed and
 * bulk-loaded — genres (a fixed list of real names), artists with genres and
 * countries, albums (types, labels, release dates over six decades), tracks
 * (1-3 genres, sometimes a featured artist, durations, explicit flags, ISRCs,
 * audio features drawn around their genre's profile, lyrics for some), users
 * whose tastes cluster on 1-3 genres, a year of listens, likes (of tracks
 * listened to, their albums, public playlists), follows (mostly within the
 * same taste) and playlists.
 *
 * Shape: a user's listens pick a genre of their taste, then a track of it
 * with probability ~ 1/rank (log-uniform ranks: Zipf with s = 1), so a few
 * tracks of each genre get most plays; 15% of listens wander anywhere.
 * Listen counts per user are log-normal. popularity columns are the counts
 * of the generated listens (album: its tracks; artist: its primary tracks).
 *
 * Deterministic: one splitmix64 stream from the seed, consumed in a fixed
 * order, so the same seed and options give the same rows (ids are offset by
 * what the tables already hold; listen times are relative to --end-date,
 * today by default).
 *
 * Loading: each table is written as a TSV file in a private temporary
 * directory and loaded with LOAD DATA LOCAL INFILE inside one transaction per
 * table, with unique and foreign-key checks off for the tables whose keys the
 * generator guarantees (ids are explicit and consistent; a user's listen
 * times are distinct, so UNIQUE (user, track, listened_at) holds). Users keep
 * their unique checks: an existing account with a generated name fails the
 * load instead of duplicating it. Generated users get one shared hash of
 * random bytes nobody keeps (no one can log in as them) and emails
 * @generated.invalid, which is also how a generated world is recognized: a
 * second generate into the same database is refused. */
#include "admin/generate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/pw.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "model/playlist.h"
#include "model/search.h"

#define DAY_MS 86400000LL
#define NO_GENRE 255

/* --- the random stream ---------------------------------------------------- */

struct rng {
  uint64_t s;
};

static uint64_t rnext(struct rng *r) {
  uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* runif: uniform in [0, 1). */
static double runif(struct rng *r) {
  return (double)(rnext(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* rbelow: uniform in [0, n); n > 0. */
static uint32_t rbelow(struct rng *r, uint32_t n) {
  return (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32);
}

static double rnorm(struct rng *r) {
  double u = runif(r), v = runif(r);
  if (u < 1e-300) u = 1e-300;
  return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* rzipf: a rank in [0, n) with P(k) ~ 1/(k+1). */
static uint32_t rzipf(struct rng *r, uint32_t n) {
  uint32_t k = (uint32_t)(exp(runif(r) * log((double)n + 1.0)) - 1.0);
  return k < n ? k : n - 1;
}

static double clamp01(double x) {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* --- fixed vocabularies --------------------------------------------------- */

/* A family's sound: feature means, explicit share, mean duration (s). */
struct family {
  double tempo, energy, valence, dance, acoustic, instrumental, explicit_p;
  int secs;
};
static const struct family families[] = {
    /* rock */ {125, 0.72, 0.48, 0.48, 0.15, 0.10, 0.08, 235},
    /* pop */ {118, 0.66, 0.60, 0.68, 0.18, 0.03, 0.12, 205},
    /* electronic */ {126, 0.75, 0.42, 0.70, 0.06, 0.60, 0.04, 330},
    /* hip hop */ {92, 0.68, 0.50, 0.78, 0.12, 0.02, 0.55, 215},
    /* jazz, blues */ {110, 0.38, 0.52, 0.52, 0.70, 0.45, 0.01, 310},
    /* classical */ {96, 0.20, 0.30, 0.28, 0.92, 0.88, 0.00, 420},
    /* folk, country */ {112, 0.40, 0.55, 0.52, 0.75, 0.05, 0.03, 225},
    /* metal */ {140, 0.92, 0.28, 0.38, 0.03, 0.18, 0.20, 290},
    /* latin, world */ {105, 0.70, 0.72, 0.75, 0.30, 0.08, 0.10, 225},
    /* r&b, soul */ {100, 0.58, 0.62, 0.70, 0.22, 0.03, 0.18, 230},
};

struct genre {
  const char *name;
  int family;
};
static const struct genre genres[] = {
    {"Rock", 0},
    {"Indie Rock", 0},
    {"Alternative Rock", 0},
    {"Punk", 0},
    {"Post-Punk", 0},
    {"Shoegaze", 0},
    {"Garage Rock", 0},
    {"Psychedelic Rock", 0},
    {"Classic Rock", 0},
    {"Grunge", 0},
    {"Pop", 1},
    {"Synth-pop", 1},
    {"Indie Pop", 1},
    {"Dream Pop", 1},
    {"K-Pop", 1},
    {"J-Pop", 1},
    {"Dance Pop", 1},
    {"Electropop", 1},
    {"Electronic", 2},
    {"House", 2},
    {"Techno", 2},
    {"Trance", 2},
    {"Drum and Bass", 2},
    {"Dubstep", 2},
    {"Ambient", 2},
    {"IDM", 2},
    {"Trip Hop", 2},
    {"Downtempo", 2},
    {"Hip Hop", 3},
    {"Rap", 3},
    {"Trap", 3},
    {"Grime", 3},
    {"Boom Bap", 3},
    {"Jazz", 4},
    {"Bebop", 4},
    {"Smooth Jazz", 4},
    {"Blues", 4},
    {"Swing", 4},
    {"Jazz Fusion", 4},
    {"Classical", 5},
    {"Baroque", 5},
    {"Opera", 5},
    {"Contemporary Classical", 5},
    {"Soundtrack", 5},
    {"Folk", 6},
    {"Country", 6},
    {"Bluegrass", 6},
    {"Americana", 6},
    {"Singer-Songwriter", 6},
    {"Heavy Metal", 7},
    {"Black Metal", 7},
    {"Death Metal", 7},
    {"Doom Metal", 7},
    {"Metalcore", 7},
    {"Thrash Metal", 7},
    {"Reggaeton", 8},
    {"Salsa", 8},
    {"Bossa Nova", 8},
    {"Reggae", 8},
    {"Afrobeat", 8},
    {"Flamenco", 8},
    {"R&B", 9},
    {"Soul", 9},
    {"Funk", 9},
    {"Disco", 9},
    {"Gospel", 9},
};
#define NGENRES ((int)(sizeof genres / sizeof genres[0]))

static const char *const adjectives[] = {
    "Silent",  "Golden",  "Electric", "Broken", "Velvet",    "Crimson",
    "Hollow",  "Neon",    "Wild",     "Lonely", "Midnight",  "Burning",
    "Frozen",  "Distant", "Sweet",    "Dark",   "Bright",    "Restless",
    "Endless", "Paper",   "Glass",    "Savage", "Gentle",    "Lost",
    "Secret",  "Blue",    "Scarlet",  "Silver", "Wandering", "Fading",
    "Holy",    "Cosmic",  "Quiet",    "Little", "Northern",  "Southern",
    "Open",    "Hidden",  "Falling",  "Rising"};
static const char *const nouns[] = {
    "Heart",    "River",    "Machine", "Garden",  "Ocean",    "Fire",
    "Shadow",   "Dream",    "City",    "Mirror",  "Storm",    "Light",
    "Road",     "Echo",     "Wolf",    "Moon",    "Sun",      "Rain",
    "Stone",    "Wire",     "Ghost",   "Letter",  "Window",   "Kingdom",
    "Signal",   "Horizon",  "Island",  "Engine",  "Flower",   "Star",
    "Desert",   "Forest",   "Harbor",  "Tower",   "Voice",    "Season",
    "Summer",   "Winter",   "Night",   "Day",     "Angel",    "Tiger",
    "Crown",    "Diamond",  "Highway", "Thunder", "Velocity", "Memory",
    "Paradise", "Satellite"};
static const char *const verbs[] = {
    "Running",  "Dancing", "Falling",  "Waiting", "Dreaming", "Burning",
    "Drifting", "Calling", "Breaking", "Holding", "Chasing",  "Singing"};
static const char *const firsts[] = {
    "Ava",   "Liam",  "Noah",  "Emma",  "Mia",   "Lucas",  "Chloé",  "José",
    "Zoë",   "André", "Renée", "Søren", "Björn", "Amélie", "Mateo",  "Sofia",
    "Yuki",  "Hana",  "Kwame", "Amara", "Ines",  "Diego",  "Lena",   "Omar",
    "Nina",  "Leo",   "Maya",  "Felix", "Ivy",   "Oscar",  "Aurora", "Elliot",
    "Freya", "Hugo",  "Iris",  "Jonas", "Kira",  "Luca",   "Nora",   "Rafael"};
static const char *const lasts[] = {
    "Smith",   "García",    "Müller",  "Nakamura", "Okafor",  "Larsen",
    "Dubois",  "Rossi",     "Novak",   "Silva",    "Kim",     "Andersson",
    "O'Brien", "Kowalski",  "Haddad",  "Moreau",   "Fischer", "Tanaka",
    "Mensah",  "Ortiz",     "Berg",    "Costa",    "Hughes",  "Ivanova",
    "Jensen",  "Lindqvist", "Mendes",  "Park",     "Quinn",   "Reyes",
    "Santos",  "Volkov",    "Walsh",   "Young",    "Zimmer",  "Blake",
    "Cruz",    "Doyle",     "Ekström", "Fontaine"};
static const char *const labels[] = {"Northern Lights Records",
                                     "Blue Harbor",
                                     "Static Bloom",
                                     "Night Owl Music",
                                     "Redwood Recordings",
                                     "Paper Moon",
                                     "Glasshouse",
                                     "Kite & Key",
                                     "Low Tide Records",
                                     "Golden Hour",
                                     "Atlas Sound Co.",
                                     "Marble Arch",
                                     "Ferrous",
                                     "Parallel Lines",
                                     "Silver Birch",
                                     "Monochrome",
                                     "Outpost",
                                     "Lighthouse Audio",
                                     "Cinder",
                                     "Deep Field",
                                     "Hollow Tree",
                                     "Juniper",
                                     "Solstice",
                                     "Tidewater",
                                     "Velvet Rope",
                                     "Wavelength",
                                     "Yellow Room",
                                     "Zenith",
                                     "Analog Heart",
                                     "Bright Side"};
static const char *const countries[] = {
    "US", "US", "US", "US", "GB", "GB", "GB", "DE", "DE", "FR", "SE", "SE",
    "JP", "JP", "KR", "BR", "BR", "CA", "CA", "AU", "NL", "NO", "ES", "IT",
    "MX", "NG", "JM", "IS", "FI", "IE", "CO", "ZA", "AR", "PL", "BE"};
static const char *const sources[] = {"app", "app",     "app",
                                      "app", "spotify", "lastfm"};
static const char *const lyric_lines[] = {
    "we were running through the night", "and the city lights were calling",
    "hold me closer than before",        "every road leads back to you",
    "I can hear the thunder rolling",    "don't let the fire fade away",
    "all the stars are falling down",    "we could be the ones who stay",
    "whisper something in the dark",     "there's a river in my heart"};

#define N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))
#define PICK(r, a) ((a)[rbelow((r), N(a))])

/* --- the world in memory -------------------------------------------------- */

struct opts {
  unsigned long long seed;
  long users, artists, albums, tracks, listens, playlists;
  const char *demo_user;
  long long end_ms; /* listens end here (ms since the epoch) */
};

struct world {
  struct db *db;
  struct opts o;
  struct rng r;
  long long gid[NGENRES];                              /* genres.id */
  long long artist0, album0, track0, user0, playlist0; /* ids = base + i + 1 */
  /* artists */
  uint8_t *ag1, *ag2; /* genres; ag2 may be NO_GENRE */
  /* albums */
  uint32_t *alb_artist;
  uint8_t *alb_type; /* 0 album, 1 single, 2 ep, 3 compilation */
  uint16_t *alb_year;
  uint8_t *alb_month, *alb_day;
  uint32_t *alb_first; /* first track of album i; [albums] = tracks */
  /* tracks */
  uint8_t *tg;                /* primary genre */
  uint32_t *tdur;             /* ms */
  uint32_t *talb;             /* album index */
  uint32_t *tplays;           /* generated listens */
  uint32_t *gtracks[NGENRES]; /* tracks of a genre, shuffled: rank order */
  uint32_t gcount[NGENRES];
  /* users: generated ones, then the demo user when there is one */
  long nslots;
  long long demo_id;
  uint8_t (*taste)[3];
  uint8_t *ntaste;
  uint32_t *cluster[NGENRES]; /* users by first taste */
  uint32_t ccount[NGENRES];
  /* temporary files */
  char dir[256];
  long long rows; /* loaded so far */
};

static void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size);
  if (!p) {
    fputs("encore-admin: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long user_id(const struct world *w, long slot) {
  return slot == w->o.users ? w->demo_id : w->user0 + slot + 1;
}

/* --- TSV output ------------------------------------------------------------
 */

struct tsv {
  FILE *f;
  char path[300];
  long long rows;
  bool first; /* no field yet on this line */
};

static int tsv_open(struct world *w, struct tsv *t, const char *name) {
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

static void tsv_sep(struct tsv *t) {
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

static void tsv_int(struct tsv *t, long long v) {
  tsv_sep(t);
  put_int(t->f, v);
}

static void tsv_null(struct tsv *t) {
  tsv_sep(t);
  fputs("\\N", t->f);
}

static void tsv_num(struct tsv *t, double v, int prec) {
  tsv_sep(t);
  fprintf(t->f, "%.*f", prec, v);
}

/* tsv_str: text with LOAD DATA's escapes for backslash, tab and newline. */
static void tsv_str(struct tsv *t, const char *s) {
  tsv_sep(t);
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

/* tsv_time: "YYYY-MM-DD hh:mm:ss.mmm" (UTC) of ms >= 0; the date part is
 * cached, as a writer's times mostly stay within one day. */
static void tsv_time(struct tsv *t, long long ms) {
  static long long cached_day = -1;
  static char date[16];
  long long day = ms / DAY_MS, rest = ms % DAY_MS;
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
  tsv_sep(t);
  fwrite(date, 1, 11, t->f);
  fwrite(buf, 1, 12, t->f);
}

static void tsv_eol(struct tsv *t) {
  putc('\n', t->f);
  t->first = true;
  t->rows++;
}

static int tsv_close(struct tsv *t) {
  int bad = ferror(t->f) | fclose(t->f);
  t->f = NULL;
  if (bad) fprintf(stderr, "generate: cannot write %s\n", t->path);
  return bad ? -1 : 0;
}

/* load: LOAD DATA the TSV into table (columns cols) in one transaction, then
 * delete the file. checks: keep unique checks (only for users). */
static int load(struct world *w, struct tsv *t, const char *table,
                const char *cols, bool checks) {
  double t0 = now_s();
  char sql[1024], set[96];
  int n = snprintf(sql, sizeof sql,
                   "LOAD DATA LOCAL INFILE '%s' INTO TABLE %s CHARACTER SET "
                   "utf8mb4 FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' "
                   "LINES TERMINATED BY '\\n' (%s)",
                   t->path, table, cols);
  int m = snprintf(set, sizeof set,
                   "SET unique_checks = %d, foreign_key_checks = 0",
                   checks ? 1 : 0);
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
  double dt = now_s() - t0;
  w->rows += (long long)q.affected;
  printf("  load %-16s %10llu rows %7.2f s %9.0f rows/s%s\n", table, q.affected,
         dt, dt > 0 ? (double)q.affected / dt : 0.0,
         q.warnings ? " (with warnings)" : "");
  fflush(stdout);
  return 0;
}

/* --- planning: the shape of the catalogue and the tastes ------------------ */

/* related: another genre of g's family (or g itself when alone). */
static uint8_t related(struct rng *r, uint8_t g) {
  uint8_t c[NGENRES];
  int n = 0;
  for (int i = 0; i < NGENRES; i++)
    if (genres[i].family == genres[g].family && i != g) c[n++] = (uint8_t)i;
  return n ? c[rbelow(r, (uint32_t)n)] : g;
}

/* a genre, popular ones more often (rank ~ Zipf over a fixed permutation) */
static uint8_t any_genre(struct rng *r) {
  return (uint8_t)((rzipf(r, NGENRES) * 7) % NGENRES);
}

static void plan(struct world *w) {
  struct rng *r = &w->r;
  const struct opts *o = &w->o;
  w->ag1 = xcalloc((size_t)o->artists, 1);
  w->ag2 = xcalloc((size_t)o->artists, 1);
  for (long i = 0; i < o->artists; i++) {
    w->ag1[i] = any_genre(r);
    w->ag2[i] = runif(r) < 0.6 ? related(r, w->ag1[i]) : NO_GENRE;
    if (w->ag2[i] == w->ag1[i]) w->ag2[i] = NO_GENRE;
  }

  /* Albums: every artist has one, then more for a popular few. Sizes by
   * type, scaled so that they add up to the number of tracks. */
  w->alb_artist = xcalloc((size_t)o->albums, sizeof *w->alb_artist);
  w->alb_type = xcalloc((size_t)o->albums, 1);
  w->alb_year = xcalloc((size_t)o->albums, sizeof *w->alb_year);
  w->alb_month = xcalloc((size_t)o->albums, 1);
  w->alb_day = xcalloc((size_t)o->albums, 1);
  w->alb_first = xcalloc((size_t)o->albums + 1, sizeof *w->alb_first);
  double *size = xcalloc((size_t)o->albums, sizeof *size), total = 0;
  for (long i = 0; i < o->albums; i++) {
    w->alb_artist[i] =
        i < o->artists ? (uint32_t)i : rzipf(r, (uint32_t)o->artists);
    double u = runif(r);
    int type = u < 0.55 ? 0 : u < 0.80 ? 1 : u < 0.95 ? 2 : 3;
    static const int lo[] = {8, 1, 4, 14}, span[] = {9, 3, 3, 10};
    w->alb_type[i] = (uint8_t)type;
    size[i] = lo[type] + rbelow(r, (uint32_t)span[type]);
    total += size[i];
    /* decades from the 1960s, more recent ones more often */
    w->alb_year[i] = (uint16_t)(2025 - (int)(65 * pow(runif(r), 2.0)));
    w->alb_month[i] = (uint8_t)(1 + rbelow(r, 12));
    w->alb_day[i] = (uint8_t)(1 + rbelow(r, 28));
  }
  double cum = 0;
  for (long i = 0; i < o->albums; i++) {
    w->alb_first[i] = (uint32_t)((double)o->tracks * cum / total);
    cum += size[i];
  }
  w->alb_first[o->albums] = (uint32_t)o->tracks;
  free(size);

  w->tg = xcalloc((size_t)o->tracks, 1);
  w->tdur = xcalloc((size_t)o->tracks, sizeof *w->tdur);
  w->talb = xcalloc((size_t)o->tracks, sizeof *w->talb);
  w->tplays = xcalloc((size_t)o->tracks, sizeof *w->tplays);
  for (long al = 0; al < o->albums; al++) {
    uint32_t ar = w->alb_artist[al];
    for (uint32_t t = w->alb_first[al]; t < w->alb_first[al + 1]; t++) {
      w->talb[t] = (uint32_t)al;
      w->tg[t] =
          w->ag2[ar] != NO_GENRE && runif(r) < 0.3 ? w->ag2[ar] : w->ag1[ar];
      double secs =
          families[genres[w->tg[t]].family].secs * exp(0.25 * rnorm(r));
      if (secs < 45) secs = 45;
      if (secs > 1800) secs = 1800;
      w->tdur[t] = (uint32_t)(secs * 1000) + rbelow(r, 1000);
      w->gcount[w->tg[t]]++;
    }
  }
  /* Per genre, the tracks in a random order: the order of their appeal. */
  uint32_t fill[NGENRES] = {0};
  for (int g = 0; g < NGENRES; g++)
    w->gtracks[g] = xcalloc(w->gcount[g], sizeof(uint32_t));
  for (long t = 0; t < o->tracks; t++)
    w->gtracks[w->tg[t]][fill[w->tg[t]]++] = (uint32_t)t;
  for (int g = 0; g < NGENRES; g++)
    for (uint32_t i = w->gcount[g]; i > 1; i--) {
      uint32_t j = rbelow(r, i), tmp = w->gtracks[g][i - 1];
      w->gtracks[g][i - 1] = w->gtracks[g][j];
      w->gtracks[g][j] = tmp;
    }

  /* Tastes: a first genre, then 0-2 more, mostly of the same family. */
  w->nslots = o->users + (w->demo_id ? 1 : 0);
  w->taste = xcalloc((size_t)w->nslots, sizeof *w->taste);
  w->ntaste = xcalloc((size_t)w->nslots, 1);
  for (long u = 0; u < w->nslots; u++) {
    uint8_t g;
    do
      g = any_genre(r);
    while (!w->gcount[g] && o->tracks);
    w->taste[u][0] = g;
    int n = 1 + (int)rbelow(r, 3);
    for (int k = 1; k < n; k++)
      w->taste[u][k] = runif(r) < 0.7 ? related(r, g) : any_genre(r);
    w->ntaste[u] = (uint8_t)n;
    w->ccount[g]++;
  }
  uint32_t cf[NGENRES] = {0};
  for (int g = 0; g < NGENRES; g++)
    w->cluster[g] = xcalloc(w->ccount[g], sizeof(uint32_t));
  for (long u = 0; u < w->nslots; u++)
    w->cluster[w->taste[u][0]][cf[w->taste[u][0]]++] = (uint32_t)u;
}

/* pick_track: a track for user slot u: mostly of their taste, by appeal. */
static uint32_t pick_track(struct world *w, long u) {
  struct rng *r = &w->r;
  if (runif(r) >= 0.15) {
    uint8_t g = w->taste[u][rbelow(r, w->ntaste[u])];
    if (w->gcount[g]) return w->gtracks[g][rzipf(r, w->gcount[g])];
  }
  /* anywhere: still Zipf over a random genre */
  uint8_t g = (uint8_t)rbelow(r, NGENRES);
  if (w->gcount[g]) return w->gtracks[g][rzipf(r, w->gcount[g])];
  return rbelow(r, (uint32_t)w->o.tracks);
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* dedup: sort v[0..n) and drop repeats; the new n. */
static size_t dedup(uint32_t *v, size_t n) {
  if (n < 2) return n;
  qsort(v, n, sizeof *v, cmp_u32);
  size_t k = 1;
  for (size_t i = 1; i < n; i++)
    if (v[i] != v[k - 1]) v[k++] = v[i];
  return k;
}

/* --- listens and likes ------------------------------------------------------
 */

static int gen_listens(struct world *w) {
  struct rng *r = &w->r;
  const struct opts *o = &w->o;
  struct tsv tl, tk;
  if (tsv_open(w, &tl, "listens") || tsv_open(w, &tk, "likes")) return -1;
  double t0 = now_s();
  /* log-normal shares of the total, scaled to add up exactly */
  double *share = xcalloc((size_t)o->users, sizeof *share), total = 0;
  for (long u = 0; u < o->users; u++)
    total += share[u] = exp(1.1 * rnorm(r));
  long long start = o->end_ms - 365 * DAY_MS, cum_prev = 0;
  double cum = 0;
  long long maxn = 0;
  long long *count = xcalloc((size_t)w->nslots, sizeof *count);
  for (long u = 0; u < o->users; u++) {
    cum += share[u];
    long long c = (long long)((double)o->listens * cum / total);
    if (u == o->users - 1) c = o->listens;
    count[u] = c - cum_prev;
    cum_prev = c;
    if (count[u] > maxn) maxn = count[u];
  }
  free(share);
  if (w->demo_id && o->tracks) {
    long long avg = o->users ? o->listens / o->users : 0;
    count[o->users] = avg * 3 < 300 ? 300 : avg * 3 > 3000 ? 3000 : avg * 3;
    if (count[o->users] > maxn) maxn = count[o->users];
  }
  if (!o->tracks) memset(count, 0, (size_t)w->nslots * sizeof *count);
  long long *times = xcalloc((size_t)maxn, sizeof *times);
  uint32_t *picks = xcalloc((size_t)maxn, sizeof *picks);
  uint32_t *liked = xcalloc((size_t)maxn + 1, sizeof *liked);
  for (long u = 0; u < w->nslots; u++) {
    long long n = count[u], uid = user_id(w, u);
    for (long long i = 0; i < n; i++)
      times[i] = start + (long long)(runif(r) * (double)(365 * DAY_MS));
    qsort(times, (size_t)n, sizeof *times, cmp_ll);
    for (long long i = 1; i < n; i++) /* distinct times: the key is unique */
      if (times[i] <= times[i - 1]) times[i] = times[i - 1] + 1;
    for (long long i = 0; i < n; i++) {
      uint32_t t = pick_track(w, u);
      picks[i] = t;
      w->tplays[t]++;
      tsv_int(&tl, uid);
      tsv_int(&tl, w->track0 + t + 1);
      tsv_time(&tl, times[i]);
      tsv_int(&tl, runif(r) < 0.75
                       ? (long long)w->tdur[t]
                       : (long long)(w->tdur[t] * (0.1 + 0.9 * runif(r))));
      tsv_str(&tl, PICK(r, sources));
      tsv_eol(&tl);
    }
    /* likes: some of the tracks listened to, and a few of their albums */
    if (!n) continue;
    size_t k = (size_t)(2 + n / 25);
    if (k > 300) k = 300;
    for (size_t i = 0; i < k; i++)
      liked[i] = picks[rbelow(r, (uint32_t)n)];
    k = dedup(liked, k);
    for (size_t i = 0; i < k; i++) {
      tsv_int(&tk, uid);
      tsv_str(&tk, "track");
      tsv_int(&tk, w->track0 + liked[i] + 1);
      tsv_time(&tk, start + (long long)(runif(r) * (double)(365 * DAY_MS)));
      tsv_eol(&tk);
    }
    size_t ka = 1 + k / 8;
    for (size_t i = 0; i < ka; i++)
      liked[i] = w->talb[liked[rbelow(r, (uint32_t)k)]];
    ka = dedup(liked, ka);
    for (size_t i = 0; i < ka; i++) {
      tsv_int(&tk, uid);
      tsv_str(&tk, "album");
      tsv_int(&tk, w->album0 + liked[i] + 1);
      tsv_time(&tk, start + (long long)(runif(r) * (double)(365 * DAY_MS)));
      tsv_eol(&tk);
    }
  }
  free(times);
  free(picks);
  free(liked);
  free(count);
  if (tsv_close(&tl) || tsv_close(&tk)) return -1;
  printf("  write listens, likes  %10lld rows %7.2f s\n", tl.rows + tk.rows,
         now_s() - t0);
  return load(w, &tl, "listens",
              "user_id, track_id, listened_at, ms_played, source", false) ||
                 load(w, &tk, "likes",
                      "user_id, object_type, object_id, created_at", false)
             ? -1
             : 0;
}

/* --- follows and playlists ------------------------------------------------ */

static int gen_social(struct world *w) {
  struct rng *r = &w->r;
  const struct opts *o = &w->o;
  struct tsv tf, tp, tt, tl;
  if (tsv_open(w, &tf, "follows")) return -1;
  double t0 = now_s();
  long long start = o->end_ms - 365 * DAY_MS;
  uint32_t to[64];
  /* Generated users never pick the demo user here; its followers are added
   * below, so no pair is written twice. */
  for (long u = 0; o->users > 1 && u < w->nslots; u++) {
    size_t k = 3 + rbelow(r, 10), n = 0;
    uint8_t g = w->taste[u][0];
    for (size_t i = 0; i < k; i++) {
      uint32_t v = runif(r) < 0.7 && w->ccount[g] > 1
                       ? w->cluster[g][rbelow(r, w->ccount[g])]
                       : rbelow(r, (uint32_t)o->users);
      if (v != (uint32_t)u && v < (uint32_t)o->users) to[n++] = v;
    }
    n = dedup(to, n);
    for (size_t i = 0; i < n; i++) {
      tsv_int(&tf, user_id(w, u));
      tsv_int(&tf, user_id(w, (long)to[i]));
      tsv_time(&tf, start + (long long)(runif(r) * (double)(365 * DAY_MS)));
      tsv_eol(&tf);
    }
  }
  if (w->demo_id && o->users) {
    size_t n = 0;
    for (int i = 0; i < 20; i++)
      to[n++] = rbelow(r, (uint32_t)o->users);
    n = dedup(to, n);
    for (size_t i = 0; i < n; i++) {
      tsv_int(&tf, user_id(w, (long)to[i]));
      tsv_int(&tf, w->demo_id);
      tsv_time(&tf, start + (long long)(runif(r) * (double)(365 * DAY_MS)));
      tsv_eol(&tf);
    }
  }
  if (tsv_close(&tf)) return -1;

  if (tsv_open(w, &tp, "playlists") || tsv_open(w, &tt, "playlist_tracks"))
    return -1;
  long total = o->users && o->tracks ? o->playlists : 0;
  if (w->demo_id && o->tracks) total += 3;
  uint32_t *pub = xcalloc((size_t)total, sizeof *pub), npub = 0;
  for (long p = 0; p < total; p++) {
    long owner = p >= (total - (w->demo_id && o->tracks ? 3 : 0))
                     ? o->users
                     : (long)rbelow(r, (uint32_t)o->users);
    long long id = w->playlist0 + p + 1, uid = user_id(w, owner);
    long long created = start + (long long)(runif(r) * (double)(300 * DAY_MS));
    uint32_t n = 10 + rbelow(r, 41);
    uint8_t g = w->taste[owner][rbelow(r, w->ntaste[owner])];
    char name[128], desc[256];
    switch (rbelow(r, 4)) {
    case 0:
      snprintf(name, sizeof name, "%s %ss", genres[g].name, PICK(r, nouns));
      break;
    case 1:
      snprintf(name, sizeof name, "%s %s", PICK(r, adjectives), PICK(r, nouns));
      break;
    case 2:
      snprintf(name, sizeof name, "%s for a %s %s", genres[g].name,
               PICK(r, adjectives), PICK(r, nouns));
      break;
    default:
      snprintf(name, sizeof name, "%s Mix %u", genres[g].name,
               1 + rbelow(r, 20));
    }
    snprintf(desc, sizeof desc, "%s, %s and more.", genres[g].name,
             genres[related(r, g)].name);
    double u = runif(r);
    if (u < 0.6) pub[npub++] = (uint32_t)p;
    tsv_int(&tp, id);
    tsv_int(&tp, uid);
    tsv_str(&tp, name);
    tsv_str(&tp, desc);
    tsv_str(&tp, u < 0.6 ? "public" : u < 0.7 ? "unlisted" : "private");
    if (u >= 0.6 && u < 0.7) { /* from the CSPRNG: seeds are no secret */
      char key[PLAYLIST_KEY_LEN + 1];
      playlist_new_key(key);
      tsv_str(&tp, key);
    } else {
      tsv_null(&tp);
    }
    tsv_int(&tp, runif(r) < 0.05);
    tsv_int(&tp, n);
    tsv_time(&tp, created);
    tsv_time(&tp, created + (long long)n * 60000);
    tsv_eol(&tp);
    for (uint32_t i = 0; i < n; i++) {
      tsv_int(&tt, id);
      tsv_int(&tt, i);
      tsv_int(&tt, w->track0 + pick_track(w, owner) + 1);
      tsv_int(&tt, uid);
      tsv_time(&tt, created + (long long)i * 60000);
      tsv_eol(&tt);
    }
  }
  /* likes of public playlists: 0-2 a user, the first ones more often */
  if (tsv_open(w, &tl, "playlist_likes")) {
    free(pub);
    return -1;
  }
  for (long u = 0; npub && u < w->nslots; u++) {
    uint32_t k = rbelow(r, 3), n = 0;
    for (uint32_t i = 0; i < k; i++)
      to[n++] = pub[rzipf(r, npub)];
    n = (uint32_t)dedup(to, n);
    for (uint32_t i = 0; i < n; i++) {
      tsv_int(&tl, user_id(w, u));
      tsv_str(&tl, "playlist");
      tsv_int(&tl, w->playlist0 + to[i] + 1);
      tsv_time(&tl, start + (long long)(runif(r) * (double)(365 * DAY_MS)));
      tsv_eol(&tl);
    }
  }
  free(pub);
  if (tsv_close(&tp) || tsv_close(&tt) || tsv_close(&tl)) return -1;
  printf("  write social          %10lld rows %7.2f s\n",
         tf.rows + tp.rows + tt.rows + tl.rows, now_s() - t0);
  if (load(w, &tf, "follows", "follower_id, followee_id, created_at", false) ||
      load(w, &tp, "playlists",
           "id, owner_id, name, description, visibility, unlisted_key, "
           "collaborative, track_count, created_at, updated_at",
           false) ||
      load(w, &tt, "playlist_tracks",
           "playlist_id, position, track_id, added_by, added_at", false) ||
      load(w, &tl, "likes", "user_id, object_type, object_id, created_at",
           false))
    return -1;
  return 0;
}

/* --- the catalogue ----------------------------------------------------------
 */

static void title(struct rng *r, char *out, size_t n) {
  switch (rbelow(r, 5)) {
  case 0:
    snprintf(out, n, "%s %s", PICK(r, adjectives), PICK(r, nouns));
    break;
  case 1:
    snprintf(out, n, "%s %s", PICK(r, verbs), PICK(r, nouns));
    break;
  case 2:
    snprintf(out, n, "%s of the %s", PICK(r, nouns), PICK(r, nouns));
    break;
  case 3:
    snprintf(out, n, "%s", PICK(r, nouns));
    break;
  default:
    snprintf(out, n, "%s %s %s", PICK(r, adjectives), PICK(r, adjectives),
             PICK(r, nouns));
  }
}

static int gen_catalogue(struct world *w) {
  struct rng *r = &w->r;
  const struct opts *o = &w->o;
  struct tsv ta, tag, tb, tbg, tt, tta, ttg;
  double t0 = now_s();
  unsigned long long *apop = xcalloc((size_t)o->artists, sizeof *apop);
  unsigned long long *bpop = xcalloc((size_t)o->albums, sizeof *bpop);
  for (long t = 0; t < o->tracks; t++) {
    bpop[w->talb[t]] += w->tplays[t];
    apop[w->alb_artist[w->talb[t]]] += w->tplays[t];
  }
  if (tsv_open(w, &ta, "artists") || tsv_open(w, &tag, "artist_genres") ||
      tsv_open(w, &tb, "albums") || tsv_open(w, &tbg, "album_genres") ||
      tsv_open(w, &tt, "tracks") || tsv_open(w, &tta, "track_artists") ||
      tsv_open(w, &ttg, "track_genres"))
    return -1;
  char name[160], bio[400];
  for (long i = 0; i < o->artists; i++) {
    switch (rbelow(r, 4)) {
    case 0:
      snprintf(name, sizeof name, "The %s %ss", PICK(r, adjectives),
               PICK(r, nouns));
      break;
    case 1:
      snprintf(name, sizeof name, "%s %s", PICK(r, firsts), PICK(r, lasts));
      break;
    case 2:
      snprintf(name, sizeof name, "%s %s", PICK(r, nouns), PICK(r, nouns));
      break;
    default:
      snprintf(name, sizeof name, "%s %s", PICK(r, adjectives), PICK(r, nouns));
    }
    const char *country = PICK(r, countries);
    tsv_int(&ta, w->artist0 + i + 1);
    tsv_str(&ta, name);
    if (runif(r) < 0.5) {
      snprintf(bio, sizeof bio, "%s is a %s act from %s, known for %s%s%s.",
               name, genres[w->ag1[i]].name, country, genres[w->ag1[i]].name,
               w->ag2[i] != NO_GENRE ? " with touches of " : "",
               w->ag2[i] != NO_GENRE ? genres[w->ag2[i]].name : "");
      tsv_str(&ta, bio);
    } else {
      tsv_null(&ta);
    }
    tsv_str(&ta, country);
    tsv_int(&ta, (long long)apop[i]);
    tsv_eol(&ta);
    tsv_int(&tag, w->artist0 + i + 1);
    tsv_int(&tag, w->gid[w->ag1[i]]);
    tsv_int(&tag, 10);
    tsv_eol(&tag);
    if (w->ag2[i] != NO_GENRE) {
      tsv_int(&tag, w->artist0 + i + 1);
      tsv_int(&tag, w->gid[w->ag2[i]]);
      tsv_int(&tag, 3);
      tsv_eol(&tag);
    }
  }
  static const char *const types[] = {"album", "single", "ep", "compilation"};
  char date[16], isrc[16], lyrics[400];
  for (long al = 0; al < o->albums; al++) {
    uint32_t ar = w->alb_artist[al];
    long long album_id = w->album0 + al + 1;
    snprintf(date, sizeof date, "%04d-%02d-%02d", w->alb_year[al] % 10000,
             w->alb_month[al] % 100, w->alb_day[al] % 100);
    uint32_t first = w->alb_first[al], end = w->alb_first[al + 1];
    if (w->alb_type[al] == 1 && first < end)
      snprintf(name, sizeof name, "%s", "");
    else
      title(r, name, sizeof name);
    const char *label = PICK(r, labels);
    for (uint32_t t = first; t < end; t++) {
      char tname[160];
      title(r, tname, sizeof tname);
      if (t == first && !name[0]) snprintf(name, sizeof name, "%s", tname);
      const struct family *f = &families[genres[w->tg[t]].family];
      long long tid = w->track0 + t + 1;
      tsv_int(&tt, tid);
      tsv_str(&tt, tname);
      tsv_int(&tt, album_id);
      tsv_int(&tt, 1 + (t - first) / 20);
      tsv_int(&tt, 1 + (t - first) % 20);
      tsv_int(&tt, w->tdur[t]);
      tsv_str(&tt, date);
      tsv_int(&tt, runif(r) < f->explicit_p);
      snprintf(isrc, sizeof isrc, "ZZ%c%c%c%02d%05u",
               "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(t / 100000) / 1296 % 36],
               "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(t / 100000) / 36 % 36],
               "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(t / 100000) % 36],
               w -> alb_year[al] % 100, t % 100000);
      tsv_str(&tt, isrc);
      double instr = clamp01(f->instrumental + 0.2 * rnorm(r));
      if (instr < 0.5 && runif(r) < 0.1) {
        size_t len = 0;
        for (int line = 0; line < 6; line++)
          len += (size_t)snprintf(lyrics + len, sizeof lyrics - len, "%s%s",
                                  line ? "\n" : "", PICK(r, lyric_lines));
        tsv_str(&tt, lyrics);
      } else {
        tsv_null(&tt);
      }
      if (runif(r) < 0.05) { /* audio features unknown */
        for (int k = 0; k < 6; k++)
          tsv_null(&tt);
      } else {
        double tempo = f->tempo + 12 * rnorm(r);
        tsv_num(&tt, tempo < 50 ? 50 : tempo, 1);
        tsv_num(&tt, clamp01(f->energy + 0.12 * rnorm(r)), 3);
        tsv_num(&tt, clamp01(f->valence + 0.18 * rnorm(r)), 3);
        tsv_num(&tt, clamp01(f->dance + 0.12 * rnorm(r)), 3);
        tsv_num(&tt, clamp01(f->acoustic + 0.15 * rnorm(r)), 3);
        tsv_num(&tt, instr, 3);
      }
      tsv_int(&tt, w->tplays[t]);
      tsv_eol(&tt);

      tsv_int(&tta, tid);
      tsv_int(&tta, w->artist0 + ar + 1);
      tsv_str(&tta, "primary");
      tsv_int(&tta, 0);
      tsv_eol(&tta);
      if (o->artists > 1 && runif(r) < 0.08) {
        uint32_t feat = rbelow(r, (uint32_t)o->artists);
        if (feat != ar) {
          tsv_int(&tta, tid);
          tsv_int(&tta, w->artist0 + feat + 1);
          tsv_str(&tta, "featured");
          tsv_int(&tta, 1);
          tsv_eol(&tta);
        }
      }
      /* 1-3 genres: its own, maybe the artist's other, maybe a relative */
      uint32_t g[3];
      size_t ng = 0;
      g[ng++] = w->tg[t];
      if (runif(r) < 0.4)
        g[ng++] = w->ag2[ar] != NO_GENRE ? w->ag2[ar] : w->ag1[ar];
      if (runif(r) < 0.2) g[ng++] = related(r, w->tg[t]);
      ng = dedup(g, ng);
      for (size_t k = 0; k < ng; k++) {
        tsv_int(&ttg, tid);
        tsv_int(&ttg, w->gid[g[k]]);
        tsv_eol(&ttg);
      }
    }
    if (!name[0]) title(r, name, sizeof name);
    tsv_int(&tb, album_id);
    tsv_str(&tb, name);
    tsv_int(&tb, w->artist0 + ar + 1);
    tsv_str(&tb, types[w->alb_type[al]]);
    tsv_str(&tb, label);
    tsv_str(&tb, date);
    tsv_int(&tb, (long long)bpop[al]);
    tsv_eol(&tb);
    tsv_int(&tbg, album_id);
    tsv_int(&tbg, w->gid[w->ag1[ar]]);
    tsv_eol(&tbg);
  }
  free(apop);
  free(bpop);
  if (tsv_close(&ta) || tsv_close(&tag) || tsv_close(&tb) || tsv_close(&tbg) ||
      tsv_close(&tt) || tsv_close(&tta) || tsv_close(&ttg))
    return -1;
  printf("  write catalogue       %10lld rows %7.2f s\n",
         ta.rows + tag.rows + tb.rows + tbg.rows + tt.rows + tta.rows +
             ttg.rows,
         now_s() - t0);
  if (load(w, &ta, "artists", "id, name, bio, country, popularity", false) ||
      load(w, &tag, "artist_genres", "artist_id, genre_id, weight", false) ||
      load(w, &tb, "albums",
           "id, title, artist_id, type, label, release_date, popularity",
           false) ||
      load(w, &tbg, "album_genres", "album_id, genre_id", false) ||
      load(w, &tt, "tracks",
           "id, title, album_id, disc_number, track_number, duration_ms, "
           "release_date, explicit, isrc, lyrics, tempo, energy, valence, "
           "danceability, acousticness, instrumentalness, popularity",
           false) ||
      load(w, &tta, "track_artists", "track_id, artist_id, role, position",
           false) ||
      load(w, &ttg, "track_genres", "track_id, genre_id", false))
    return -1;
  return 0;
}

/* --- users ------------------------------------------------------------------
 */

static const char *const handles[] = {
    "ava",  "liam",  "noah",  "emma",  "mia",   "lucas",  "chloe",  "jose",
    "zoe",  "andre", "renee", "soren", "bjorn", "amelie", "mateo",  "sofia",
    "yuki", "hana",  "kwame", "amara", "ines",  "diego",  "lena",   "omar",
    "nina", "leo",   "maya",  "felix", "ivy",   "oscar",  "aurora", "elliot"};

static int gen_users(struct world *w, const char *hash) {
  struct rng *r = &w->r;
  const struct opts *o = &w->o;
  struct tsv tu, tp;
  if (tsv_open(w, &tu, "users") || tsv_open(w, &tp, "user_preferences"))
    return -1;
  double t0 = now_s();
  long long start = o->end_ms - 730 * DAY_MS;
  for (long u = 0; u < o->users; u++) {
    char uname[40], email[80], display[96], prefs[256];
    snprintf(uname, sizeof uname, "%s_%ld", PICK(r, handles), u + 1);
    snprintf(email, sizeof email, "%s@generated.invalid", uname);
    snprintf(display, sizeof display, "%s %s", PICK(r, firsts), PICK(r, lasts));
    tsv_int(&tu, w->user0 + u + 1);
    tsv_str(&tu, uname);
    tsv_str(&tu, email);
    tsv_str(&tu, hash);
    tsv_str(&tu, display);
    tsv_time(&tu, start + (long long)(runif(r) * (double)(365 * DAY_MS)));
    tsv_eol(&tu);
    size_t n = (size_t)snprintf(prefs, sizeof prefs, "[");
    for (int k = 0; k < w->ntaste[u]; k++)
      n += (size_t)snprintf(prefs + n, sizeof prefs - n, "%s\"%s\"",
                            k ? "," : "", genres[w->taste[u][k]].name);
    snprintf(prefs + n, sizeof prefs - n, "]");
    tsv_int(&tp, w->user0 + u + 1);
    tsv_str(&tp, prefs);
    tsv_eol(&tp);
  }
  if (tsv_close(&tu) || tsv_close(&tp)) return -1;
  printf("  write users           %10lld rows %7.2f s\n", tu.rows + tp.rows,
         now_s() - t0);
  /* users keep their unique checks: a taken name fails the load */
  if (load(w, &tu, "users",
           "id, username, email, password_hash, display_name, created_at",
           true) ||
      load(w, &tp, "user_preferences", "user_id, favourite_genres", false))
    return -1;
  return 0;
}

/* --- the command ------------------------------------------------------------
 */

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

static long long max_id(struct world *w, struct arena *a, const char *sql) {
  struct db_res res;
  if (db_exec(w->db, a, sql, NULL, 0, 0, &res) || res.nrows != 1) return -1;
  return db_i64(&res.rows[0], 0, -1);
}

static int usage(const char *why) {
  fprintf(stderr,
          "encore-admin: generate: %s\n"
          "usage: generate [--seed N] [--small] [--users N] [--artists N] "
          "[--albums N] [--tracks N] [--listens N] [--playlists N] "
          "[--demo-user USERNAME] [--end-date YYYY-MM-DD]\n",
          why);
  return 2;
}

static void free_world(struct world *w) {
  free(w->ag1);
  free(w->ag2);
  free(w->alb_artist);
  free(w->alb_type);
  free(w->alb_year);
  free(w->alb_month);
  free(w->alb_day);
  free(w->alb_first);
  free(w->tg);
  free(w->tdur);
  free(w->talb);
  free(w->tplays);
  for (int g = 0; g < NGENRES; g++) {
    free(w->gtracks[g]);
    free(w->cluster[g]);
  }
  free(w->taste);
  free(w->ntaste);
  /* after a failure, files not loaded yet are still there */
  DIR *dir = w->dir[0] ? opendir(w->dir) : NULL;
  if (dir) {
    struct dirent *e;
    while ((e = readdir(dir)))
      if (e->d_name[0] != '.') unlinkat(dirfd(dir), e->d_name, 0);
    closedir(dir);
  }
  if (w->dir[0]) rmdir(w->dir);
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

int admin_generate(struct db *d, struct kv *kv, struct arena *a, int argc,
                   char **argv) {
  struct world w = {.db = d};
  struct opts *o = &w.o;
  /* the full world, or with --small the demo's */
  long long v[6] = {100000, 50000, 200000, 1000000, 10000000, 25000};
  static const long long small[6] = {200, 500, 1000, 10000, 100000, 100};
  static const char *const names[6] = {"--users",  "--artists", "--albums",
                                       "--tracks", "--listens", "--playlists"};
  static const long long maxv[6] = {10000000,  10000000,   50000000,
                                    100000000, 2000000000, 10000000};
  bool set[6] = {false};
  long long seed = 1;
  o->end_ms = (long long)(time(NULL) / 86400) * DAY_MS;
  for (int i = 0; i < argc; i++) {
    const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
    int k = 0;
    while (k < 6 && strcmp(arg, names[k]) != 0)
      k++;
    if (k < 6) {
      if (!parse_count(val, maxv[k], &v[k])) return usage("bad count");
      set[k] = true;
      i++;
    } else if (!strcmp(arg, "--small")) {
      for (k = 0; k < 6; k++)
        if (!set[k]) v[k] = small[k];
    } else if (!strcmp(arg, "--seed")) {
      if (!parse_count(val, INT64_MAX, &seed)) return usage("bad seed");
      i++;
    } else if (!strcmp(arg, "--demo-user")) {
      if (!val || !*val) return usage("--demo-user needs a username");
      o->demo_user = val;
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
      for (int k = 0; k < 6; k++)
        if (!set[k]) v[k] = small[k];
  o->users = (long)v[0];
  o->artists = (long)v[1];
  o->albums = (long)v[2];
  o->tracks = (long)v[3];
  o->listens = v[4];
  o->playlists = (long)v[5];
  o->seed = (unsigned long long)seed;
  if ((o->tracks && !o->albums) || (o->albums && !o->artists))
    return usage("tracks need albums, albums need artists");
  if (o->listens && (!o->tracks || !o->users))
    return usage("listens need users and tracks");
  w.r.s = o->seed;

  double t0 = now_s();
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
  if (o->demo_user) {
    if (db_exec(d, a, "SELECT id FROM users WHERE username = ?",
                (struct db_val[]){DB_S(o->demo_user)}, 1, 0, &res)) {
      fprintf(stderr, "generate: database error\n");
      return 1;
    }
    if (!res.nrows) {
      fprintf(stderr, "generate: no user %s\n", o->demo_user);
      return 1;
    }
    w.demo_id = db_i64(&res.rows[0], 0, 0);
  }
  if ((w.artist0 = max_id(&w, a, "SELECT COALESCE(MAX(id), 0) FROM artists")) <
          0 ||
      (w.album0 = max_id(&w, a, "SELECT COALESCE(MAX(id), 0) FROM albums")) <
          0 ||
      (w.track0 = max_id(&w, a, "SELECT COALESCE(MAX(id), 0) FROM tracks")) <
          0 ||
      (w.user0 = max_id(&w, a, "SELECT COALESCE(MAX(id), 0) FROM users")) < 0 ||
      (w.playlist0 =
           max_id(&w, a, "SELECT COALESCE(MAX(id), 0) FROM playlists")) < 0) {
    fprintf(stderr, "generate: database error\n");
    return 1;
  }
  for (int g = 0; g < NGENRES; g++) {
    if (db_exec(d, a, "INSERT IGNORE INTO genres (name) VALUES (?)",
                (struct db_val[]){DB_S(genres[g].name)}, 1, 0, NULL) ||
        db_exec(d, a, "SELECT id FROM genres WHERE name = ?",
                (struct db_val[]){DB_S(genres[g].name)}, 1, 0, &res) ||
        res.nrows != 1) {
      fprintf(stderr, "generate: cannot create the genres\n");
      return 1;
    }
    w.gid[g] = db_i64(&res.rows[0], 0, 0);
  }
  /* LOAD DATA LOCAL needs the connection's permission, set at connect. */
  if (db_local_infile(d)) {
    fprintf(stderr, "generate: cannot reconnect with local infile\n");
    return 1;
  }

  /* One hash of random bytes nobody keeps: no one can log in as a generated
   * user, and it costs one argon2 run for all of them. */
  unsigned char secret[32];
  char secret64[48], hash[PW_HASH_MAX];
  rnd_bytes(secret, sizeof secret);
  b64url_encode(secret, sizeof secret, secret64);
  if (pw_hash(secret64, hash)) return 1;

  const char *tmp = getenv("TMPDIR");
  if (!tmp || !*tmp || strpbrk(tmp, "'\\") || strlen(tmp) > 200) tmp = "/tmp";
  snprintf(w.dir, sizeof w.dir, "%s/encore-generate.XXXXXX", tmp);
  if (!mkdtemp(w.dir)) {
    fprintf(stderr, "generate: cannot create a directory in %s: %s\n", tmp,
            strerror(errno));
    w.dir[0] = '\0';
    return 1;
  }
  printf("generate: seed %llu, %ld users, %ld artists, %ld albums, %ld "
         "tracks, %ld listens, %ld playlists%s%s\n",
         o->seed, o->users, o->artists, o->albums, o->tracks, o->listens,
         o->playlists, o->demo_user ? ", demo user " : "",
         o->demo_user ? o->demo_user : "");
  fflush(stdout);
  double tp = now_s();
  plan(&w);
  printf("  plan                  %10s      %7.2f s\n", "", now_s() - tp);
  int rc = 1;
  if (gen_users(&w, hash) || gen_listens(&w) || gen_social(&w) ||
      gen_catalogue(&w))
    goto out;
  static const char restore[] = "SET unique_checks = 1, foreign_key_checks = 1";
  db_query(d, restore, sizeof restore - 1, NULL);
  double ts = now_s();
  if (search_rebuild(d)) {
    fprintf(stderr, "generate: the search index could not be rebuilt\n");
    goto out;
  }
  printf("  search rebuild        %10s      %7.2f s\n", "", now_s() - ts);
  if (kv) kv_ns_bump(kv, "genres");
  double dt = now_s() - t0;
  printf("generate: %lld rows in %.1f s (%.0f rows/s)\n", w.rows, dt,
         dt > 0 ? (double)w.rows / dt : 0.0);
  rc = 0;
out:
  if (rc)
    fprintf(stderr, "generate: failed; tables loaded before the failure keep "
                    "their rows\n");
  free_world(&w);
  return rc;
}
