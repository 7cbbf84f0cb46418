/* h_listenbrainz: the ListenBrainz compatible API at /1/, so that players
 * that take a custom ListenBrainz URL scrobble to Encore: submit-listens
 * (single, playing_now, import of up to 1,000), validate-token, a user's
 * listens and playing-now. Users authenticate with `Authorization: Token
 * <token>` (their token: GET /api/v1/me/scrobble-token). Answers and
 * errors are ListenBrainz's ({"code": N, "error": "..."}), and every
 * answer carries X-RateLimit-Limit, -Remaining, -Reset-In and -Reset: a
 * token (or, without one, a client address) may make LB_RATE_LIMIT
 * requests per LB_RATE_WINDOW seconds, then gets 429. These routes declare
 * no query parameters: ListenBrainz defines them (docs/architecture.md,
 * "Integrations"). */
#include "api/handlers.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/app.h"
#include "api/req.h"
#include "api/social.h"
#include "core/arena.h"
#include "core/jx.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/listen.h"
#include "model/scrobble.h"
#include "model/throttle.h"
#include "model/user.h"

/* ListenBrainz's documented limits. */
#define LB_LISTENS_MAX 1000    /* listens of one import */
#define LB_LISTEN_BYTES 10240  /* one listen, as JSON */
#define LB_MIN_TS 1033410600LL /* the earliest listened_at */
#define LB_AHEAD_S 300LL       /* how far ahead of now one may be */
#define LB_GET_MAX 1000        /* listens one read returns */
#define LB_GET_DEFAULT 25
#define LB_TAGS_MAX 50
#define LB_TAG_CHARS 64
/* Requests per window, per token or client address. */
#define LB_RATE_LIMIT 100
#define LB_RATE_WINDOW 10

static const struct throttle_rule lb_rate = {
    .scope = "lb_rate", .free = LB_RATE_LIMIT, .window = LB_RATE_WINDOW};

/* problem: ListenBrainz's error body. */
static int problem(struct req *r, int status, const char *error) {
  struct arena *a = req_arena(r);
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_int(o, "code", status);
  jx_add_str(o, "error", error);
  req_set_error(r, error);
  if (status == 401)
    req_set_header(r, "WWW-Authenticate", "Token realm=\"listenbrainz\"");
  return req_reply_json(r, status, o);
}

/* token_of: the token of "Authorization: Token <t>" (NULL when absent);
 * *bad when the header is there but not of that form. */
static const char *token_of(struct req *r, bool *bad) {
  const char *h = req_header(r, "Authorization");
  *bad = false;
  if (!h) return NULL;
  if (strncasecmp(h, "Token ", 6) != 0) {
    *bad = true;
    return NULL;
  }
  h += 6;
  while (*h == ' ')
    h++;
  *bad = !*h || strlen(h) > 64;
  return *bad ? NULL : h;
}

/* limit: count this request against the caller's rate and set the
 * X-RateLimit-* headers. Returns 0, or answers 429 (or 503 without the
 * database) itself and returns its status. */
static int limit(struct req *r, const char *token) {
  struct arena *a = req_arena(r);
  const char *subject = token ? arena_printf(a, "t:%s", token)
                              : arena_printf(a, "a:%s", req_client_ip(r));
  struct throttle_key k = {&lb_rate, subject};
  int hits = 0, reset_in = LB_RATE_WINDOW;
  if (!subject) return problem(r, 500, "Out of memory.");
  if (throttle_take(app.db, a, &k, &hits, &reset_in))
    return problem(r, 503, "The database is unavailable; try again.");
  int left = hits >= LB_RATE_LIMIT ? 0 : LB_RATE_LIMIT - hits;
  req_set_header(r, "X-RateLimit-Limit", arena_printf(a, "%d", LB_RATE_LIMIT));
  req_set_header(r, "X-RateLimit-Remaining", arena_printf(a, "%d", left));
  req_set_header(r, "X-RateLimit-Reset-In", arena_printf(a, "%d", reset_in));
  req_set_header(r, "X-RateLimit-Reset",
                 arena_printf(a, "%lld", (long long)time(NULL) + reset_in));
  if (hits <= LB_RATE_LIMIT) return 0;
  req_set_header(r, "Retry-After", arena_printf(a, "%d", reset_in));
  return problem(r, 429,
                 "Too many requests. Wait for the number of seconds in "
                 "X-RateLimit-Reset-In and try again.");
}

