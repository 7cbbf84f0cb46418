/* trend: trending lists and charts as served; see trend.h. A request is
 * at best two memcached reads in one round trip's worth (the serving
 * version, then the list, both small) and one primary-key probe per item
 * kind to drop items deleted, or playlists made private, since the run. */
#include "model/trend.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "core/tz.h"

static const char *const kind_names[] = {"tracks", "artists", "albums",
                                         "playlists"};
static const char *const window_names[] = {"day", "week"};
static const char *const period_names[] = {"week", "month"};

/* Which of a JSON array of ids still may be shown, per kind. */
static const char *const live_sql[] = {
    "SELECT STRAIGHT_JOIN x.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT "
    "UNSIGNED PATH '$')) j JOIN tracks x ON x.id = j.id",
    "SELECT STRAIGHT_JOIN x.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT "
    "UNSIGNED PATH '$')) j JOIN artists x ON x.id = j.id",
    "SELECT STRAIGHT_JOIN x.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT "
    "UNSIGNED PATH '$')) j JOIN albums x ON x.id = j.id",
    "SELECT STRAIGHT_JOIN x.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id BIGINT "
    "UNSIGNED PATH '$')) j JOIN playlists x ON x.id = j.id AND "
    "x.visibility = 'public' AND x.moderation = 'visible' AND NOT EXISTS "
    "(SELECT 1 FROM users o WHERE o.id = x.owner_id AND o.status = "
    "'suspended')",
};

