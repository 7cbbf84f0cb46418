/* store.c: a run's lists and charts as a trends version (trends.h,
 * sql/migrations/0022_insights.sql): a 'building' version, each list
 * written as the JSON array the API serves (items with their names, rank,
 * previous rank and change), then one transaction that marks it 'ready',
 * points trend_serving at it and replaces the charts of the periods it
 * computed. A run that fails before that commit changes nothing served. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/trends/trends.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/tz.h"

#define NAMES_CHUNK 500 /* ids per names statement */
#define TX_ROWS 200     /* list rows per transaction */

static const char *const kind_names[TRENDS_KINDS] = {"tracks", "artists",
                                                     "albums", "playlists"};
static const char *const win_names[TRENDS_WINS] = {"day", "week"};

/* --- names ---------------------------------------------------------------- */

/* The JSON of an item as lists show it, by kind: a literal statement each,
 * over a JSON array of ids. */
static const char *const names_sql[TRENDS_KINDS] = {
    "SELECT STRAIGHT_JOIN t.id, JSON_OBJECT('id', t.id, 'title', t.title, "
    "'artists', COALESCE((SELECT JSON_ARRAYAGG(JSON_OBJECT('id', ar.id, "
    "'name', ar.name) ORDER BY ta.position, ar.id) FROM track_artists ta JOIN "
    "artists ar ON ar.id = ta.artist_id WHERE ta.track_id = t.id AND "
    "ta.role = 'primary'), JSON_ARRAY()), 'album', IF(al.id IS NULL, NULL, "
    "JSON_OBJECT('id', al.id, 'title', al.title))) FROM JSON_TABLE(?, '$[*]' "
    "COLUMNS (id BIGINT UNSIGNED PATH '$')) j JOIN tracks t ON t.id = j.id "
    "LEFT JOIN albums al ON al.id = t.album_id",
    "SELECT STRAIGHT_JOIN ar.id, JSON_OBJECT('id', ar.id, 'name', ar.name) "
    "FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT UNSIGNED PATH '$')) j "
    "JOIN artists ar ON ar.id = j.id",
    "SELECT STRAIGHT_JOIN al.id, JSON_OBJECT('id', al.id, 'title', al.title, "
    "'artist', JSON_OBJECT('id', ar.id, 'name', ar.name), 'release_date', "
    "DATE_FORMAT(al.release_date, '%Y-%m-%d')) FROM JSON_TABLE(?, '$[*]' "
    "COLUMNS (id BIGINT UNSIGNED PATH '$')) j JOIN albums al ON al.id = j.id "
    "JOIN artists ar ON ar.id = al.artist_id",
    "SELECT STRAIGHT_JOIN p.id, JSON_OBJECT('id', p.id, 'name', p.name, "
    "'owner', JSON_OBJECT('id', u.id, 'username', u.username), "
    "'track_count', p.track_count) FROM JSON_TABLE(?, '$[*]' COLUMNS (id "
    "BIGINT UNSIGNED PATH '$')) j JOIN playlists p ON p.id = j.id AND "
    "p.visibility = 'public' AND p.moderation = 'visible' JOIN users u ON "
    "u.id = p.owner_id AND u.status = 'active'",
};

/* names_read: the JSON of every id of ids[k] (a JSON array each) into
 * names[k] (objects id -> JSON, owned by the caller). */
static int names_read(struct db *d, json_object *const ids[TRENDS_KINDS],
                      json_object *names[TRENDS_KINDS]) {
  struct arena *a = arena_new(0);
  int rc = a ? 0 : -1;
  for (int k = 0; k < TRENDS_KINDS && !rc; k++) {
    size_t n = json_object_array_length(ids[k]);
    for (size_t off = 0; off < n && !rc; off += NAMES_CHUNK) {
      json_object *part = json_object_new_array();
      for (size_t i = off; i < n && i < off + NAMES_CHUNK; i++)
        json_object_array_add(
            part, json_object_get(json_object_array_get_idx(ids[k], i)));
      struct db_val v =
          DB_S(json_object_to_json_string_ext(part, JSON_C_TO_STRING_PLAIN));
      struct db_res res;
      arena_reset(a);
      rc = db_exec(d, a, names_sql[k], &v, 1, DB_IDEMPOTENT, &res) ? -1 : 0;
      for (int r = 0; !rc && r < res.nrows; r++) {
        json_object *o = json_tokener_parse(db_s(&res.rows[r], 1));
        if (o) json_object_object_add(names[k], db_s(&res.rows[r], 0), o);
      }
      json_object_put(part);
    }
  }
  arena_free(a);
  if (rc) fprintf(stderr, "encore-trends: reading the items' names failed\n");
  return rc;
}

