/* store.c: the model versions of `encore-recs train` (batch.h,
 * sql/migrations/0008_recs.sql): a version is inserted 'building', every
 * list is written under it as a recfmt blob (src/model/recfmt.h), and one
 * transaction marks it 'ready' and points rec_serving at it, so readers
 * see either the old version or the whole new one.
 *
 * Writes are prepared multi-row INSERTs with binary blob parameters (no
 * escaping, no SQL text the size of the data), committed every few MB so
 * the server neither fsyncs per row nor holds one enormous transaction.
 * Versions are deleted in small chunks for the same reason. */
#include "batch/recs/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "model/recfmt.h"

#define ROWS 32             /* rows per multi-row INSERT (see ROW32) */
#define TX_BYTES (8u << 20) /* blob bytes per transaction */
#define DEL_ROWS 1000       /* rows per DELETE of an old version */
#define COPY_USERS 2000     /* users per INSERT ... SELECT of a light run */

/* Every table's row as (version, item_type, id, items). */
#define ROW "(?, ?, ?, ?)"
#define ROW2 ROW ", " ROW
#define ROW4 ROW2 ", " ROW2
#define ROW8 ROW4 ", " ROW4
#define ROW16 ROW8 ", " ROW8
#define ROW32 ROW16 ", " ROW16

/* The INSERT statements of one table: ROWS rows, and one. */
struct table {
  const char *name, *many, *one;
};

static const struct table t_lists = {
    "rec_user_lists",
    "INSERT INTO rec_user_lists (version, item_type, user_id, items) "
    "VALUES " ROW32,
    "INSERT INTO rec_user_lists (version, item_type, user_id, items) "
    "VALUES " ROW};
static const struct table t_neigh = {
    "rec_neighbours",
    "INSERT INTO rec_neighbours (version, item_type, item_id, items) "
    "VALUES " ROW32,
    "INSERT INTO rec_neighbours (version, item_type, item_id, items) "
    "VALUES " ROW};
static const struct table t_pop = {
    "rec_popular",
    "INSERT INTO rec_popular (version, item_type, genre_id, items) "
    "VALUES " ROW32,
    "INSERT INTO rec_popular (version, item_type, genre_id, items) "
    "VALUES " ROW};

static const char *type_name(enum batch_level level) {
  return level == BATCH_TRACK ? "track" : "artist";
}

/* --- batched inserts ------------------------------------------------------ */

/* Rows waiting for their INSERT, and the transaction they go in. */
struct ins {
  struct db *d;
  const struct table *t;
  int n;
  struct db_val p[ROWS * 4];
  unsigned char *buf[ROWS];
  size_t cap[ROWS];
  size_t tx_bytes; /* written in the open transaction */
  int in_tx;
  struct recfmt_entry *e; /* entries of the row being encoded */
  size_t ecap;
};

static int ins_flush(struct ins *s) {
  int rc = 0;
  if (s->n == ROWS) {
    rc = db_exec(s->d, NULL, s->t->many, s->p, ROWS * 4, 0, NULL);
  } else {
    for (int k = 0; k < s->n && !rc; k++)
      rc = db_exec(s->d, NULL, s->t->one, s->p + 4 * k, 4, 0, NULL);
  }
  s->n = 0;
  if (!rc && s->tx_bytes >= TX_BYTES) {
    rc = db_commit(s->d);
    s->in_tx = 0;
    s->tx_bytes = 0;
  }
  if (rc) fprintf(stderr, "encore-recs: writing %s failed\n", s->t->name);
  return rc ? -1 : 0;
}

/* ins_entries: room for n entries of the next row. */
static struct recfmt_entry *ins_entries(struct ins *s, size_t n) {
  if (n > s->ecap) {
    struct recfmt_entry *ne = realloc(s->e, n * sizeof *ne);
    if (!ne) return NULL;
    s->e = ne;
    s->ecap = n;
  }
  return s->e;
}

/* ins_room: the buffer of the next row, len bytes; NULL when out of
 * memory (said). */
static unsigned char *ins_room(struct ins *s, size_t len) {
  int k = s->n;
  if (len > s->cap[k]) {
    unsigned char *nb = realloc(s->buf[k], len);
    if (!nb) {
      fprintf(stderr, "encore-recs: writing: out of memory\n");
      return NULL;
    }
    s->buf[k] = nb;
    s->cap[k] = len;
  }
  return s->buf[k];
}