/* caller: the user of the request's token; answers 401 itself (returning
 * the status) when it is missing or unknown. */
static int caller(struct req *r, const char *token, bool bad, long long *user,
                  const char **name) {
  if (bad || !token)
    return problem(r, 401,
                   "You need to provide an Authorization header: Token "
                   "<user token>.");
  int rc = scrobble_lbtoken_user(app.db, req_arena(r), token, user, name);
  if (rc == RC_NOT_FOUND)
    return problem(r, 401, "Invalid authorization token.");
  if (rc) return problem(r, 503, "The database is unavailable; try again.");
  return 0;
}

/* --- submit-listens ------------------------------------------------------- */

/* text_ok: a JSON string of 1..max code points without NUL. */
static bool text_ok(json_object *v, size_t max) {
  if (!json_object_is_type(v, json_type_string)) return false;
  const char *s = json_object_get_string(v);
  size_t n = (size_t)json_object_get_string_len(v);
  return n && strlen(s) == n && str_utf8_valid(s, n) &&
         str_utf8_len(s, n) <= max;
}

/* uuid_ok: 8-4-4-4-12 hex digits. */
static bool uuid_ok(const char *s) {
  if (strlen(s) != 36) return false;
  for (int i = 0; i < 36; i++) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = s[i];
    if (dash ? c != '-'
             : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                 (c >= 'A' && c <= 'F')))
      return false;
  }
  return true;
}

/* check_info: additional_info, the parts Encore reads (recording_mbid,
 * duration_ms or duration) and the limits on the rest. NULL or why not. */
static const char *check_info(json_object *info, struct scrobble *s) {
  if (!json_object_is_type(info, json_type_object))
    return "additional_info must be an object.";
  json_object *v;
  if (json_object_object_get_ex(info, "recording_mbid", &v) &&
      !json_object_is_type(v, json_type_null)) {
    if (!json_object_is_type(v, json_type_string) ||
        !uuid_ok(json_object_get_string(v)))
      return "recording_mbid must be a valid UUID.";
    s->mbid = json_object_get_string(v);
  }
  static const char *const mbid_lists[] = {"artist_mbids", "release_mbid",
                                           "release_group_mbid", NULL};
  for (int i = 0; mbid_lists[i]; i++) {
    if (!json_object_object_get_ex(info, mbid_lists[i], &v) ||
        json_object_is_type(v, json_type_null))
      continue;
    bool list = json_object_is_type(v, json_type_array);
    size_t n = list ? json_object_array_length(v) : 1;
    for (size_t k = 0; k < n; k++) {
      json_object *e = list ? json_object_array_get_idx(v, k) : v;
      if (!json_object_is_type(e, json_type_string) ||
          !uuid_ok(json_object_get_string(e)))
        return "MusicBrainz ids in additional_info must be valid UUIDs.";
    }
  }
  if (json_object_object_get_ex(info, "tags", &v)) {
    if (!json_object_is_type(v, json_type_array) ||
        json_object_array_length(v) > LB_TAGS_MAX)
      return "tags must be a list of at most 50 tags.";
    for (size_t k = 0; k < json_object_array_length(v); k++)
      if (!text_ok(json_object_array_get_idx(v, k), LB_TAG_CHARS))
        return "Each tag must be a string of at most 64 characters.";
  }
  if (json_object_object_get_ex(info, "duration_ms", &v)) {
    if (!json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 0 ||
        json_object_get_int64(v) > LISTEN_MS_PLAYED_MAX)
      return "duration_ms must be a non-negative integer.";
    s->duration_ms = json_object_get_int64(v);
  } else if (json_object_object_get_ex(info, "duration", &v)) {
    if (!json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 0 || json_object_get_int64(v) > 86400)
      return "duration must be a non-negative integer (seconds).";
    s->duration_ms = json_object_get_int64(v) * 1000;
  }
  return NULL;
}