/* --- ranks before --------------------------------------------------------- */

/* ranks_of: {"<id>": rank} of a served items array text. */
static json_object *ranks_of(const char *items) {
  json_object *arr = items ? json_tokener_parse(items) : NULL,
              *out = json_object_new_object();
  size_t n = json_object_is_type(arr, json_type_array)
                 ? json_object_array_length(arr)
                 : 0;
  for (size_t i = 0; i < n; i++) {
    json_object *it = json_object_array_get_idx(arr, i), *id, *rank;
    if (json_object_object_get_ex(it, "id", &id) &&
        json_object_object_get_ex(it, "rank", &rank))
      json_object_object_add(out, json_object_get_string(id),
                             json_object_new_int(json_object_get_int(rank)));
  }
  json_object_put(arr);
  return out;
}

static void list_key(char *buf, size_t n, int kind, int win, long long g) {
  snprintf(buf, n, "%s:%s:%lld", kind_names[kind], win_names[win], g);
}

/* previous_lists: the ranks of every list of the serving version, by
 * list_key (an empty object without one). */
static json_object *previous_lists(struct db *d) {
  static const char sql[] =
      "SELECT l.kind, l.win, l.genre_id, l.items FROM trend_serving s "
      "JOIN trend_lists l ON l.version = s.version WHERE s.slot = 1";
  json_object *out = json_object_new_object();
  struct arena *a = arena_new(0);
  struct db_res res;
  if (a && db_exec(d, a, sql, NULL, 0, DB_IDEMPOTENT, &res) == 0)
    for (int r = 0; r < res.nrows; r++) {
      const struct db_row *row = &res.rows[r];
      char key[96];
      int k = 0, w = 0;
      while (k < TRENDS_KINDS && strcmp(kind_names[k], db_s(row, 0)))
        k++;
      while (w < TRENDS_WINS && strcmp(win_names[w], db_s(row, 1)))
        w++;
      if (k == TRENDS_KINDS || w == TRENDS_WINS) continue;
      list_key(key, sizeof key, k, w, db_i64(row, 2, 0));
      json_object_object_add(out, key, ranks_of(db_s(row, 3)));
    }
  arena_free(a);
  return out;
}

/* --- rendering ------------------------------------------------------------ */

/* item_json: the served item: its names, rank, the rank before, the change
 * (up is positive; null when new), and figures. NULL when the item has no
 * names any more (deleted, or a playlist no longer public). */
static json_object *item_json(json_object *names, int64_t id, int rank,
                              json_object *before, double score, long plays) {
  char key[24];
  json_object *named, *o = NULL, *prev;
  snprintf(key, sizeof key, "%lld", (long long)id);
  if (!json_object_object_get_ex(names, key, &named) ||
      json_object_deep_copy(named, &o, NULL))
    return NULL;
  jx_add_int(o, "rank", rank);
  if (before && json_object_object_get_ex(before, key, &prev)) {
    jx_add_int(o, "previous_rank", json_object_get_int(prev));
    jx_add_int(o, "change", json_object_get_int(prev) - rank);
  } else {
    json_object_object_add(o, "previous_rank", NULL);
    json_object_object_add(o, "change", NULL);
  }
  if (score >= 0) {
    char text[32];
    snprintf(text, sizeof text, "%.3f", score);
    json_object_object_add(o, "score", json_object_new_double_s(score, text));
  }
  jx_add_int(o, "plays", plays);
  return o;
}