/* ins_queue: queue the row (version, type, id, the len bytes put in
 * ins_room's buffer), inside a transaction. */
static int ins_queue(struct ins *s, unsigned version, const char *type,
                     int64_t id, size_t len) {
  if (!s->in_tx) {
    if (db_begin(s->d)) {
      fprintf(stderr, "encore-recs: cannot start a transaction\n");
      return -1;
    }
    s->in_tx = 1;
  }
  struct db_val *p = s->p + 4 * s->n;
  p[0] = DB_I(version);
  p[1] = DB_S(type);
  p[2] = DB_I(id);
  p[3] = DB_B(s->buf[s->n], len);
  s->tx_bytes += len;
  return ++s->n == ROWS ? ins_flush(s) : 0;
}

/* ins_add: queue the row (version, type, id, the n entries of s->e). */
static int ins_add(struct ins *s, unsigned version, const char *type,
                   int64_t id, enum recfmt_kind kind, size_t n) {
  if (n > RECFMT_MAX) {
    fprintf(stderr, "encore-recs: a list of %zu entries (at most %d)\n", n,
            RECFMT_MAX);
    return -1;
  }
  unsigned char *buf = ins_room(s, recfmt_size(n));
  if (!buf) return -1;
  recfmt_write(buf, kind, s->e, n);
  return ins_queue(s, version, type, id, recfmt_size(n));
}

/* ins_end: write what is queued and commit (rc == 0), or roll back.
 * Returns rc, or -1 when the final write fails. */
static int ins_end(struct ins *s, int rc) {
  if (!rc && s->n) rc = ins_flush(s);
  if (s->in_tx) {
    if (rc)
      db_rollback(s->d);
    else if (db_commit(s->d))
      rc = -1;
  }
  for (int k = 0; k < ROWS; k++)
    free(s->buf[k]);
  free(s->e);
  memset(s, 0, sizeof *s);
  return rc;
}

/* --- one level ------------------------------------------------------------ */

/* A table's rows from the training output: the number of entries of row
 * r and, when e is given, the entries (items as dense indices, checked and
 * mapped by store_table) and the row's id. */
typedef size_t (*row_fn)(const struct batch_input *in,
                         const struct batch_output *out, int r,
                         struct recfmt_entry *e, int64_t *id);

static size_t list_row(const struct batch_input *in,
                       const struct batch_output *out, int u,
                       struct recfmt_entry *e, int64_t *id) {
  int64_t b = out->list_ptr[u], n = out->list_ptr[u + 1] - b;
  if (n <= 0) return 0;
  for (int64_t k = 0; e && k < n; k++) {
    const struct batch_entry *o = &out->list[b + k];
    e[k] = (struct recfmt_entry){.item = (uint64_t)(int64_t)o->item,
                                 .reason_id = (uint64_t)o->reason_id,
                                 .score = o->score,
                                 .reason = o->reason};
  }
  if (id) *id = in->d.user_id[u];
  return (size_t)n;
}

static size_t neighbour_row(const struct batch_input *in,
                            const struct batch_output *out, int i,
                            struct recfmt_entry *e, int64_t *id) {
  int64_t b = out->nb_ptr[i], n = out->nb_ptr[i + 1] - b;
  if (n <= 0) return 0;
  for (int64_t k = 0; e && k < n; k++)
    e[k] = (struct recfmt_entry){.item = (uint64_t)(int64_t)out->nb_item[b + k],
                                 .score = out->nb_score[b + k]};
  if (id) *id = in->d.item_id[i];
  return (size_t)n;
}

/* popular_row: list g is overall (genre 0) or genre column g - 1. */
static size_t popular_row(const struct batch_input *in,
                          const struct batch_output *out, int g,
                          struct recfmt_entry *e, int64_t *id) {
  int n = out->pop_n[g];
  int64_t genre = g ? in->genre_ext[g - 1] : 0;
  if (n <= 0) return 0;
  for (int k = 0; e && k < n; k++)
    e[k] = (struct recfmt_entry){.item = (uint64_t)(int64_t)out->pop[g][k],
                                 .reason_id = (uint64_t)genre,
                                 .score = out->pop_score[g][k],
                                 .reason = RECFMT_R_POPULAR};
  if (id) *id = genre;
  return (size_t)n;
}