/* check_listen: one listen of the payload into *s (playing: a
 * playing_now one, which has no listened_at). NULL or why not. */
static const char *check_listen(struct arena *a, json_object *l, bool playing,
                                long long now, struct scrobble *s) {
  *s = (struct scrobble){
      .duration_ms = -1, .ms_played = -1, .status = SCROBBLE_PENDING};
  if (!json_object_is_type(l, json_type_object))
    return "Each listen must be a JSON object.";
  size_t len;
  const char *text = jx_text(a, l, &len);
  if (text && len > LB_LISTEN_BYTES)
    return "A listen is larger than 10240 bytes.";
  json_object_object_foreach(l, key, val) {
    (void)val;
    if (strcmp(key, "listened_at") && strcmp(key, "track_metadata"))
      return "A listen may only have listened_at and track_metadata.";
  }
  json_object *at = NULL, *meta = NULL, *v;
  json_object_object_get_ex(l, "listened_at", &at);
  if (playing && at) return "A playing_now listen must not have listened_at.";
  if (!playing) {
    if (!json_object_is_type(at, json_type_int))
      return "Each listen needs listened_at, an integer UNIX time.";
    long long t = json_object_get_int64(at);
    if (t < LB_MIN_TS) return "listened_at is before 2002-10-01 (1033410600).";
    if (t > now + LB_AHEAD_S) return "listened_at is in the future.";
    s->at_ms = t * 1000;
  }
  if (!json_object_object_get_ex(l, "track_metadata", &meta) ||
      !json_object_is_type(meta, json_type_object))
    return "Each listen needs track_metadata, an object.";
  if (!json_object_object_get_ex(meta, "artist_name", &v) ||
      !text_ok(v, SCROBBLE_NAME_MAX))
    return "track_metadata.artist_name must be a string of 1 to 255 "
           "characters without NUL.";
  s->artist = json_object_get_string(v);
  if (!json_object_object_get_ex(meta, "track_name", &v) ||
      !text_ok(v, SCROBBLE_NAME_MAX))
    return "track_metadata.track_name must be a string of 1 to 255 "
           "characters without NUL.";
  s->title = json_object_get_string(v);
  if (json_object_object_get_ex(meta, "release_name", &v) &&
      !json_object_is_type(v, json_type_null)) {
    if (!text_ok(v, SCROBBLE_NAME_MAX))
      return "track_metadata.release_name must be a string of 1 to 255 "
             "characters without NUL.";
    s->album = json_object_get_string(v);
  }
  json_object *info;
  if (json_object_object_get_ex(meta, "additional_info", &info))
    return check_info(info, s);
  return NULL;
}

