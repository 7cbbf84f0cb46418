/* h_lastfm: the Last.fm 2.0 compatible API at /2.0/, so that scrobbling
 * clients work with Encore unchanged. One route per HTTP method; the
 * protocol's parameters come from the query string and, for POST, the
 * form body (req_pairs), all of them signed; errors are Last.fm's codes
 * in its XML or JSON shape (api/lfm.h), never problem+json. The route
 * declares no query parameters of its own: Last.fm defines them (see
 * docs/architecture.md, "Integrations").
 *
 * Checks, in Last.fm's order: the method exists (3), the API key is an
 * application's (10), the signature when one is required or a session
 * key is given (13: md5 of every parameter but format, callback and
 * api_sig, sorted by name in byte order, name and value concatenated, the
 * shared secret appended), the session key when the method needs one (9:
 * unknown, another application's, expired). Write methods need POST. */
#include "api/handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/app.h"
#include "api/guard.h"
#include "api/lfm.h"
#include "api/req.h"
#include "api/social.h"
#include "core/arena.h"
#include "core/md5.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/like.h"
#include "model/listen.h"
#include "model/match.h"
#include "model/scrobble.h"
#include "model/user.h"

/* Parameters of one request: 50 scrobbles of up to 11 each, and the rest. */
#define LFM_PAIRS_MAX 640
/* Offsets past this many scrobbles are refused (use from/to). */
#define LFM_PAGE_DEPTH 100000

/* One request under way. */
struct call {
  struct req *r;
  struct arena *a;
  const struct req_kv *kv;
  int n;
  bool json;
  struct scrobble_app app;
  long long user; /* the session's user, 0 without one */
  const char *username;
};

/* param: the value of parameter `name`, or NULL. */
static const char *param(const struct call *c, const char *name) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->kv[i].name, name)) return c->kv[i].value;
  return NULL;
}

static int fail(struct call *c, enum lfm_error code, const char *msg) {
  return lfm_fail(c->r, code, msg, c->json);
}

/* need: a required parameter, or NULL after answering error 6. */
static const char *need(struct call *c, const char *name, int *st) {
  const char *v = param(c, name);
  if (v && *v) return v;
  *st = fail(c, LFM_INVALID_PARAMS,
             arena_printf(c->a, "Invalid parameters - %s is required", name));
  return NULL;
}

static int cmp_kv(const void *x, const void *y) {
  return strcmp(((const struct req_kv *)x)->name,
                ((const struct req_kv *)y)->name);
}

/* signed_ok: api_sig is Last.fm's signature of the request under the
 * application's secret. */
static bool signed_ok(struct call *c) {
  const char *sig = param(c, "api_sig");
  if (!sig || strlen(sig) != 32) return false;
  struct req_kv *sorted =
      arena_alloc(c->a, sizeof *sorted * (size_t)(c->n + 1));
  int k = 0;
  if (!sorted) return false;
  for (int i = 0; i < c->n; i++)
    if (strcmp(c->kv[i].name, "api_sig") && strcmp(c->kv[i].name, "format") &&
        strcmp(c->kv[i].name, "callback"))
      sorted[k++] = c->kv[i];
  qsort(sorted, (size_t)k, sizeof *sorted, cmp_kv);
  struct md5 m;
  char want[33], got[33];
  md5_init(&m);
  for (int i = 0; i < k; i++) {
    md5_add(&m, sorted[i].name, strlen(sorted[i].name));
    md5_add(&m, sorted[i].value, strlen(sorted[i].value));
  }
  md5_add(&m, c->app.secret, strlen(c->app.secret));
  md5_end_hex(&m, want);
  for (int i = 0; i < 32; i++)
    got[i] =
        (char)(sig[i] >= 'A' && sig[i] <= 'F' ? sig[i] - 'A' + 'a' : sig[i]);
  got[32] = '\0';
  return str_eq_ct(want, got, 32);
}

static long long now_s(void) {
  return (long long)time(NULL);
}

/* session_node: <session><name/><key/><subscriber/></session>. */
static int reply_session(struct call *c, const char *name, const char *sk) {
  struct lfm_node *root = lfm_root(c->a);
  struct lfm_node *s = lfm_el(root, "session");
  lfm_leaf(s, "name", name);
  lfm_leaf(s, "key", sk);
  lfm_leaf(s, "subscriber", "0");
  return lfm_reply(c->r, root, c->json);
}