/* store_table: every non-empty row of one table. An item outside the
 * catalogue (a training bug) fails the run: nothing of it is served. */
static int store_table(struct db *d, unsigned version,
                       const struct batch_input *in,
                       const struct batch_output *out, const struct table *t,
                       enum recfmt_kind kind, int nrows, row_fn row) {
  struct ins s = {.d = d, .t = t};
  const char *type = type_name(in->level);
  int rc = 0;
  for (int r = 0; r < nrows && !rc; r++) {
    size_t n = row(in, out, r, NULL, NULL);
    if (!n) continue;
    struct recfmt_entry *en = ins_entries(&s, n);
    int64_t id = 0;
    if (!en) {
      fprintf(stderr, "encore-recs: writing: out of memory\n");
      rc = -1;
      break;
    }
    row(in, out, r, en, &id);
    for (size_t k = 0; k < n && !rc; k++) {
      if (en[k].item >= (uint64_t)in->d.n_items) {
        fprintf(stderr, "encore-recs: training returned item %lld of %d\n",
                (long long)(int64_t)en[k].item, in->d.n_items);
        rc = -1;
      } else {
        en[k].item = (uint64_t)in->d.item_id[en[k].item];
      }
    }
    if (!rc) rc = ins_add(&s, version, type, id, kind, n);
  }
  return ins_end(&s, rc);
}

/* find_user: the dense index of external user id among in's users
 * [lo, hi) (sorted: read in id order), or -1. */
static int find_user(const struct batch_input *in, int lo, int hi, int64_t id) {
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (in->d.user_id[mid] == id) return mid;
    if (in->d.user_id[mid] < id)
      lo = mid + 1;
    else
      hi = mid;
  }
  return -1;
}

/* copy_lists: a light run's users without a new list keep their list of
 * the version it refreshes, copied as is (users who no longer exist are
 * dropped). The copy passes through here, a chunk of users at a time,
 * rather than as INSERT ... SELECT: a table copied into itself goes
 * through an on-disk temporary table per statement (blobs), slower and one
 * more thing to fail. */
static int copy_lists(struct db *d, unsigned version,
                      const struct batch_input *in,
                      const struct batch_output *out, unsigned prev) {
  struct ins s = {.d = d, .t = &t_lists};
  struct arena *a = arena_new(0);
  const char *type = type_name(in->level);
  int rc = a ? 0 : -1;
  for (int b = 0; b < in->d.n_users && !rc; b += COPY_USERS) {
    int e = b + COPY_USERS < in->d.n_users ? b + COPY_USERS : in->d.n_users;
    struct db_val p[] = {DB_I(prev), DB_S(type), DB_I(in->d.user_id[b]),
                         DB_I(in->d.user_id[e - 1])};
    struct db_res res;
    arena_reset(a);
    if (db_exec(d, a,
                "SELECT user_id, items FROM rec_user_lists WHERE version = ? "
                "AND item_type = ? AND user_id BETWEEN ? AND ?",
                p, 4, DB_IDEMPOTENT, &res)) {
      rc = -1;
      break;
    }
    for (int r = 0; r < res.nrows && !rc; r++) {
      int64_t id = db_i64(&res.rows[r], 0, -1);
      int u = find_user(in, b, e, id);
      size_t len = res.rows[r].len[1];
      unsigned char *buf;
      if (u < 0 || out->list_ptr[u + 1] > out->list_ptr[u]) continue;
      if (!(buf = ins_room(&s, len))) {
        rc = -1;
        break;
      }
      memcpy(buf, res.rows[r].v[1], len);
      rc = ins_queue(&s, version, type, id, len);
    }
  }
  rc = ins_end(&s, rc);
  arena_free(a);
  if (rc)
    fprintf(stderr,
            "encore-recs: copying the unchanged users' lists of version %u "
            "failed\n",
            prev);
  return rc;
}