int h_lb_submit(struct req *r) {
  struct arena *a = req_arena(r);
  bool bad;
  const char *token = token_of(r, &bad);
  long long user;
  const char *name;
  int st = limit(r, token);
  if (st || (st = caller(r, token, bad, &user, &name))) return st;
  const char *body;
  size_t blen;
  req_body_raw(r, &body, &blen);
  json_object *doc = NULL, *type, *payload;
  const char *why = NULL;
  if (jx_parse(a, body, blen, &doc, &why) ||
      !json_object_is_type(doc, json_type_object))
    return problem(r, 400,
                   "Cannot parse JSON document: the body must be a "
                   "JSON object (valid UTF-8, no NUL).");
  json_object_object_foreach(doc, key, val) {
    (void)val;
    if (strcmp(key, "listen_type") && strcmp(key, "payload"))
      return problem(r, 400,
                     "The document may only have listen_type and "
                     "payload.");
  }
  if (!json_object_object_get_ex(doc, "listen_type", &type) ||
      !json_object_is_type(type, json_type_string))
    return problem(r, 400, "JSON document must contain a listen_type.");
  const char *lt = json_object_get_string(type);
  bool single = !strcmp(lt, "single"), playing = !strcmp(lt, "playing_now"),
       import = !strcmp(lt, "import");
  if (!single && !playing && !import)
    return problem(r, 400,
                   "listen_type must be single, playing_now or "
                   "import.");
  if (!json_object_object_get_ex(doc, "payload", &payload) ||
      !json_object_is_type(payload, json_type_array) ||
      !json_object_array_length(payload))
    return problem(r, 400,
                   "JSON document must contain a payload: a "
                   "non-empty list of listens.");
  size_t n = json_object_array_length(payload);
  if (!import && n != 1)
    return problem(r, 400,
                   "A single or playing_now submission holds "
                   "exactly one listen.");
  if (n > LB_LISTENS_MAX)
    return problem(r, 400,
                   "Too many listens. You may not submit more than "
                   "1000 listens at once.");
  struct scrobble *s = arena_alloc(a, sizeof *s * n);
  if (!s) return problem(r, 500, "Out of memory.");
  long long now = (long long)time(NULL);
  for (size_t i = 0; i < n; i++)
    if ((why = check_listen(a, json_object_array_get_idx(payload, i), playing,
                            now, &s[i])))
      return problem(r, 400,
                     n > 1 ? arena_printf(a, "payload[%zu]: %s", i, why) : why);
  if (playing) {
    struct scrobble_now np = {.artist = s[0].artist,
                              .title = s[0].title,
                              .album = s[0].album,
                              .duration_ms = s[0].duration_ms};
    if (scrobble_now_set(app.db, a, user, "listenbrainz", &np))
      return problem(r, 503, "The database is unavailable; try again.");
  } else {
    int rc = scrobble_store(app.db, app.kv, a, user, "listenbrainz", s, (int)n,
                            true);
    if (rc == RC_LIMIT)
      return problem(r, 400,
                     "Too many listens are waiting for their track "
                     "in the catalogue; nothing was stored.");
    if (rc) return problem(r, 503, "The database is unavailable; try again.");
    long long *at = arena_alloc(a, sizeof *at * n);
    int nat = 0;
    for (size_t i = 0; at && i < n; i++)
      if (s[i].status == SCROBBLE_STORED) at[nat++] = s[i].at_ms;
    if (nat) social_listened(r, user, at, nat);
  }
  json_object *ok = jx_own(a, json_object_new_object());
  jx_add_str(ok, "status", "ok");
  return req_reply_json(r, 200, ok);
}

/* --- reads ---------------------------------------------------------------- */

int h_lb_validate(struct req *r) {
  struct arena *a = req_arena(r);
  bool bad;
  const char *token = token_of(r, &bad);
  if (!token && !bad) token = req_query(r, "token");
  int st = limit(r, token);
  if (st) return st;
  if (!token || !*token || bad)
    return problem(r, 400, "You need to provide an Authorization token.");
  long long user;
  const char *name;
  int rc = scrobble_lbtoken_user(app.db, a, token, &user, &name);
  if (rc && rc != RC_NOT_FOUND)
    return problem(r, 503, "The database is unavailable; try again.");
  json_object *o = jx_own(a, json_object_new_object());
  jx_add_int(o, "code", 200);
  jx_add_str(o, "message", rc ? "Token invalid." : "Token valid.");
  jx_add_bool(o, "valid", !rc);
  if (!rc) jx_add_str(o, "user_name", name);
  return req_reply_json(r, 200, o);
}

/* owner: the user named in the path, visible to the caller (a token is
 * optional on reads); answers 404 (or 401 for a bad token) itself. */
static int owner(struct req *r, struct user *u) {
  bool bad;
  const char *token = token_of(r, &bad);
  long long viewer = 0;
  const char *vname;
  int st = limit(r, token);
  if (st) return st;
  if (bad) return problem(r, 401, "Invalid authorization token.");
  if (token && (st = caller(r, token, bad, &viewer, &vname))) return st;
  const char *name = req_param(r, "user_name");
  bool visible = false;
  int rc = user_by_username(app.db, req_arena(r), name, u);
  if (!rc && !u->confirmed) rc = RC_NOT_FOUND;
  if (!rc)
    rc = listen_history_visible(app.db, req_arena(r), u->id, viewer, &visible);
  if (rc == RC_NOT_FOUND || (!rc && !visible))
    return problem(r, 404,
                   arena_printf(req_arena(r), "Cannot find user: %s", name));
  if (rc) return problem(r, 503, "The database is unavailable; try again.");
  return 0;
}