/* open_session: a session of user for the request's application. */
static int open_session(struct call *c, const struct user *u) {
  char sk[SCROBBLE_KEY_LEN + 1];
  int rc = scrobble_session_open(app.db, c->a, u->id, c->app.id, sk);
  if (rc) return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  return reply_session(c, u->username, sk);
}

/* --- auth.* --------------------------------------------------------------- */

static int auth_mobile(struct call *c) {
  int st = 0, retry = 0;
  const char *name = need(c, "username", &st);
  if (!name) return st;
  const char *password = param(c, "password"), *token = param(c, "authToken");
  if ((!password || !*password) && (!token || !*token))
    return fail(c, LFM_INVALID_PARAMS,
                "Invalid parameters - password or authToken is required");
  struct user u;
  int rc = password && *password
               ? guard_login(c->r, name, password, &u, &retry)
               : guard_auth_token(c->r, name, token, &u, &retry);
  if (rc == RC_THROTTLED) {
    req_set_header(c->r, "Retry-After", arena_printf(c->a, "%d", retry));
    return fail(c, LFM_RATE_LIMITED,
                arena_printf(c->a,
                             "Rate limit exceeded - too many failed logins: "
                             "retry in %d seconds",
                             retry));
  }
  if (rc == RC_UNAUTHORIZED)
    return fail(c, LFM_AUTH_FAILED,
                "Authentication Failed - Invalid username or password");
  if (rc == RC_SUSPENDED)
    return fail(c, LFM_AUTH_FAILED,
                "Authentication Failed - The account is suspended");
  if (rc) return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  return open_session(c, &u);
}

static int auth_token(struct call *c) {
  char token[SCROBBLE_KEY_LEN + 1];
  int rc = scrobble_token_new(app.db, c->a, c->app.id, token);
  if (rc == RC_LIMIT) {
    req_set_header(c->r, "Retry-After", "60");
    return fail(c, LFM_RATE_LIMITED,
                "Rate limit exceeded - this application has too many "
                "tokens waiting for approval");
  }
  if (rc) return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  struct lfm_node *root = lfm_root(c->a);
  lfm_leaf(root, "token", token);
  return lfm_reply(c->r, root, c->json);
}

static int auth_session(struct call *c) {
  int st = 0;
  const char *token = need(c, "token", &st);
  if (!token) return st;
  long long user = 0;
  int rc = scrobble_token_take(app.db, c->a, token, c->app.id, &user);
  if (rc == RC_NOT_FOUND)
    return fail(c, LFM_AUTH_FAILED, "Invalid authentication token supplied");
  if (rc == RC_UNAUTHORIZED)
    return fail(c, LFM_TOKEN_UNAUTHORIZED,
                "Unauthorized Token - This token has not been authorized");
  if (rc == RC_PRECONDITION)
    return fail(c, LFM_TOKEN_EXPIRED, "Token has expired");
  struct user u;
  if (!rc) rc = user_get(app.db, c->a, user, &u);
  if (rc) return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  return open_session(c, &u);
}

/* --- track.* -------------------------------------------------------------- */

/* names: artist and track of a single-track method (6 when missing or
 * not names). */
static int names(struct call *c, const char **artist, const char **title) {
  int st = 0;
  if (!(*artist = need(c, "artist", &st)) || !(*title = need(c, "track", &st)))
    return st;
  size_t an = strlen(*artist), tn = strlen(*title);
  if (str_utf8_len(*artist, an) > SCROBBLE_NAME_MAX ||
      str_utf8_len(*title, tn) > SCROBBLE_NAME_MAX)
    return fail(c, LFM_INVALID_PARAMS,
                "Invalid parameters - names are at most 255 characters");
  return 0;
}

/* corrected: <name corrected="0">text</name>. */
static void corrected(struct lfm_node *p, const char *name, const char *text) {
  lfm_attr(lfm_leaf(p, name, text), "corrected", "0");
}