/* serving: the served version and the end of its data (0, 0: none). */
static int serving(struct db *d, struct kv *k, struct arena *a,
                   long long *version, long long *until) {
  char *val = NULL;
  size_t len;
  *version = *until = 0;
  if (k && kv_get(k, a, TREND_SERVING_KEY, &val, &len) == 0 &&
      sscanf(val, "%lld %lld", version, until) == 2)
    return 0;
  struct db_res res;
  int rc = db_exec(d, a,
                   "SELECT s.version, CAST(UNIX_TIMESTAMP(v.data_until) * 1000 "
                   "AS SIGNED) FROM trend_serving s JOIN trend_versions v ON "
                   "v.id = s.version WHERE s.slot = 1",
                   NULL, 0, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (res.nrows) {
    *version = db_i64(&res.rows[0], 0, 0);
    *until = db_i64(&res.rows[0], 1, 0);
  }
  char text[64];
  int n = snprintf(text, sizeof text, "%lld %lld", *version, *until);
  if (k) kv_set(k, TREND_SERVING_KEY, text, (size_t)n, TREND_SERVING_TTL);
  return 0;
}

/* cached: the items text under key, else what sql (with params) reads,
 * then cached; "[]" when there is no row. */
static int cached(struct db *d, struct kv *k, struct arena *a, const char *key,
                  const char *sql, const struct db_val *p, int np,
                  const char **items) {
  char *val;
  size_t len;
  if (k && kv_get(k, a, key, &val, &len) == 0) {
    *items = val;
    return 0;
  }
  struct db_res res;
  int rc = db_exec(d, a, sql, p, np, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  *items = res.nrows && db_s(&res.rows[0], 0) ? db_s(&res.rows[0], 0) : "[]";
  if (k) kv_set_quiet(k, key, *items, strlen(*items), TREND_LIST_TTL);
  return 0;
}

/* shown: the first `limit` items of the text that may still be shown,
 * ranks as stored (a new array in the arena). */
static int shown(struct db *d, struct arena *a, enum trend_kind kind,
                 const char *text, int limit, json_object **out) {
  json_object *all = jx_own(a, json_tokener_parse(text));
  json_object *arr = jx_own(a, json_object_new_array());
  json_object *ids = jx_own(a, json_object_new_array());
  json_object *live = jx_own(a, json_object_new_object());
  if (!arr || !ids || !live) return RC_NOMEM;
  *out = arr;
  size_t n = json_object_is_type(all, json_type_array)
                 ? json_object_array_length(all)
                 : 0;
  for (size_t i = 0; i < n; i++)
    json_object_array_add(ids, json_object_get(json_object_object_get(
                                   json_object_array_get_idx(all, i), "id")));
  if (n == 0) return 0;
  size_t len;
  const char *idtext = jx_text(a, ids, &len);
  if (!idtext) return RC_NOMEM;
  struct db_val v = DB_S(idtext);
  struct db_res res;
  int rc = db_exec(d, a, live_sql[kind], &v, 1, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows; r++)
    json_object_object_add(live, db_s(&res.rows[r], 0), NULL);
  for (size_t i = 0; i < n && (int)json_object_array_length(arr) < limit; i++) {
    json_object *it = json_object_array_get_idx(all, i);
    const char *id = json_object_get_string(json_object_object_get(it, "id"));
    if (id && json_object_object_get_ex(live, id, NULL))
      json_object_array_add(arr, json_object_get(it));
  }
  return 0;
}

static void add_time(json_object *o, const char *key, long long ms) {
  char buf[40];
  if (!ms) {
    json_object_object_add(o, key, NULL);
    return;
  }
  timefmt_rfc3339(buf, sizeof buf, ms);
  jx_add_str(o, key, buf);
}

/* items_of: the list or chart under key (read with sql when memcached
 * misses), as shown() shows it; none without a serving version. */
static int items_of(struct db *d, struct kv *k, struct arena *a,
                    enum trend_kind kind, long long version, const char *key,
                    const char *sql, const struct db_val *p, int np, int limit,
                    json_object **items) {
  const char *text = "[]";
  int rc = !version ? 0
           : key    ? cached(d, k, a, key, sql, p, np, &text)
                    : RC_NOMEM;
  return rc ? rc : shown(d, a, kind, text, limit, items);
}

/* answer: what lists and charts answer alike; the caller adds the rest. */
static json_object *answer(enum trend_kind kind, long long until,
                           json_object *items) {
  json_object *o = json_object_new_object();
  jx_add_str(o, "kind", kind_names[kind]);
  add_time(o, "generated_at", until);
  json_object_object_add(o, "items", json_object_get(items));
  return o;
}

int trend_list(struct db *d, struct kv *k, struct arena *a,
               enum trend_kind kind, enum trend_window window,
               long long genre_id, const char *genre, int limit,
               json_object **out) {
  long long version, until;
  json_object *items;
  int rc = serving(d, k, a, &version, &until);
  if (rc) return rc;
  char *key = arena_printf(a, "trends:%lld:%s:%s:%lld", version,
                           kind_names[kind], window_names[window], genre_id);
  struct db_val p[] = {DB_I(version), DB_S(kind_names[kind]),
                       DB_S(window_names[window]), DB_I(genre_id)};
  if ((rc = items_of(d, k, a, kind, version, key,
                     "SELECT items FROM trend_lists WHERE version = ? AND "
                     "kind = ? AND win = ? AND genre_id = ?",
                     p, 4, limit, &items)))
    return rc;
  *out = answer(kind, until, items);
  jx_add_str(*out, "window", window_names[window]);
  jx_add_str(*out, "genre", genre);
  return 0;
}

int trend_chart(struct db *d, struct kv *k, struct arena *a,
                enum trend_kind kind, enum trend_period period, long long day,
                int limit, json_object **out) {
  long long version, until, start, end;
  json_object *items;
  int y, m, dd;
  tz_civil(day, &y, &m, &dd);
  if (period == TREND_PERIOD_WEEK) {
    start = day - tz_weekday(day);
    end = start + 7;
  } else {
    start = timefmt_days_from_civil(y, m, 1);
    end = m == 12 ? timefmt_days_from_civil(y + 1, 1, 1)
                  : timefmt_days_from_civil(y, m + 1, 1);
  }
  char from[16], to[16];
  tz_format_date(from, sizeof from, start);
  tz_format_date(to, sizeof to, end - 1);
  int rc = serving(d, k, a, &version, &until);
  if (rc) return rc;
  char *key = arena_printf(a, "trends:%lld:chart:%s:%s:%s", version,
                           kind_names[kind], period_names[period], from);
  struct db_val p[] = {DB_S(kind_names[kind]), DB_S(period_names[period]),
                       DB_S(from)};
  if ((rc = items_of(d, k, a, kind, version, key,
                     "SELECT items FROM trend_charts WHERE kind = ? AND "
                     "period = ? AND start = ?",
                     p, 3, limit, &items)))
    return rc;
  *out = answer(kind, until, items);
  jx_add_str(*out, "period", period_names[period]);
  jx_add_str(*out, "start", from);
  jx_add_str(*out, "end", to);
  jx_add_bool(*out, "complete", until && end * 86400000LL <= until);
  return 0;
}