/* ts_param: an optional UNIX time of the query; -1 when malformed. */
static long long ts_param(struct req *r, const char *name, long long dflt) {
  const char *v = req_query(r, name);
  long long x;
  if (!v) return dflt;
  return str_parse_i64(v, 0, 253402300799LL, &x) ? -1 : x;
}

/* metadata: the track_metadata of a listen read back. */
static json_object *metadata(const char *artist, const char *title,
                             const char *album, const char *mbid,
                             long long dur) {
  json_object *m = json_object_new_object(), *info = json_object_new_object();
  jx_add_str(m, "artist_name", artist);
  jx_add_str(m, "track_name", title);
  if (album) jx_add_str(m, "release_name", album);
  if (mbid) jx_add_str(info, "recording_mbid", mbid);
  if (dur > 0) jx_add_int(info, "duration_ms", dur);
  json_object_object_add(m, "additional_info", info);
  return m;
}

int h_lb_listens(struct req *r) {
  struct arena *a = req_arena(r);
  struct user u;
  int st = owner(r, &u);
  if (st) return st;
  long long min = ts_param(r, "min_ts", 0), max = ts_param(r, "max_ts", 0),
            count = LB_GET_DEFAULT;
  const char *cs = req_query(r, "count");
  if (min < 0 || max < 0 || (cs && str_parse_i64(cs, 1, LB_GET_MAX, &count)))
    return problem(r, 400,
                   "min_ts and max_ts must be UNIX times and count "
                   "a number from 1 to 1000.");
  /* min_ts and max_ts are both exclusive. */
  struct scrobble_window w = {.user = u.id,
                              .from_ms = min ? (min + 1) * 1000 : 0,
                              .to_ms = max ? max * 1000 : 0,
                              .limit = (int)count};
  struct scrobble_played *rows = arena_alloc(a, sizeof *rows * (size_t)count);
  int n = 0;
  if (!rows || scrobble_recent(app.db, a, &w, rows, &n, NULL))
    return problem(r, 503, "The database is unavailable; try again.");
  json_object *out = jx_own(a, json_object_new_object());
  json_object *payload = json_object_new_object(),
              *listens = json_object_new_array();
  for (int i = 0; i < n; i++) {
    const struct scrobble_played *p = &rows[i];
    json_object *l = json_object_new_object();
    jx_add_int(l, "listened_at", p->at_ms / 1000);
    jx_add_str(l, "user_name", u.username);
    json_object_object_add(
        l, "track_metadata",
        metadata(p->artist, p->title, p->album, p->mbid, p->duration_ms));
    json_object_array_add(listens, l);
  }
  jx_add_int(payload, "count", n);
  jx_add_str(payload, "user_id", u.username);
  jx_add_int(payload, "latest_listen_ts", n ? rows[0].at_ms / 1000 : 0);
  jx_add_int(payload, "oldest_listen_ts", n ? rows[n - 1].at_ms / 1000 : 0);
  json_object_object_add(payload, "listens", listens);
  json_object_object_add(out, "payload", payload);
  return req_reply_json(r, 200, out);
}

int h_lb_playing_now(struct req *r) {
  struct arena *a = req_arena(r);
  struct user u;
  int st = owner(r, &u);
  if (st) return st;
  struct scrobble_now np;
  int rc = scrobble_now_get(app.db, a, u.id, &np);
  if (rc && rc != RC_NOT_FOUND)
    return problem(r, 503, "The database is unavailable; try again.");
  json_object *out = jx_own(a, json_object_new_object());
  json_object *payload = json_object_new_object(),
              *listens = json_object_new_array();
  if (!rc) {
    json_object *l = json_object_new_object();
    jx_add_bool(l, "playing_now", true);
    json_object_object_add(
        l, "track_metadata",
        metadata(np.artist, np.title, np.album, NULL, np.duration_ms));
    json_object_array_add(listens, l);
  }
  jx_add_int(payload, "count", rc ? 0 : 1);
  jx_add_str(payload, "user_id", u.username);
  jx_add_bool(payload, "playing_now", !rc);
  json_object_object_add(payload, "listens", listens);
  json_object_object_add(out, "payload", payload);
  return req_reply_json(r, 200, out);
}