static int now_playing(struct call *c) {
  const char *artist, *title;
  int st = names(c, &artist, &title);
  if (st) return st;
  const char *album = param(c, "album"), *dur = param(c, "duration");
  long long d = -1;
  if (dur && str_parse_i64(dur, 1, 86400, &d)) d = -1;
  if (album &&
      (!*album || str_utf8_len(album, strlen(album)) > SCROBBLE_NAME_MAX))
    album = NULL;
  struct scrobble_now np = {.artist = artist,
                            .title = title,
                            .album = album,
                            .duration_ms = d > 0 ? d * 1000 : -1};
  if (scrobble_now_set(app.db, c->a, c->user, "lastfm", &np))
    return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  struct lfm_node *root = lfm_root(c->a);
  struct lfm_node *n = lfm_el(root, "nowplaying");
  corrected(n, "track", title);
  corrected(n, "artist", artist);
  corrected(n, "album", album);
  corrected(n, "albumArtist", param(c, "albumArtist"));
  lfm_attr(lfm_leaf(n, "ignoredMessage", ""), "code", "0");
  return lfm_reply(c->r, root, c->json);
}

static const char *const ignored_text[] = {
    [LFM_IGNORED_NONE] = "",
    [LFM_IGNORED_ARTIST] = "Artist was ignored",
    [LFM_IGNORED_TRACK] = "Track was ignored",
    [LFM_IGNORED_TOO_OLD] = "Timestamp was too old",
    [LFM_IGNORED_TOO_NEW] = "Timestamp was too new",
    [LFM_IGNORED_DAILY] = "Daily scrobble limit exceeded",
};

static int scrobble(struct call *c) {
  struct lfm_batch *b = arena_alloc(c->a, sizeof *b);
  const char *why = NULL;
  if (!b) return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  if (lfm_batch_parse(c->a, c->kv, c->n, now_s(), b, &why))
    return fail(c, LFM_INVALID_PARAMS,
                arena_printf(c->a, "Invalid parameters - %s", why));
  int want = 0, allowed = 0;
  for (int i = 0; i < b->n; i++)
    want += b->s[i].status == SCROBBLE_PENDING;
  if (want && scrobble_day_take(app.db, c->a, c->user, want, &allowed))
    return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  for (int i = 0, k = 0; i < b->n; i++)
    if (b->s[i].status == SCROBBLE_PENDING && k++ >= allowed) {
      b->s[i].status = SCROBBLE_IGNORED;
      b->s[i].why = SCROBBLE_DAILY_LIMIT;
    }
  if (scrobble_store(app.db, app.kv, c->a, c->user, "lastfm", b->s, b->n,
                     false))
    return fail(c, LFM_TEMPORARY,
                "There was a temporary error processing your request. "
                "Please try again");
  long long *at = arena_alloc(c->a, sizeof *at * LFM_BATCH_MAX);
  int nat = 0, accepted = 0, ignored = 0;
  struct lfm_node *root = lfm_root(c->a);
  struct lfm_node *list = lfm_el(root, "scrobbles");
  for (int i = 0; i < b->n; i++) {
    const struct scrobble *s = &b->s[i];
    enum lfm_ignored code = s->status == SCROBBLE_IGNORED
                                ? lfm_ignored_code(s->why)
                                : LFM_IGNORED_NONE;
    if (s->status == SCROBBLE_IGNORED && code == LFM_IGNORED_NONE)
      code = LFM_IGNORED_TRACK;
    if (code) {
      ignored++;
    } else {
      accepted++;
      if (s->status == SCROBBLE_STORED && at) at[nat++] = s->at_ms;
    }
    struct lfm_node *x = lfm_item(list, "scrobble");
    corrected(x, "track", s->title);
    corrected(x, "artist", s->artist);
    corrected(x, "album", s->album);
    corrected(x, "albumArtist", b->album_artist[i]);
    lfm_leaf_int(x, "timestamp", b->at_s[i]);
    lfm_attr_int(lfm_leaf(x, "ignoredMessage", ignored_text[code]), "code",
                 code);
  }
  lfm_attr_int(list, "accepted", accepted);
  lfm_attr_int(list, "ignored", ignored);
  if (nat) social_listened(c->r, c->user, at, nat);
  return lfm_reply(c->r, root, c->json);
}

