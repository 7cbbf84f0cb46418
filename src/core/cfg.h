/* cfg: configuration from a key = value file, overridden by ENCORE_<KEY>
 * environment variables (key upper-cased), with secrets kept in a separate file
 * of mode 0600 that is generated on first run. */
#ifndef ENCORE_CFG_H
#define ENCORE_CFG_H

#include <stdbool.h>

/* Every setting, with its default. Keys are the field names. */
struct cfg {
  char *socket;       /* FastCGI unix socket path ("run/encore-api.sock") */
  int socket_mode;    /* octal in the file, e.g. 0660 */
  int workers;        /* number of worker processes (default 4) */
  char *pid_file;     /* master pid file, "" for none */
  char *log_file;     /* "-" for stderr */
  char *log_level;    /* debug|info|warn|error */
  char *db_socket;    /* MariaDB unix socket; empty: TCP */
  char *db_host;      /* default 127.0.0.1 */
  char *db_hosts;     /* "host:port,host:port,...": database nodes tried in
                         order, failing over (core/db.h); empty: db_host */
  int db_port;        /* default 3306 */
  char *db_name;      /* default "encore" */
  char *db_user;      /* default "encore" */
  char *db_password;  /* secret; default "" */
  char *kv_servers;   /* memcached: "/path.sock" or "host:port[,host:port]" */
  char *secrets_file; /* where generated secrets live ("secrets.conf") */
  char *jwt_secret;   /* secret; base64url of 32+ random bytes, generated */
  char *jwt_issuer;   /* default "encore" */
  char *jwt_audience; /* default "encore-api" */
  int access_ttl;     /* seconds, default 900 */
  int refresh_ttl;    /* seconds, default 2592000 (30 days) */
  int reset_ttl;      /* seconds, default 1800 */
  long body_max;      /* bytes, default 1048576 */
  char *public_url;   /* base URL used in mailed links */
  char *smtp_url;     /* "smtp://127.0.0.1:2525"; empty: see mail_spool */
  char *smtp_user;
  char *smtp_password; /* secret */
  char *mail_from;     /* default "Encore <no-reply@localhost>" */
  char *mail_spool;    /* without smtp_url: an mbox file (mode 0600) that
                          mail is appended to; empty: mail is dropped */
  int confirm_ttl;     /* seconds to confirm a registration (default 86400) */
  /* Password guesses allowed before the waits start (src/api/guard.c):
   * per account and client address, per address, per account. */
  int login_free;         /* default 5 */
  int login_free_address; /* default 30 */
  int login_free_account; /* default 100 */
  int register_free;      /* registrations per client address before the
                             waits start (default 10) */
  int metrics;            /* 1: count for GET /metrics (default); 0: off */
  int report_threshold;   /* distinct reporters that hold an object for
                             review (default 3) */
  char *
      migrations_dir; /* directory of NNNN_*.sql (default datadir/migrations) */
  char *media_dir; /* album art files (default "media", by the config file) */
  char *media_url; /* URL prefix nginx serves media_dir at (default "/media") */
  /* Integrations (docs/operations.md, "Integrations"). Base URLs are
   * settings so that tests point them at local fakes. */
  char *seal_key;      /* secret; base64url of 32 bytes, generated: seals
                          third-party tokens at rest (core/seal.h) */
  char *fetch_ca_file; /* CA bundle for outbound HTTPS; empty: the system's */
  char *fetch_allow;   /* tests only: "address:port,..." of local fakes that
                          outbound requests may reach though not public */
  int fetch_timeout;   /* seconds an outbound request may take (default 20) */
  char *lastfm_api_url;    /* default https://ws.audioscrobbler.com/2.0/ */
  char *lastfm_auth_url;   /* default https://www.last.fm/api/auth/ */
  char *lastfm_api_key;    /* Encore's Last.fm application (empty: none) */
  char *lastfm_api_secret; /* secret */
  char *listenbrainz_api_url; /* default https://api.listenbrainz.org */
  char *spotify_accounts_url; /* default https://accounts.spotify.com */
  char *spotify_api_url;      /* default https://api.spotify.com */
  char *spotify_client_id;    /* Encore's Spotify application (empty: none) */
  char *apple_music_api_url;  /* default https://api.music.apple.com */
  char *apple_music_team_id;  /* the developer token's issuer */
  char *apple_music_key_id;   /* its kid */
  char *apple_music_key_file; /* the MusicKit private key (.p8, P-256 PEM) */
  int apple_music_token_ttl;  /* seconds (default 12960000: 150 days; at
                                 most 15552000, 180 days) */
  /* Push (docs/operations.md, "Push notifications"): a channel without
   * its settings is off. */
  char *vapid_private_key; /* secret; base64url of a P-256 scalar (32 bytes),
                              generated: Web Push's VAPID key */
  char *vapid_subject;     /* mailto: or https: contact of VAPID tokens
                              (default: public_url) */
  char *fcm_service_account_file; /* the service account's JSON key file */
  char *fcm_api_url;              /* default https://fcm.googleapis.com */
  char *apns_key_file;            /* the APNs auth key (.p8, P-256 PEM) */
  char *apns_key_id;              /* its kid */
  char *apns_team_id;             /* the provider token's issuer */
  char *apns_topic;               /* the app's bundle id */
  char *apns_url;                 /* default https://api.push.apple.com */
  char *apns_sandbox_url; /* default https://api.sandbox.push.apple.com */
};

/* cfg_load: defaults, then the file at `path` (NULL: none; a missing file is an
 * error only when `path` was given explicitly), then the secrets file (created
 * with generated secrets and mode 0600 when absent and `generate` is true),
 * then the environment. On error returns RC_INVALID and writes a one-line
 * reason ("file:line: unknown key 'x'") into err. Strings are heap copies owned
 * by `c`; release them with cfg_free. */
int cfg_load(struct cfg *c, const char *path, bool generate, char *err,
             unsigned errlen);
/* cfg_free: release the strings of c. */
void cfg_free(struct cfg *c);

#endif
