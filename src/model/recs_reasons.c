/* recs_reasons: the answer's JSON: each item served with its reasons
 * ("listened", "artist", "genre", "followed", "popular"), the track,
 * artist, genre or user they name read by id (RECS_IN_WIDTH per
 * statement; a reason whose object is gone is left out), and the model
 * part (version, data_until, fallback). */
#include <json-c/json.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/recs.h"
#include "model/recs_internal.h"

/* A thing a reason names, and its name once resolved. */
struct ref {
  char kind; /* 't' track, 'a' artist, 'g' genre, 'u' user */
  long long id;
  const char *name;
};

struct refs {
  struct ref *r;
  int n;
};

static void ref_add(struct refs *rs, char kind, long long id) {
  if (id <= 0) return;
  for (int i = 0; i < rs->n; i++)
    if (rs->r[i].kind == kind && rs->r[i].id == id) return;
  rs->r[rs->n++] = (struct ref){.kind = kind, .id = id, .name = NULL};
}

static const char *ref_name(const struct refs *rs, char kind, long long id) {
  for (int i = 0; i < rs->n; i++)
    if (rs->r[i].kind == kind && rs->r[i].id == id) return rs->r[i].name;
  return NULL;
}

/* item_kind: the ref kind of the items of type t ("listened to" names one). */
static char item_kind(enum recs_type t) {
  return t == RECS_TRACK ? 't' : 'a';
}

static char reason_kind(enum recs_type t, int reason) {
  switch (reason) {
  case RECFMT_R_ITEM:
    return item_kind(t);
  case RECFMT_R_ARTIST:
    return 'a';
  case RECFMT_R_GENRE:
  case RECFMT_R_POPULAR:
    return 'g';
  case RECFMT_R_SOCIAL:
    return 'u';
  default:
    return 0;
  }
}

/* resolve_names: the names of the refs of kind 't' (track titles), 'a'
 * (artist names), 'g' (genre names) or 'u' (usernames), RECS_IN_WIDTH per
 * statement; a ref whose row is gone keeps a NULL name. */
static int resolve_names(struct db *d, struct arena *a, struct refs *rs,
                         char kind) {
  for (int i = 0; i < rs->n;) {
    struct db_val p[RECS_IN_WIDTH];
    struct db_res res;
    int m = 0, rc;
    for (; i < rs->n && m < RECS_IN_WIDTH; i++)
      if (rs->r[i].kind == kind) p[m++] = DB_I(rs->r[i].id);
    if (m == 0) break;
    for (int j = m; j < RECS_IN_WIDTH; j++)
      p[j] = DB_I(0);
    if (kind == 't')
      rc = db_exec(d, a, "SELECT id, title FROM tracks WHERE id IN " RECS_IN16,
                   p, RECS_IN_WIDTH, DB_IDEMPOTENT, &res);
    else if (kind == 'a')
      rc = db_exec(d, a, "SELECT id, name FROM artists WHERE id IN " RECS_IN16,
                   p, RECS_IN_WIDTH, DB_IDEMPOTENT, &res);
    else if (kind == 'g')
      rc = db_exec(d, a, "SELECT id, name FROM genres WHERE id IN " RECS_IN16,
                   p, RECS_IN_WIDTH, DB_IDEMPOTENT, &res);
    else
      rc =
          db_exec(d, a, "SELECT id, username FROM users WHERE id IN " RECS_IN16,
                  p, RECS_IN_WIDTH, DB_IDEMPOTENT, &res);
    if (rc) return rc;
    for (int r = 0; r < res.nrows; r++)
      for (int j = 0; j < rs->n; j++)
        if (rs->r[j].kind == kind && rs->r[j].id == db_i64(&res.rows[r], 0, 0))
          rs->r[j].name = db_s(&res.rows[r], 1);
  }
  return 0;
}

/* resolve_refs: the titles, names and usernames the reasons show. */
static int resolve_refs(struct db *d, struct arena *a, struct refs *rs) {
  static const char kinds[] = {'t', 'a', 'g', 'u'};
  for (int i = 0; i < 4; i++) {
    int rc = resolve_names(d, a, rs, kinds[i]);
    if (rc) return rc;
  }
  return 0;
}

