/* applemusic: the Apple Music client; see applemusic.h. */
#include "svc/applemusic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/cfg.h"
#include "core/jx.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/tok.h"

/* The token this process made, and when. */
static struct {
  char *jwt; /* malloc'd */
  long long iat, exp;
} dev;

bool applemusic_configured(void) {
  const struct cfg *c = svc_cfg();
  return c && c->apple_music_team_id[0] && c->apple_music_key_id[0] &&
         c->apple_music_key_file[0];
}

/* read_key: the key file (at most 8 KiB) into the arena. */
static int read_key(struct arena *a, const char *path, char **pem,
                    size_t *len) {
  FILE *f = fopen(path, "re");
  if (!f) {
    log_msg(LOG_ERROR, "apple music key file unreadable", "err",
            strerror(errno), NULL);
    return RC_INVALID;
  }
  char *buf = arena_alloc(a, 8193);
  size_t n = buf ? fread(buf, 1, 8192, f) : 0;
  bool more = buf && fgetc(f) != EOF;
  fclose(f);
  if (!buf) return RC_NOMEM;
  if (!n || more) return RC_INVALID;
  buf[n] = '\0';
  *pem = buf;
  *len = n;
  return 0;
}

int applemusic_developer_token(struct arena *a, const char **token,
                               long long *expires_s) {
  const struct cfg *c = svc_cfg();
  long long now = (long long)time(NULL);
  if (!applemusic_configured()) return RC_UNAVAILABLE;
  if (dev.jwt && now < dev.iat + (dev.exp - dev.iat) / 2) {
    *token = arena_strdup(a, dev.jwt);
    *expires_s = dev.exp;
    return *token ? 0 : RC_NOMEM;
  }
  char *pem;
  size_t len;
  int rc = read_key(a, c->apple_music_key_file, &pem, &len);
  if (rc) return rc;
  long long exp = now + c->apple_music_token_ttl;
  json_object *claims = jx_own(a, json_object_new_object());
  if (!claims) return RC_NOMEM;
  jx_add_str(claims, "iss", c->apple_music_team_id);
  jx_add_int(claims, "iat", now);
  jx_add_int(claims, "exp", exp);
  size_t clen;
  const char *ctext = jx_text(a, claims, &clen);
  char *jwt;
  rc = ctext ? tok_es256(a, pem, len, c->apple_music_key_id, ctext, &jwt)
             : RC_NOMEM;
  explicit_bzero(pem, len);
  if (rc) {
    if (rc == RC_INVALID)
      log_msg(LOG_ERROR, "apple music key file is not a P-256 private key",
              NULL);
    return rc;
  }
  free(dev.jwt);
  dev.jwt = strdup(jwt);
  dev.iat = now;
  dev.exp = exp;
  *token = jwt;
  *expires_s = exp;
  return 0;
}

int applemusic_get(struct arena *a, const char *user_token, const char *path,
                   struct svc_answer *ans) {
  const char *dev_token;
  long long exp;
  if (strncmp(path, "/v1/", 4) != 0) {
    *ans = (struct svc_answer){.outcome = SVC_FAILED,
                               .error = "a link out of Apple Music's API"};
    return 0;
  }
  int rc = applemusic_developer_token(a, &dev_token, &exp);
  if (rc) {
    *ans = (struct svc_answer){.outcome = SVC_FAILED,
                               .error = "no Apple Music developer token"};
    return rc == RC_NOMEM ? rc : 0;
  }
  const char *h[] = {
      arena_printf(a, "Authorization: Bearer %s", dev_token),
      user_token ? arena_printf(a, "Music-User-Token: %s", user_token) : NULL,
      NULL};
  const char *url = svc_url(a, svc_cfg()->apple_music_api_url, path);
  if (!h[0] || (user_token && !h[1]) || !url) return RC_NOMEM;
  const struct fetch_req q = {.url = url, .headers = h};
  return svc_json(a, &q, ans);
}