static int add_ids(const struct trends_world *w, json_object *ids[],
                   json_object *seen[], int kind, int item) {
  char key[24];
  int64_t id = w->items[kind].id[item];
  snprintf(key, sizeof key, "%lld", (long long)id);
  if (json_object_object_get_ex(seen[kind], key, NULL)) return 0;
  json_object_object_add(seen[kind], key, NULL);
  return json_object_array_add(ids[kind], json_object_new_int64(id));
}

/* The charts of a run: per chart kind (tracks, artists, albums) and
 * period, the items' indexes. */
struct charts {
  int n[3][TRENDS_PERIODS];
  int idx[3][TRENDS_PERIODS][TRENDS_LIST_MAX];
};

static const char *const period_names[TRENDS_PERIODS] = {"week", "week",
                                                         "month", "month"};

/* chart_before: the ranks of the chart before period p: computed in this
 * run, or stored by an earlier one (an empty object without one). */
static json_object *chart_before(struct db *d, const struct trends_world *w,
                                 json_object *now_items, int kind, int p) {
  if (p == TRENDS_WEEK_NOW || p == TRENDS_MONTH_NOW)
    return ranks_of(
        json_object_to_json_string_ext(now_items, JSON_C_TO_STRING_PLAIN));
  long long start = w->period_ms[p] / TRENDS_DAY_MS;
  int y, m, dd;
  tz_civil(start, &y, &m, &dd);
  /* the Monday of the week before, or a day of the month before */
  long long before = p == TRENDS_WEEK_BEFORE ? start - 7 : start - 1;
  tz_civil(before, &y, &m, &dd);
  char date[16];
  snprintf(date, sizeof date, "%04d-%02d-%02d", y, m,
           p == TRENDS_WEEK_BEFORE ? dd : 1);
  struct db_val v[] = {DB_S(kind_names[kind]), DB_S(period_names[p]),
                       DB_S(date)};
  struct db_res res;
  struct arena *a = arena_new(0);
  json_object *out = NULL;
  if (a &&
      db_exec(d, a,
              "SELECT items FROM trend_charts WHERE kind = ? AND "
              "period = ? AND start = ?",
              v, 3, DB_IDEMPOTENT, &res) == 0 &&
      res.nrows == 1)
    out = ranks_of(db_s(&res.rows[0], 0));
  arena_free(a);
  return out ? out : json_object_new_object();
}

/* --- the version ---------------------------------------------------------- */

static int version_begin(struct db *d, long long until, unsigned *version) {
  struct db_val v = DB_I(until);
  struct db_res res;
  if (db_exec(d, NULL,
              "INSERT INTO trend_versions (data_until) VALUES "
              "(FROM_UNIXTIME(? / 1000))",
              &v, 1, 0, &res) ||
      !res.insert_id) {
    fprintf(stderr, "encore-trends: cannot create a version (is the schema "
                    "migrated to 0022?)\n");
    return -1;
  }
  *version = (unsigned)res.insert_id;
  return 0;
}

/* write_lists: every list under version, TX_ROWS a transaction. */
static int write_lists(struct db *d, const struct trends_world *w,
                       const struct trends_list *lists, int n,
                       json_object *names[], unsigned version) {
  json_object *before = previous_lists(d);
  int rc = 0, in_tx = 0;
  for (int i = 0; i < n && !rc; i++) {
    const struct trends_list *l = &lists[i];
    char key[96];
    json_object *prev, *arr = json_object_new_array();
    list_key(key, sizeof key, l->kind, l->win, l->genre);
    if (!json_object_object_get_ex(before, key, &prev)) prev = NULL;
    int rank = 0;
    for (int e = 0; e < l->n; e++) {
      const struct trends_counts *c = &w->items[l->kind].c[l->e[e].item];
      json_object *o =
          item_json(names[l->kind], w->items[l->kind].id[l->e[e].item],
                    rank + 1, prev, l->e[e].score, (long)c->plays[l->win]);
      if (o) {
        json_object_array_add(arr, o);
        rank++;
      }
    }
    struct db_val v[] = {
        DB_I(version), DB_S(kind_names[l->kind]), DB_S(win_names[l->win]),
        DB_I(l->genre),
        DB_S(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN))};
    if (!in_tx) rc = db_begin(d) ? -1 : (in_tx = 1, 0);
    if (!rc)
      rc = db_exec(d, NULL,
                   "INSERT INTO trend_lists (version, kind, win, genre_id, "
                   "items) VALUES (?, ?, ?, ?, ?)",
                   v, 5, 0, NULL)
               ? -1
               : 0;
    json_object_put(arr);
    if (!rc && (i + 1) % TX_ROWS == 0) {
      rc = db_commit(d) ? -1 : 0;
      in_tx = 0;
    }
  }
  if (in_tx) {
    if (rc)
      db_rollback(d);
    else if (db_commit(d))
      rc = -1;
  }
  json_object_put(before);
  if (rc) fprintf(stderr, "encore-trends: writing the lists failed\n");
  return rc;
}

