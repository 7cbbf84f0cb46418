/* h_listens: listening history: ingest listens (one or a batch), read and
 * delete the caller's history, read another user's as their privacy
 * preference allows. */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/app.h"
#include "api/page.h"
#include "api/req.h"
#include "api/social.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/timefmt.h"
#include "model/listen.h"
#include "model/user.h"

static const char *const sources[] = {
    "app", "lastfm", "listenbrainz", "spotify", "apple_music", "import", NULL};
/* Where in the app a listen was started (listens.context, at most 16
 * characters); the analytics count "recommendation" (STATS_REC_CONTEXT). */
static const char *const contexts[] = {
    "recommendation", "search", "playlist", "album", "artist",
    "radio",          "party",  "other",    NULL};

static const struct jx_field listen_fields[] = {
    {.name = "track_id", .kind = JX_INT, .min = 1, .max = 1LL << 53},
    {.name = "artist", .kind = JX_STRING, .min = 1, .max = 255},
    {.name = "title", .kind = JX_STRING, .min = 1, .max = 255},
    {.name = "album",
     .kind = JX_STRING,
     .min = 1,
     .max = 255,
     .nullable = true},
    {.name = "listened_at",
     .kind = JX_STRING,
     .required = true,
     .min = 1,
     .max = 64},
    {.name = "ms_played",
     .kind = JX_INT,
     .min = 0,
     .max = LISTEN_MS_PLAYED_MAX,
     .nullable = true},
    {.name = "source", .kind = JX_ENUM, .enums = sources, .nullable = true},
    {.name = "context", .kind = JX_ENUM, .enums = contexts, .nullable = true},
};
#define NFIELDS ((int)(sizeof listen_fields / sizeof listen_fields[0]))

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* parse_item: validate one listen object into *it; failures in *errs
 * (it->status REJECTED then). */
static void parse_item(struct arena *a, json_object *o, long long now,
                       struct listen_in *it, struct jx_errors *errs) {
  *it = (struct listen_in){.ms_played = -1, .status = LISTEN_PENDING};
  errs->n = 0;
  if (jx_validate(a, o, listen_fields, NFIELDS, errs) == 0) {
    it->track_id = jx_int(o, "track_id", 0);
    it->artist = jx_str(o, "artist");
    it->title = jx_str(o, "title");
    it->album = jx_str(o, "album");
    it->ms_played = jx_int(o, "ms_played", -1);
    it->source = jx_str(o, "source");
    if (!it->source) it->source = "app";
    it->context = jx_str(o, "context");
    struct jx_error *e = &errs->e[0];
    if (it->track_id && (it->artist || it->title || it->album))
      *e = (struct jx_error){"track_id",
                             "give track_id or artist and title, not both"};
    else if (!it->track_id && (!it->artist || !it->title))
      *e = (struct jx_error){it->title ? "artist" : "title",
                             "give track_id, or artist and title"};
    else if (timefmt_parse(jx_str(o, "listened_at"), &it->at_ms))
      *e = (struct jx_error){"listened_at", "must be an RFC 3339 timestamp"};
    else if (it->at_ms < LISTEN_EPOCH_MIN)
      *e = (struct jx_error){"listened_at", "must not be before 2000"};
    else if (it->at_ms > now + LISTEN_FUTURE_SKEW_MS)
      *e = (struct jx_error){"listened_at",
                             "must not be in the future (5 minutes allowed)"};
    else
      return;
    errs->n = 1;
  }
  it->status = LISTEN_REJECTED;
}

static const char *status_name(enum listen_status s) {
  switch (s) {
  case LISTEN_STORED:
    return "stored";
  case LISTEN_DUPLICATE:
    return "duplicate";
  default:
    return "rejected";
  }
}

/* Fields of a rejected item are named "listens[i].field" in a 422 of a
 * batch, plain "field" for a single listen. */
static const char *field_name(struct arena *a, bool batch, int i,
                              const char *f) {
  if (!batch) return f;
  return *f ? arena_printf(a, "listens[%d].%s", i, f)
            : arena_printf(a, "listens[%d]", i);
}