/* reason_json: one reason object, or NULL when what it names is gone. */
static json_object *reason_json(enum recs_type t, const struct refs *rs,
                                int reason, long long id) {
  const char *name = ref_name(rs, reason_kind(t, reason), id);
  json_object *o, *x;
  switch (reason) {
  case RECFMT_R_ITEM:
  case RECFMT_R_ARTIST: {
    if (!name) return NULL;
    bool track = reason == RECFMT_R_ITEM && t == RECS_TRACK;
    o = json_object_new_object();
    jx_add_str(o, "type", reason == RECFMT_R_ITEM ? "listened" : "artist");
    x = json_object_new_object();
    jx_add_int(x, "id", id);
    jx_add_str(x, track ? "title" : "name", name);
    json_object_object_add(o, track ? "track" : "artist", x);
    return o;
  }
  case RECFMT_R_GENRE:
    if (!name) return NULL;
    o = json_object_new_object();
    jx_add_str(o, "type", "genre");
    jx_add_str(o, "genre", name);
    return o;
  case RECFMT_R_SOCIAL:
    if (!name) return NULL;
    o = json_object_new_object();
    jx_add_str(o, "type", "followed");
    x = json_object_new_object();
    jx_add_str(x, "username", name);
    json_object_object_add(o, "user", x);
    return o;
  case RECFMT_R_POPULAR:
    o = json_object_new_object();
    jx_add_str(o, "type", "popular");
    if (name) jx_add_str(o, "genre", name);
    return o;
  default:
    return NULL;
  }
}

static json_object *model_json(struct arena *a,
                               const struct recs_model_info *mi) {
  json_object *o = json_object_new_object();
  if (mi->sv.version) {
    jx_add_int(o, "version", mi->sv.version);
    jx_add_str(
        o, "data_until",
        arena_printf(a, "%.10sT%.12sZ", mi->sv.until, mi->sv.until + 11));
  } else {
    json_object_object_add(o, "version", NULL);
    json_object_object_add(o, "data_until", NULL);
  }
  jx_add_str(o, "fallback", mi->fallback);
  jx_add_str(o, "reason", mi->why);
  if (mi->fresh >= 0) jx_add_int(o, "fresh_listens", mi->fresh);
  return o;
}

int recs_answer(struct db *d, struct arena *a, enum recs_type t,
                struct recs_cand **sel, int n, const struct recs_model_info *mi,
                const char **text, size_t *len) {
  struct refs rs = {.r = arena_alloc(a, sizeof *rs.r * (size_t)(2 * n + 1)),
                    .n = 0};
  if (!rs.r) return RC_NOMEM;
  for (int i = 0; i < n; i++) {
    if (sel[i]->fresh > 0) ref_add(&rs, item_kind(t), sel[i]->fresh_id);
    char kind = reason_kind(t, sel[i]->main_reason);
    if (kind) ref_add(&rs, kind, sel[i]->main_id);
  }
  int rc = resolve_refs(d, a, &rs);
  if (rc) return rc;
  struct sbuf b;
  sbuf_init(&b, a);
  sbuf_adds(&b, "{\"items\":[");
  for (int i = 0; i < n; i++) {
    const struct recs_cand *c = sel[i];
    json_object *reasons = jx_own(a, json_object_new_array());
    json_object *fr =
        c->fresh > 0 ? reason_json(t, &rs, RECFMT_R_ITEM, c->fresh_id) : NULL;
    json_object *mr = NULL;
    /* "popular" says nothing once a listen explains the item */
    if (!(fr && c->main_reason == RECFMT_R_POPULAR))
      mr = reason_json(t, &rs, c->main_reason, c->main_id);
    if (fr && mr && c->main > c->fresh) {
      json_object_array_add(reasons, mr);
      json_object_array_add(reasons, fr);
    } else {
      if (fr) json_object_array_add(reasons, fr);
      if (mr) json_object_array_add(reasons, mr);
    }
    size_t rl;
    const char *rt = jx_text(a, reasons, &rl);
    if (!rt) return RC_NOMEM;
    sbuf_printf(&b,
                "%s{\"type\":\"%s\",\"id\":%lld,\"score\":%.4f,"
                "\"reasons\":",
                i ? "," : "", recs_type_names[t], c->item, c->score);
    sbuf_add(&b, rt, rl);
    sbuf_printf(&b, ",\"%s\":", recs_type_names[t]);
    sbuf_add(&b, c->text, c->len);
    sbuf_addc(&b, '}');
  }
  size_t ml;
  const char *mt = jx_text(a, jx_own(a, model_json(a, mi)), &ml);
  if (!mt) return RC_NOMEM;
  sbuf_adds(&b, "],\"model\":");
  sbuf_add(&b, mt, ml);
  sbuf_addc(&b, '}');
  if (b.oom) return RC_NOMEM;
  *text = b.s;
  *len = b.len;
  return 0;
}
