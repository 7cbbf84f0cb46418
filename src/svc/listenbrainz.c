/* listenbrainz: the ListenBrainz client; see listenbrainz.h. */
#include "svc/listenbrainz.h"

#include <string.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/rc.h"

/* auth: the Authorization header of a token. */
static const char *auth(struct arena *a, const char *token) {
  return arena_printf(a, "Authorization: Token %s", token);
}

int listenbrainz_validate(struct arena *a, const char *token,
                          const char **user_name, struct svc_answer *ans) {
  const char *h[] = {auth(a, token), NULL};
  const struct fetch_req q = {
      .url = svc_url(a, svc_cfg()->listenbrainz_api_url, "/1/validate-token"),
      .headers = h};
  *user_name = NULL;
  if (!h[0] || !q.url) return RC_NOMEM;
  int rc = svc_json(a, &q, ans);
  if (rc || ans->outcome != SVC_OK) return rc;
  json_object *valid = svc_path(ans->body, "valid", NULL);
  *user_name = svc_str(ans->body, "user_name");
  if (!json_object_get_boolean(valid) || !*user_name || !**user_name) {
    ans->outcome = SVC_REFUSED;
    ans->error = "ListenBrainz says the token is not valid";
  }
  return 0;
}

int listenbrainz_submit(struct arena *a, const char *token,
                        const struct listenbrainz_listen *l, int n,
                        struct svc_answer *ans) {
  json_object *body = jx_own(a, json_object_new_object());
  json_object *payload = json_object_new_array();
  if (!body || !payload) return RC_NOMEM;
  jx_add_str(body, "listen_type", n == 1 ? "single" : "import");
  for (int i = 0; i < n; i++) {
    json_object *o = json_object_new_object(), *m = json_object_new_object(),
                *info = json_object_new_object();
    jx_add_int(o, "listened_at", l[i].at_s);
    jx_add_str(m, "artist_name", l[i].artist);
    jx_add_str(m, "track_name", l[i].title);
    if (l[i].album) jx_add_str(m, "release_name", l[i].album);
    if (l[i].mbid) jx_add_str(info, "recording_mbid", l[i].mbid);
    if (l[i].duration_ms > 0) jx_add_int(info, "duration_ms", l[i].duration_ms);
    jx_add_str(info, "submission_client", "Encore");
    json_object_object_add(m, "additional_info", info);
    json_object_object_add(o, "track_metadata", m);
    json_object_array_add(payload, o);
  }
  json_object_object_add(body, "payload", payload);
  size_t len;
  const char *text = jx_text(a, body, &len);
  const char *h[] = {auth(a, token), "Content-Type: application/json", NULL};
  const struct fetch_req q = {
      .url = svc_url(a, svc_cfg()->listenbrainz_api_url, "/1/submit-listens"),
      .headers = h,
      .body = text,
      .body_len = len};
  if (!text || !h[0] || !q.url) return RC_NOMEM;
  return svc_json(a, &q, ans);
}

int listenbrainz_listens(struct arena *a, const char *user, const char *token,
                         long long min_ts, long long max_ts, int count,
                         struct listenbrainz_played *out, int *n,
                         struct svc_answer *ans) {
  struct sbuf name;
  sbuf_init(&name, a);
  svc_escape(&name, user);
  const char *url =
      name.s && !name.oom
          ? arena_printf(a,
                         "/1/user/%s/listens?min_ts=%lld&max_ts=%lld"
                         "&count=%d",
                         name.s, min_ts, max_ts, count)
          : NULL;
  url = url ? svc_url(a, svc_cfg()->listenbrainz_api_url, url) : NULL;
  const char *h[] = {auth(a, token), NULL};
  *n = 0;
  if (!url || !h[0]) return RC_NOMEM;
  const struct fetch_req q = {.url = url, .headers = h};
  int rc = svc_json(a, &q, ans);
  if (rc || ans->outcome != SVC_OK) return rc;
  json_object *arr = svc_path(ans->body, "payload", "listens", NULL);
  if (!json_object_is_type(arr, json_type_array)) {
    ans->outcome = SVC_DOUBT;
    ans->error = "ListenBrainz's listens answer is malformed";
    return 0;
  }
  size_t k = json_object_array_length(arr);
  for (size_t i = 0; i < k && *n < count; i++) {
    json_object *o = json_object_array_get_idx(arr, i);
    json_object *m = svc_path(o, "track_metadata", NULL);
    long long at = svc_int(o, "listened_at", 0);
    const char *artist = svc_str(m, "artist_name"),
               *title = svc_str(m, "track_name");
    if (at && artist && title)
      out[(*n)++] = (struct listenbrainz_played){
          .artist = artist, .title = title, .at_s = at};
  }
  return 0;
}