int store_level(struct db *d, unsigned version, const struct batch_input *in,
                const struct batch_output *out, unsigned prev_version) {
  if (out->level != in->level || out->n_users != in->d.n_users ||
      out->n_items != in->d.n_items) {
    fprintf(stderr,
            "encore-recs: training output (%d users x %d items) does not "
            "match its input (%d x %d)\n",
            out->n_users, out->n_items, in->d.n_users, in->d.n_items);
    return -1;
  }
  if (out->n_pop > in->n_genres + 1) {
    fprintf(stderr, "encore-recs: %d popularity lists for %d genres\n",
            out->n_pop, in->n_genres);
    return -1;
  }
  if (store_table(d, version, in, out, &t_lists, RECFMT_LIST, out->n_users,
                  list_row) ||
      (in->changed && prev_version &&
       copy_lists(d, version, in, out, prev_version)) ||
      store_table(d, version, in, out, &t_neigh, RECFMT_NEIGH, out->n_items,
                  neighbour_row) ||
      store_table(d, version, in, out, &t_pop, RECFMT_POP, out->n_pop,
                  popular_row))
    return -1;
  struct db_val p[] = {DB_I(in->d.n_users), DB_I(in->d.n_items), DB_I(version)};
  int rc = in->level == BATCH_TRACK
               ? db_exec(d, NULL,
                         "UPDATE rec_versions SET n_users = "
                         "GREATEST(n_users, ?), n_tracks = ? WHERE id = ?",
                         p, 3, 0, NULL)
               : db_exec(d, NULL,
                         "UPDATE rec_versions SET n_users = "
                         "GREATEST(n_users, ?), n_artists = ? WHERE id = ?",
                         p, 3, 0, NULL);
  if (rc) fprintf(stderr, "encore-recs: recording the counts failed\n");
  return rc ? -1 : 0;
}

/* --- versions ------------------------------------------------------------- */

/* delete_rows: every row of version in the list tables, in chunks. */
static int delete_rows(struct db *d, unsigned version) {
  static const char *const del[] = {
      "DELETE FROM rec_user_lists WHERE version = ? LIMIT 1000",
      "DELETE FROM rec_neighbours WHERE version = ? LIMIT 1000",
      "DELETE FROM rec_popular WHERE version = ? LIMIT 1000",
  };
  struct db_val p[] = {DB_I(version)};
  for (size_t t = 0; t < sizeof del / sizeof del[0]; t++) {
    struct db_res res;
    do {
      if (db_exec(d, NULL, del[t], p, 1, DB_IDEMPOTENT, &res)) return -1;
    } while (res.affected >= DEL_ROWS);
  }
  return 0;
}

int store_version_begin(struct db *d, enum batch_kind kind,
                        long long data_until_ms, unsigned *version) {
  struct db_val p[] = {DB_S(kind == BATCH_LIGHT ? "light" : "full"),
                       DB_I(data_until_ms)};
  struct db_res res;
  if (db_exec(d, NULL,
              "INSERT INTO rec_versions (kind, data_until) "
              "VALUES (?, FROM_UNIXTIME(? / 1000))",
              p, 2, 0, &res) ||
      !res.insert_id) {
    fprintf(stderr, "encore-recs: cannot create a model version (is the "
                    "schema migrated to 0008?)\n");
    return -1;
  }
  *version = (unsigned)res.insert_id;
  return 0;
}

/* serving: the serving and previous versions (0 when none), read inside
 * the caller's transaction with a lock on the row. */
static int serving(struct db *d, struct arena *a, unsigned *cur,
                   unsigned *prev) {
  struct db_res res;
  *cur = *prev = 0;
  if (db_exec(d, a,
              "SELECT version, previous FROM rec_serving WHERE slot = 1 "
              "FOR UPDATE",
              NULL, 0, 0, &res))
    return -1;
  if (res.nrows == 1) {
    *cur = (unsigned)db_i64(&res.rows[0], 0, 0);
    *prev = (unsigned)db_i64(&res.rows[0], 1, 0);
  }
  return 0;
}

/* prune: delete the versions older than the serving one except previous
 * (and anything a crashed run left behind under them). A failure only
 * delays the cleanup to the next run. */