int h_listens_post(struct req *r) {
  struct arena *a = req_arena(r);
  json_object *body, *list = NULL;
  int st, n;
  if ((st = req_body_json(r, &body))) return st;
  bool batch = json_object_is_type(body, json_type_object) &&
               json_object_object_get_ex(body, "listens", &list);
  if (batch) {
    /* {"listens": [...]} and nothing else. */
    struct jx_errors errs = {0};
    json_object_object_foreach(body, key, val) {
      (void)val;
      if (strcmp(key, "listens"))
        jx_error_add(&errs, arena_strdup(a, key), "unknown field");
    }
    if (!json_object_is_type(list, json_type_array))
      errs.e[errs.n++] = (struct jx_error){"listens", "must be an array"};
    else if (json_object_array_length(list) == 0)
      errs.e[errs.n++] =
          (struct jx_error){"listens", "must hold at least one listen"};
    else if (json_object_array_length(list) > LISTEN_BATCH_MAX)
      errs.e[errs.n++] =
          (struct jx_error){"listens", "must hold at most 1000 listens"};
    if (errs.n) return req_problem_fields(r, &errs);
    n = (int)json_object_array_length(list);
  } else {
    n = 1;
  }

  struct listen_in *items = arena_alloc(a, sizeof *items * (size_t)n);
  json_object **errors = arena_alloc(a, sizeof *errors * (size_t)n);
  if (!items || !errors) return req_problem(r, RC_NOMEM, NULL);
  struct jx_errors all = {0}; /* for the 422 when nothing is usable */
  long long now = now_ms();
  int usable = 0;
  for (int i = 0; i < n; i++) {
    struct jx_errors errs;
    parse_item(a, batch ? json_object_array_get_idx(list, (size_t)i) : body,
               now, &items[i], &errs);
    errors[i] = NULL;
    if (items[i].status != LISTEN_REJECTED) {
      usable++;
      continue;
    }
    errors[i] = jx_own(a, json_object_new_array());
    for (int e = 0; e < errs.n; e++) {
      json_object *eo = json_object_new_object();
      jx_add_str(eo, "field", errs.e[e].field);
      jx_add_str(eo, "message", errs.e[e].message);
      json_object_array_add(errors[i], eo);
      jx_error_add(&all, field_name(a, batch, i, errs.e[e].field),
                   errs.e[e].message);
    }
  }
  if (usable == 0) return req_problem_fields(r, &all);

  int rc = listen_resolve(app.db, a, items, n);
  if (!rc) rc = listen_store(app.db, app.kv, a, req_user_id(r), items, n);
  if (rc) return req_problem(r, rc, NULL);
  /* The listens stored become (or grow) listening sessions, once the
   * answer is sent. */
  long long *at = arena_alloc(a, sizeof *at * (size_t)n);
  int nat = 0;
  for (int i = 0; at && i < n; i++)
    if (items[i].status == LISTEN_STORED) at[nat++] = items[i].at_ms;
  if (nat) social_listened(r, req_user_id(r), at, nat);

  json_object *out = jx_own(a, json_object_new_object());
  json_object *results = json_object_new_array_ext(n);
  int stored = 0, dups = 0, rejected = 0;
  for (int i = 0; i < n; i++) {
    struct listen_in *it = &items[i];
    json_object *o = json_object_new_object();
    jx_add_int(o, "index", i);
    jx_add_str(o, "status", status_name(it->status));
    if (it->status == LISTEN_STORED || it->status == LISTEN_DUPLICATE) {
      jx_add_int(o, "track_id", it->track_id);
      if (it->status == LISTEN_STORED)
        stored++;
      else
        dups++;
    } else {
      rejected++;
      if (!errors[i]) { /* rejected by resolution */
        errors[i] = jx_own(a, json_object_new_array());
        json_object *eo = json_object_new_object();
        jx_add_str(eo, "field", it->error_field);
        jx_add_str(eo, "message", it->error_msg);
        json_object_array_add(errors[i], eo);
        jx_error_add(&all, field_name(a, batch, i, it->error_field),
                     it->error_msg);
      }
      json_object_object_add(o, "errors", json_object_get(errors[i]));
    }
    json_object_array_add(results, o);
  }
  /* Every item failed only at resolution: still nothing usable. */
  if (stored + dups == 0) return req_problem_fields(r, &all);
  jx_add_int(out, "stored", stored);
  jx_add_int(out, "duplicates", dups);
  jx_add_int(out, "rejected", rejected);
  json_object_object_add(out, "results", results);
  return req_reply_json(r, 200, out);
}

