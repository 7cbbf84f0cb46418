/* trend: trending lists and charts as served: read from the version
 * encore-trends serves (trend_serving, migration 0022) through memcached,
 * then every item checked to still exist (and a playlist to be public)
 * before it is shown. */
#ifndef ENCORE_TREND_H
#define ENCORE_TREND_H

#include <json-c/json.h>

struct arena;
struct db;
struct kv;

/* The kinds, as the routes and trend_lists name them. */
enum trend_kind { TREND_TRACKS, TREND_ARTISTS, TREND_ALBUMS, TREND_PLAYLISTS };
enum trend_window { TREND_DAY, TREND_WEEK };
enum trend_period { TREND_PERIOD_WEEK, TREND_PERIOD_MONTH };

/* The serving version is cached this long; encore-trends deletes the key
 * after a switch. Lists and charts are keyed by version and kept longer. */
#define TREND_SERVING_KEY "trends:serving"
#define TREND_SERVING_TTL 5
#define TREND_LIST_TTL 7200

/* trend_list: the trending `kind` of `window` (genre_id 0: every genre),
 * the best `limit` as TrendingList JSON (a new object, the caller's):
 * {kind, window, genre, generated_at, items}. Without a serving version
 * the items are empty and generated_at null. */
int trend_list(struct db *d, struct kv *k, struct arena *a,
               enum trend_kind kind, enum trend_window window,
               long long genre_id, const char *genre, int limit,
               json_object **out);

/* trend_chart: the chart of `kind` for the week (from Monday, UTC) or month
 * holding day number `day`, the first `limit` entries, as Chart JSON: {kind,
 * period, start, end, complete, generated_at, items}; no chart computed for
 * that period: empty items. */
int trend_chart(struct db *d, struct kv *k, struct arena *a,
                enum trend_kind kind, enum trend_period period, long long day,
                int limit, json_object **out);

#endif