static int love(struct call *c, bool loved) {
  const char *artist, *title;
  int st = names(c, &artist, &title);
  if (st) return st;
  struct match_item m = {.artist = artist, .title = title, .duration_ms = -1};
  int rc = match_prepare(c->a, &m);
  if (!rc) rc = match_resolve(app.db, c->a, &m, 1);
  if (!rc && m.track_id) {
    bool added;
    rc = loved ? like_put(app.db, app.kv, c->a, c->user, LIKE_TRACK, m.track_id,
                          &added)
               : like_delete(app.db, app.kv, c->a, c->user, LIKE_TRACK,
                             m.track_id);
    if (rc == RC_NOT_FOUND) rc = 0; /* the track went meanwhile */
    if (!rc && loved && added)
      social_after(c->r, SOCIAL_LIKED_TRACK, c->user, m.track_id, 1);
  } else if (!rc) {
    rc = scrobble_love_text(app.db, c->a, c->user, &m, artist, title, loved);
  }
  if (rc == RC_LIMIT)
    return fail(c, LFM_INVALID_PARAMS,
                "Invalid parameters - too many loved tracks");
  if (rc) return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  return lfm_reply(c->r, lfm_root(c->a), c->json);
}

static int track_love(struct call *c) {
  return love(c, true);
}

static int track_unlove(struct call *c) {
  return love(c, false);
}

/* --- user.* --------------------------------------------------------------- */

/* target: the user a user.* method is about (`user`, or the session's),
 * visible to the caller. Answers the error itself (returns its status)
 * when there is none. */
static int target(struct call *c, struct user *u) {
  const char *name = param(c, "user");
  int rc;
  if (name && *name) {
    if (!user_name_valid(name))
      return fail(c, LFM_INVALID_PARAMS, "User not found");
    rc = user_by_username(app.db, c->a, name, u);
  } else if (c->user) {
    rc = user_get(app.db, c->a, c->user, u);
  } else {
    return fail(c, LFM_INVALID_PARAMS, "Invalid parameters - user is required");
  }
  if (rc == RC_NOT_FOUND || (!rc && !u->confirmed))
    return fail(c, LFM_INVALID_PARAMS, "User not found");
  bool visible = false;
  if (!rc) rc = listen_history_visible(app.db, c->a, u->id, c->user, &visible);
  if (rc) return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  if (!visible)
    return fail(c, LFM_LOGIN_REQUIRED,
                "Login: this user's scrobbles are private");
  return 0;
}

/* number: an optional integer parameter in [lo, hi] (dflt when absent);
 * -1 when malformed. */
static long long number(struct call *c, const char *name, long long lo,
                        long long hi, long long dflt) {
  const char *v = param(c, name);
  long long x;
  if (!v || !*v) return dflt;
  return str_parse_i64(v, lo, hi, &x) ? -1 : x;
}

/* date_text: Last.fm's "01 Jan 2024, 10:00" of a UNIX time. */
static const char *date_text(struct arena *a, long long s) {
  char buf[40];
  time_t t = (time_t)s;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(buf, sizeof buf, "%d %b %Y, %H:%M", &tm);
  return arena_strdup(a, buf);
}

/* played: one <track> of a recent-tracks page. */
static struct lfm_node *played(struct call *c, struct lfm_node *list,
                               const char *artist, const char *artist_mbid,
                               const char *title, const char *mbid,
                               const char *album, long long track_id,
                               bool extended) {
  struct lfm_node *t = lfm_item(list, "track");
  if (extended) {
    struct lfm_node *ar = lfm_el(t, "artist");
    lfm_leaf(ar, "name", artist);
    lfm_leaf(ar, "mbid", artist_mbid);
    lfm_leaf(ar, "url", "");
  } else {
    lfm_attr(lfm_leaf(t, "artist", artist), "mbid", artist_mbid);
  }
  lfm_leaf(t, "name", title);
  lfm_leaf(t, "streamable", "0");
  lfm_leaf(t, "mbid", mbid);
  lfm_attr(lfm_leaf(t, "album", album), "mbid", "");
  lfm_leaf(t, "url",
           track_id ? arena_printf(c->a, "%s/api/v1/tracks/%lld",
                                   app.cfg.public_url, track_id)
                    : "");
  return t;
}