static const char *const true_only[] = {"true", NULL};

const struct qparam h_listens_history_query[] = {
    Q_PAGE,
    {.name = "from", .kind = Q_TIME},
    {.name = "to", .kind = Q_TIME},
    Q_END,
};
const struct qparam h_listens_delete_query[] = {
    {.name = "from", .kind = Q_TIME},
    {.name = "to", .kind = Q_TIME},
    {.name = "all", .kind = Q_WORD, .words = true_only, .msg = "must be true"},
    Q_END,
};

/* query_range: from and to (from < to when both are given). Replies 422
 * itself and returns the status when they are the wrong way round. */
static int query_range(struct req *r, long long *from, long long *to) {
  *from = req_qint(r, "from");
  *to = req_qint(r, "to");
  if (*from && *to && *from >= *to) {
    struct jx_errors errs = {.n = 1, .e = {{"to", "must be after from"}}};
    return req_problem_fields(r, &errs);
  }
  return 0;
}

/* reply_history: a page of user_id's history. */
static int reply_history(struct req *r, long long user_id) {
  struct page pg;
  struct listen_query q = {.user_id = user_id};
  int st;
  page_get(r, &pg);
  if ((st = query_range(r, &q.from_ms, &q.to_ms))) return st;
  q.limit = pg.limit;
  if (pg.after && listen_parse_cursor(pg.after, &q.after_ms, &q.after_id))
    return page_bad_cursor(r);
  json_object *items;
  const char *next;
  int rc = listen_history(app.db, req_arena(r), &q, &items, &next);
  if (rc) return req_problem(r, rc, NULL);
  json_object *out = jx_own(req_arena(r), json_object_new_object());
  json_object_object_add(out, "items", items);
  jx_add_str(out, "next_cursor", page_cursor(req_arena(r), next));
  return req_reply_json(r, 200, out);
}

int h_listens_history(struct req *r) {
  return reply_history(r, req_user_id(r));
}

int h_listens_user_history(struct req *r) {
  long long owner;
  int rc = listen_history_owner(app.db, req_arena(r), req_param(r, "username"),
                                req_user_id(r), &owner);
  if (rc == RC_NOT_FOUND) return req_problem(r, rc, "no such user");
  if (rc) return req_problem(r, rc, NULL);
  return reply_history(r, owner);
}

static int reply_deleted(struct req *r, long long n) {
  json_object *out = jx_own(req_arena(r), json_object_new_object());
  jx_add_int(out, "deleted", n);
  return req_reply_json(r, 200, out);
}

int h_listens_delete_one(struct req *r) {
  long long id, n;
  id = req_id(r, "listen_id");
  int rc = listen_delete_one(app.db, app.kv, req_user_id(r), id, &n);
  if (rc) return req_problem(r, rc, NULL);
  if (n == 0) return req_problem(r, RC_NOT_FOUND, "no such listen");
  return reply_deleted(r, n);
}

int h_listens_delete_range(struct req *r) {
  bool all = req_qgiven(r, "all");
  long long from, to, n;
  int st;
  if ((st = query_range(r, &from, &to))) return st;
  struct jx_errors errs = {.n = 1};
  if (all && (from || to))
    errs.e[0] = (struct jx_error){"all", "give all=true or a range, not both"};
  else if (!all && !from && !to)
    errs.e[0] = (struct jx_error){"", "give from and/or to, or all=true"};
  else
    errs.n = 0;
  if (errs.n) return req_problem_fields(r, &errs);
  int rc = listen_delete_range(app.db, app.kv, req_user_id(r), from, to, &n);
  if (rc) return req_problem(r, rc, NULL);
  return reply_deleted(r, n);
}