/* switch_to: mark version ready, serve it and replace the run's charts,
 * in one transaction. */
static int switch_to(struct db *d, const struct trends_world *w,
                     const struct charts *ch, json_object *names[],
                     unsigned version, const char *stats) {
  struct db_res res;
  struct arena *a = arena_new(0);
  int rc = a && db_begin(d) == 0 ? 0 : -1;
  struct db_val s[] = {DB_S(stats), DB_I(version)};
  if (!rc &&
      (db_exec(d, a,
               "SELECT version FROM trend_serving WHERE slot = 1 "
               "FOR UPDATE",
               NULL, 0, 0, &res) ||
       db_exec(d, NULL,
               "UPDATE trend_versions SET state = 'ready', finished_at = "
               "NOW(3), stats = ? WHERE id = ? AND state = 'building'",
               s, 2, 0, NULL)))
    rc = -1;
  long long cur = !rc && res.nrows ? db_i64(&res.rows[0], 0, 0) : 0;
  struct db_val v[] = {DB_I(version), cur ? DB_I(cur) : DB_NUL};
  if (!rc && db_exec(d, NULL,
                     "INSERT INTO trend_serving (slot, version, previous, "
                     "switched_at) VALUES (1, ?, ?, NOW(3)) ON DUPLICATE KEY "
                     "UPDATE version = VALUES(version), previous = "
                     "VALUES(previous), switched_at = VALUES(switched_at)",
                     v, 2, 0, NULL))
    rc = -1;
  for (int k = 0; k < 3 && !rc; k++) {
    json_object *made[TRENDS_PERIODS] = {NULL};
    /* the earlier period first: the current one's previous ranks */
    static const int order[] = {TRENDS_WEEK_BEFORE, TRENDS_WEEK_NOW,
                                TRENDS_MONTH_BEFORE, TRENDS_MONTH_NOW};
    for (int o = 0; o < TRENDS_PERIODS && !rc; o++) {
      int p = order[o];
      json_object *now_prev = p == TRENDS_WEEK_NOW ? made[TRENDS_WEEK_BEFORE]
                              : p == TRENDS_MONTH_NOW
                                  ? made[TRENDS_MONTH_BEFORE]
                                  : NULL;
      json_object *prev = chart_before(d, w, now_prev, k, p);
      json_object *arr = json_object_new_array();
      for (int i = 0, rank = 0; i < ch->n[k][p]; i++) {
        int item = ch->idx[k][p][i];
        json_object *it =
            item_json(names[k], w->items[k].id[item], rank + 1, prev, -1,
                      (long)w->items[k].c[item].chart[p]);
        if (it) {
          json_object_array_add(arr, it);
          rank++;
        }
      }
      json_object_put(prev);
      made[p] = arr;
      char date[16];
      tz_format_date(date, sizeof date, w->period_ms[p] / TRENDS_DAY_MS);
      struct db_val c[] = {
          DB_S(kind_names[k]), DB_S(period_names[p]), DB_S(date),
          DB_S(json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN))};
      if (db_exec(d, NULL,
                  "REPLACE INTO trend_charts (kind, period, start, items) "
                  "VALUES (?, ?, ?, ?)",
                  c, 4, 0, NULL))
        rc = -1;
    }
    for (int p = 0; p < TRENDS_PERIODS; p++)
      json_object_put(made[p]);
  }
  if (rc) {
    db_rollback(d);
  } else if (db_commit(d)) {
    rc = -1;
  }
  arena_free(a);
  if (rc)
    fprintf(stderr, "encore-trends: switching to version %u failed\n", version);
  return rc;
}