static int recent_tracks(struct call *c) {
  struct user u;
  int st = target(c, &u);
  if (st) return st;
  long long limit = number(c, "limit", 1, 200, 50),
            page = number(c, "page", 1, 1000000, 1),
            from = number(c, "from", 0, 253402300799LL, 0),
            to = number(c, "to", 0, 253402300799LL, 0),
            ext = number(c, "extended", 0, 1, 0);
  if (limit < 0 || page < 0 || from < 0 || to < 0 || ext < 0)
    return fail(c, LFM_INVALID_PARAMS,
                "Invalid parameters - limit (1-200), page, from, to and "
                "extended (0 or 1) must be numbers");
  if ((page - 1) * limit > LFM_PAGE_DEPTH)
    return fail(c, LFM_INVALID_PARAMS,
                "Invalid parameters - page too deep: narrow with from and to");
  /* from and to are inclusive in seconds; the window is [from, to + 1 s) */
  struct scrobble_window w = {.user = u.id,
                              .from_ms = from * 1000,
                              .to_ms = to ? (to + 1) * 1000 : 0,
                              .offset = (page - 1) * limit,
                              .limit = (int)limit};
  struct scrobble_played *rows = arena_alloc(c->a, sizeof *rows * 200);
  int n = 0;
  long long total = 0;
  if (!rows || scrobble_recent(app.db, c->a, &w, rows, &n, &total))
    return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  struct lfm_node *root = lfm_root(c->a);
  struct lfm_node *list = lfm_el(root, "recenttracks");
  lfm_attr(list, "user", u.username);
  lfm_attr_int(list, "page", page);
  lfm_attr_int(list, "perPage", limit);
  lfm_attr_int(list, "totalPages", (total + limit - 1) / limit);
  lfm_attr_int(list, "total", total);
  struct scrobble_now np;
  if (page == 1 && !to && scrobble_now_get(app.db, c->a, u.id, &np) == 0) {
    /* Playing since: clients that read every track's date (pylast) find
     * one here too. */
    struct lfm_node *t = played(c, list, np.artist, "", np.title, "", np.album,
                                np.track_id, ext);
    lfm_attr(t, "nowplaying", "true");
    lfm_attr_int(lfm_leaf(t, "date", date_text(c->a, np.started_ms / 1000)),
                 "uts", np.started_ms / 1000);
  }
  for (int i = 0; i < n; i++) {
    const struct scrobble_played *p = &rows[i];
    struct lfm_node *t = played(c, list, p->artist, p->artist_mbid, p->title,
                                p->mbid, p->album, p->track_id, ext);
    lfm_attr_int(lfm_leaf(t, "date", date_text(c->a, p->at_ms / 1000)), "uts",
                 p->at_ms / 1000);
  }
  return lfm_reply(c->r, root, c->json);
}

static int user_info(struct call *c) {
  struct user u;
  int st = target(c, &u);
  if (st) return st;
  long long matched = 0, unmatched = 0;
  if (match_stats(app.db, c->a, u.id, &matched, &unmatched))
    return fail(c, LFM_OPERATION_FAILED, "Operation failed - try again");
  struct lfm_node *root = lfm_root(c->a);
  struct lfm_node *x = lfm_el(root, "user");
  lfm_leaf(x, "name", u.username);
  lfm_leaf(x, "realname", u.display_name);
  lfm_leaf(
      x, "url",
      arena_printf(c->a, "%s/api/v1/users/%s", app.cfg.public_url, u.username));
  lfm_leaf(x, "country", "None");
  lfm_leaf(x, "age", "0");
  lfm_leaf(x, "gender", "n");
  lfm_leaf(x, "subscriber", "0");
  lfm_leaf_int(x, "playcount", matched + unmatched);
  lfm_leaf(x, "playlists", "0");
  lfm_leaf(x, "bootstrap", "0");
  lfm_attr_int(lfm_leaf(x, "registered", date_text(c->a, u.created_at)),
               "unixtime", u.created_at);
  lfm_leaf(x, "type", "user");
  return lfm_reply(c->r, root, c->json);
}

/* --- dispatch ------------------------------------------------------------- */

enum {
  M_SIGNED = 1 << 0,  /* api_sig required */
  M_SESSION = 1 << 1, /* sk required (and signed) */
  M_POST = 1 << 2,    /* a write: POST only */
};