static void prune(struct db *d, struct arena *a, unsigned cur, unsigned prev) {
  struct db_val p[] = {DB_I(cur), DB_I(prev)};
  struct db_res res;
  if (db_exec(d, a, "SELECT id FROM rec_versions WHERE id < ? AND id <> ?", p,
              2, DB_IDEMPOTENT, &res)) {
    fprintf(stderr, "encore-recs: warning: old versions not deleted\n");
    return;
  }
  for (int r = 0; r < res.nrows; r++) {
    struct db_val q[] = {DB_I(db_i64(&res.rows[r], 0, 0))};
    if (delete_rows(d, (unsigned)q[0].i) ||
        db_exec(d, NULL, "DELETE FROM rec_versions WHERE id = ?", q, 1,
                DB_IDEMPOTENT, NULL)) {
      fprintf(stderr, "encore-recs: warning: version %lld not deleted\n",
              q[0].i);
      return;
    }
  }
}

int store_version_finish(struct db *d, unsigned version, const char *stats) {
  struct arena *a = arena_new(0);
  unsigned cur = 0, prev = 0;
  int rc = -1;
  if (!a || db_begin(d)) goto out;
  struct db_res res;
  struct db_val p[] = {DB_S(stats), DB_I(version)};
  if (serving(d, a, &cur, &prev) ||
      db_exec(d, NULL,
              "UPDATE rec_versions SET state = 'ready', finished_at = NOW(3), "
              "stats = ? WHERE id = ? AND state = 'building'",
              p, 2, 0, &res)) {
    db_rollback(d);
    goto out;
  }
  if (res.affected != 1) {
    db_rollback(d);
    fprintf(stderr, "encore-recs: version %u is no longer building\n", version);
    goto out;
  }
  struct db_val s[] = {DB_I(version), cur ? DB_I(cur) : DB_NUL};
  if (db_exec(d, NULL,
              "INSERT INTO rec_serving (slot, version, previous, switched_at) "
              "VALUES (1, ?, ?, NOW(3)) ON DUPLICATE KEY UPDATE "
              "version = VALUES(version), previous = VALUES(previous), "
              "switched_at = VALUES(switched_at)",
              s, 2, 0, NULL)) {
    db_rollback(d);
    goto out;
  }
  if (db_commit(d)) goto out;
  rc = 0;
  prune(d, a, version, cur);
out:
  if (rc)
    fprintf(stderr, "encore-recs: switching to version %u failed\n", version);
  arena_free(a);
  return rc;
}

void store_version_fail(struct db *d, unsigned version, const char *why) {
  struct db_val p[] = {DB_S(why), DB_I(version)};
  if (db_exec(d, NULL,
              "UPDATE rec_versions SET state = 'failed', finished_at = NOW(3), "
              "stats = JSON_OBJECT('error', ?) WHERE id = ? AND "
              "state = 'building'",
              p, 2, 0, NULL) ||
      delete_rows(d, version))
    fprintf(stderr,
            "encore-recs: version %u could not be marked failed or "
            "cleaned up (the next run deletes it)\n",
            version);
}

int store_rollback(struct db *d) {
  struct arena *a = arena_new(0);
  unsigned cur = 0, prev = 0;
  int rc = -1;
  if (!a || db_begin(d)) {
    fprintf(stderr, "encore-recs: cannot reach the database\n");
    goto out;
  }
  struct db_res res;
  struct db_val q[] = {DB_I(prev)};
  if (serving(d, a, &cur, &prev)) goto fail;
  if (!prev) {
    fprintf(stderr, "encore-recs: no previous version to roll back to\n");
    db_rollback(d);
    goto out;
  }
  q[0] = DB_I(prev);
  if (db_exec(d, a, "SELECT state FROM rec_versions WHERE id = ?", q, 1, 0,
              &res))
    goto fail;
  if (res.nrows != 1 || strcmp(db_s(&res.rows[0], 0), "ready")) {
    fprintf(stderr, "encore-recs: previous version %u is not ready\n", prev);
    db_rollback(d);
    goto out;
  }
  struct db_val s[] = {DB_I(prev), DB_I(cur)};
  if (db_exec(d, NULL,
              "UPDATE rec_serving SET version = ?, previous = ?, "
              "switched_at = NOW(3) WHERE slot = 1",
              s, 2, 0, NULL) ||
      db_commit(d))
    goto fail;
  rc = 0;
  goto out;
fail:
  db_rollback(d);
  fprintf(stderr, "encore-recs: rollback failed\n");
out:
  arena_free(a);
  return rc;
}