/* delete_lists: the lists of version, in chunks. */
static int delete_lists(struct db *d, long long version) {
  struct db_val v = DB_I(version);
  struct db_res res;
  do {
    if (db_exec(d, NULL, "DELETE FROM trend_lists WHERE version = ? LIMIT 500",
                &v, 1, DB_IDEMPOTENT, &res))
      return -1;
  } while (res.affected >= 500);
  return 0;
}

/* delete_version: its lists and its row. */
static int delete_version(struct db *d, long long version) {
  struct db_val v = DB_I(version);
  return delete_lists(d, version) ||
                 db_exec(d, NULL, "DELETE FROM trend_versions WHERE id = ?", &v,
                         1, DB_IDEMPOTENT, NULL)
             ? -1
             : 0;
}

/* prune: every version but the serving one and the one before (failed
 * runs and killed ones included). A failure only delays the cleanup. */
static void prune(struct db *d) {
  struct arena *a = arena_new(0);
  struct db_res res;
  if (a && db_exec(d, a,
                   "SELECT v.id FROM trend_versions v JOIN trend_serving s ON "
                   "s.slot = 1 WHERE v.id < s.version AND v.id <> "
                   "COALESCE(s.previous, 0)",
                   NULL, 0, DB_IDEMPOTENT, &res) == 0)
    for (int r = 0; r < res.nrows; r++)
      if (delete_version(d, db_i64(&res.rows[r], 0, 0))) break;
  arena_free(a);
}

int trends_store(struct db *d, const struct trends_world *w,
                 const struct trends_list *lists, int n, const char *stats,
                 unsigned *version) {
  json_object *ids[TRENDS_KINDS], *seen[TRENDS_KINDS], *names[TRENDS_KINDS];
  struct charts *ch = calloc(1, sizeof *ch);
  int rc = ch ? 0 : -1;
  for (int k = 0; k < TRENDS_KINDS; k++) {
    ids[k] = json_object_new_array();
    seen[k] = json_object_new_object();
    names[k] = json_object_new_object();
  }
  for (int i = 0; i < n && !rc; i++)
    for (int e = 0; e < lists[i].n; e++)
      add_ids(w, ids, seen, lists[i].kind, lists[i].e[e].item);
  for (int k = 0; k < 3 && !rc; k++)
    for (int p = 0; p < TRENDS_PERIODS; p++) {
      ch->n[k][p] = trends_chart(w, k, p, ch->idx[k][p]);
      for (int i = 0; i < ch->n[k][p]; i++)
        add_ids(w, ids, seen, k, ch->idx[k][p][i]);
    }
  *version = 0;
  if (!rc) rc = names_read(d, ids, names);
  if (!rc) rc = version_begin(d, w->until_ms, version);
  if (!rc) rc = write_lists(d, w, lists, n, names, *version);
  if (!rc) rc = switch_to(d, w, ch, names, *version, stats);
  if (rc && *version) {
    struct db_val v = DB_I(*version);
    if (db_exec(d, NULL,
                "UPDATE trend_versions SET state = 'failed', finished_at = "
                "NOW(3) WHERE id = ? AND state = 'building'",
                &v, 1, 0, NULL) ||
        delete_lists(d, *version))
      fprintf(stderr,
              "encore-trends: version %u left for the next run to "
              "delete\n",
              *version);
  }
  if (!rc) prune(d);
  for (int k = 0; k < TRENDS_KINDS; k++) {
    json_object_put(ids[k]);
    json_object_put(seen[k]);
    json_object_put(names[k]);
  }
  free(ch);
  return rc;
}