static const struct method {
  const char *name;
  int (*fn)(struct call *c);
  unsigned flags;
} methods[] = {
    {"auth.getMobileSession", auth_mobile, M_SIGNED | M_POST},
    {"auth.getToken", auth_token, M_SIGNED},
    {"auth.getSession", auth_session, M_SIGNED},
    {"track.updateNowPlaying", now_playing, M_SESSION | M_POST},
    {"track.scrobble", scrobble, M_SESSION | M_POST},
    {"track.love", track_love, M_SESSION | M_POST},
    {"track.unlove", track_unlove, M_SESSION | M_POST},
    {"user.getRecentTracks", recent_tracks, 0},
    {"user.getInfo", user_info, 0},
};

/* format: xml (the default) or json; NULL for anything else. */
static const char *format_of(const char *f) {
  if (!f || !*f || !strcmp(f, "xml")) return "xml";
  return strcmp(f, "json") ? NULL : "json";
}

static int serve(struct req *r, bool post) {
  struct call c = {.r = r, .a = req_arena(r)};
  const char *fmt = format_of(req_query(r, "format"));
  if (req_pairs(r, LFM_PAIRS_MAX, &c.kv, &c.n)) {
    c.json = fmt && !strcmp(fmt, "json");
    return fail(&c, LFM_INVALID_PARAMS,
                "Invalid parameters - the request is malformed (a bad "
                "escape, invalid UTF-8, a NUL byte, or too many "
                "parameters)");
  }
  fmt = format_of(param(&c, "format"));
  c.json = fmt && !strcmp(fmt, "json");
  if (!fmt)
    return fail(&c, LFM_INVALID_FORMAT,
                "Invalid format - This service doesn't exist in that format");
  for (int i = 0; i < c.n; i++)
    for (int k = 0; k < i; k++)
      if (!strcmp(c.kv[i].name, c.kv[k].name))
        return fail(&c, LFM_INVALID_PARAMS,
                    arena_printf(c.a, "Invalid parameters - %s is given twice",
                                 c.kv[i].name));
  const char *name = param(&c, "method");
  const struct method *m = NULL;
  for (size_t i = 0; name && i < sizeof methods / sizeof methods[0]; i++)
    if (!strcasecmp(methods[i].name, name)) m = &methods[i];
  if (!m)
    return fail(&c, LFM_INVALID_METHOD,
                "Invalid Method - No method with that name in this package");
  if ((m->flags & M_POST) && !post)
    return fail(
        &c, LFM_INVALID_PARAMS,
        arena_printf(c.a, "Invalid parameters - %s must be a POST", m->name));
  int st = 0;
  const char *key = need(&c, "api_key", &st);
  if (!key) return st;
  int rc = strlen(key) == SCROBBLE_KEY_LEN
               ? scrobble_app_find(app.db, c.a, key, &c.app)
               : RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND)
    return fail(&c, LFM_INVALID_API_KEY,
                "Invalid API key - You must be granted a valid key by Encore "
                "(/api/v1/me/api-keys)");
  if (rc) return fail(&c, LFM_OPERATION_FAILED, "Operation failed - try again");
  const char *sk = param(&c, "sk");
  if ((m->flags & (M_SIGNED | M_SESSION)) || sk) {
    if (!param(&c, "api_sig"))
      return fail(&c, LFM_INVALID_PARAMS,
                  "Invalid parameters - api_sig is required");
    if (!signed_ok(&c))
      return fail(&c, LFM_INVALID_SIGNATURE,
                  "Invalid method signature supplied");
  }
  if ((m->flags & M_SESSION) && (!sk || !*sk))
    return fail(&c, LFM_INVALID_PARAMS, "Invalid parameters - sk is required");
  if (sk) {
    rc = scrobble_session_user(app.db, c.a, sk, c.app.id, &c.user, &c.username);
    if (rc == RC_NOT_FOUND)
      return fail(&c, LFM_INVALID_SESSION,
                  "Invalid session key - Please re-authenticate");
    if (rc)
      return fail(&c, LFM_OPERATION_FAILED, "Operation failed - try again");
  }
  return m->fn(&c);
}

int h_lastfm_get(struct req *r) {
  return serve(r, false);
}

int h_lastfm_post(struct req *r) {
  return serve(r, true);
}
