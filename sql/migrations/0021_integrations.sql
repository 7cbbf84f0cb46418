-- 0021_integrations: scrobbling in (Last.fm 2.0 and ListenBrainz compatible
-- APIs), scrobbling out (an outbox delivered by encore-scrobble), linked
-- accounts at Last.fm, ListenBrainz, Spotify and Apple Music, and the import
-- jobs run by encore-import. docs/architecture.md ("Integrations") says how
-- they fit together. Every statement can run again: a migration cut short
-- is run from its start.
--
-- Secrets of third parties (session keys, tokens) are stored sealed
-- (libsodium secretbox, src/core/seal.c: a version byte, the nonce, the
-- box); Encore's own credentials (scrobbling session keys, ListenBrainz
-- user tokens) are looked up by their SHA-256.

-- Applications that speak Last.fm's protocol to Encore: an API key and its
-- shared secret (sealed: it signs requests, so it must be read back), made
-- by a user. Any user may then open a session with the key, as at Last.fm.
CREATE TABLE IF NOT EXISTS scrobble_apps (
  id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id    BIGINT UNSIGNED NOT NULL,
  name       VARCHAR(64) NOT NULL,
  api_key    CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  secret     VARBINARY(128) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY scrobble_apps_key (api_key),
  KEY scrobble_apps_user (user_id, id),
  CONSTRAINT scrobble_apps_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A Last.fm session key (sk) given to a user of an application: only its
-- SHA-256 is kept. Unused for a year, a session expires.
CREATE TABLE IF NOT EXISTS scrobble_sessions (
  key_hash     BINARY(32) NOT NULL,
  user_id      BIGINT UNSIGNED NOT NULL,
  app_id       BIGINT UNSIGNED NOT NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  last_used_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (key_hash),
  KEY scrobble_sessions_user (user_id, app_id, created_at),
  KEY scrobble_sessions_app (app_id),
  CONSTRAINT scrobble_sessions_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT scrobble_sessions_app FOREIGN KEY (app_id)
    REFERENCES scrobble_apps (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- The web flow's tokens (auth.getToken): approved by a user on Encore's
-- page, then exchanged once for a session (auth.getSession) within an hour.
CREATE TABLE IF NOT EXISTS scrobble_auth_tokens (
  token       CHAR(32) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  app_id      BIGINT UNSIGNED NOT NULL,
  user_id     BIGINT UNSIGNED NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  expires_at  DATETIME(3) NOT NULL,
  PRIMARY KEY (token),
  KEY scrobble_auth_tokens_app (app_id, expires_at),
  KEY scrobble_auth_tokens_expiry (expires_at),
  CONSTRAINT scrobble_auth_tokens_app FOREIGN KEY (app_id)
    REFERENCES scrobble_apps (id) ON DELETE CASCADE,
  CONSTRAINT scrobble_auth_tokens_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Last.fm clients sign in with authToken = md5(username + md5(password)):
-- an argon2id hash of that value, made when the user last proved the
-- password, valid while the password it was made from is the account's
-- (pw_fp: the SHA-256 of the password hash it was made under).
CREATE TABLE IF NOT EXISTS scrobble_verifiers (
  user_id    BIGINT UNSIGNED NOT NULL,
  verifier   VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  pw_fp      BINARY(32) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id),
  CONSTRAINT scrobble_verifiers_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- ListenBrainz user tokens: the user reads theirs (sealed copy) and
-- rotates it; requests find it by hash.
CREATE TABLE IF NOT EXISTS scrobble_tokens (
  user_id    BIGINT UNSIGNED NOT NULL,
  token_hash BINARY(32) NOT NULL,
  token      VARBINARY(128) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id),
  UNIQUE KEY scrobble_tokens_hash (token_hash),
  CONSTRAINT scrobble_tokens_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- What a user is playing now (track.updateNowPlaying, playing_now), until
-- expires_at (the start plus the track's duration, or ten minutes).
CREATE TABLE IF NOT EXISTS now_playing (
  user_id     BIGINT UNSIGNED NOT NULL,
  artist      VARCHAR(255) NOT NULL,
  title       VARCHAR(255) NOT NULL,
  album       VARCHAR(255) NULL,
  duration_ms INT UNSIGNED NULL,
  track_id    BIGINT UNSIGNED NULL,
  source      VARCHAR(32) NOT NULL,
  started_at  DATETIME(3) NOT NULL,
  expires_at  DATETIME(3) NOT NULL,
  PRIMARY KEY (user_id),
  CONSTRAINT now_playing_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Scrobbles that matched no track yet, kept as text until one appears
-- (encore-import's matching pass moves them into listens). title_key and
-- artist_key are the names normalized as search normalizes them (the first
-- 64 characters, compared under the collation): a scrobble is stored once
-- per user, time and normalized names.
CREATE TABLE IF NOT EXISTS text_listens (
  id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id        BIGINT UNSIGNED NOT NULL,
  listened_at    DATETIME(3) NOT NULL,
  artist         VARCHAR(255) NOT NULL,
  title          VARCHAR(255) NOT NULL,
  album          VARCHAR(255) NULL,
  duration_ms    INT UNSIGNED NULL,
  ms_played      INT UNSIGNED NULL,
  recording_mbid CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  source         VARCHAR(32) NOT NULL,
  title_key      VARCHAR(64) NOT NULL,
  artist_key     VARCHAR(64) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY text_listens_once (user_id, listened_at, title_key, artist_key),
  KEY text_listens_names (title_key, artist_key),
  KEY text_listens_mbid (recording_mbid),
  CONSTRAINT text_listens_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Loves (track.love) of tracks not in the catalogue yet, matched like text
-- listens.
CREATE TABLE IF NOT EXISTS text_loves (
  user_id    BIGINT UNSIGNED NOT NULL,
  title_key  VARCHAR(64) NOT NULL,
  artist_key VARCHAR(64) NOT NULL,
  artist     VARCHAR(255) NOT NULL,
  title      VARCHAR(255) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id, title_key, artist_key),
  KEY text_loves_names (title_key, artist_key),
  CONSTRAINT text_loves_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Scrobbles accepted through /2.0/ per user and UTC day (Last.fm's daily
-- limit, ignored code 5).
CREATE TABLE IF NOT EXISTS scrobble_days (
  user_id BIGINT UNSIGNED NOT NULL,
  day     DATE NOT NULL,
  count   INT UNSIGNED NOT NULL,
  PRIMARY KEY (user_id, day),
  CONSTRAINT scrobble_days_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Where the matching pass has looked: the highest track id whose
-- arrival it has matched text listens and loves against.
CREATE TABLE IF NOT EXISTS match_marks (
  name    VARCHAR(32) CHARACTER SET ascii NOT NULL,
  last_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB;

-- Accounts linked at other services. token/refresh are sealed: the
-- Last.fm session key, the ListenBrainz token, Spotify's access and
-- refresh tokens, the Apple Music user token. `account` is the user's name
-- (or id) there. Delivery state for the scrobbling targets: next_send_at
-- (backoff after failures). A link refused by its service (Last.fm error
-- 9, a 401) is removed and the user notified.
CREATE TABLE IF NOT EXISTS integrations (
  user_id          BIGINT UNSIGNED NOT NULL,
  service          ENUM('lastfm', 'listenbrainz', 'spotify', 'apple_music')
                   NOT NULL,
  account          VARCHAR(255) NOT NULL DEFAULT '',
  token            VARBINARY(4096) NULL,
  refresh          VARBINARY(4096) NULL,
  token_expires_at DATETIME(3) NULL,
  scope            VARCHAR(512) NOT NULL DEFAULT '',
  storefront       VARCHAR(8) NULL,
  linked_at        DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  next_send_at     DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  failures         INT UNSIGNED NOT NULL DEFAULT 0,
  last_error       VARCHAR(255) NULL,
  -- incremental imports: JSON of what the last import saw (newest saved
  -- track, last played time)
  marks            VARCHAR(1024) NOT NULL DEFAULT '{}',
  PRIMARY KEY (user_id, service),
  KEY integrations_due (service, next_send_at),
  CONSTRAINT integrations_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- OAuth and web-auth flows under way: the state's SHA-256, the user who
-- started it, and for PKCE the code verifier (sealed). Ten minutes, once.
CREATE TABLE IF NOT EXISTS oauth_states (
  state_hash BINARY(32) NOT NULL,
  user_id    BIGINT UNSIGNED NOT NULL,
  service    ENUM('lastfm', 'listenbrainz', 'spotify', 'apple_music')
             NOT NULL,
  verifier   VARBINARY(256) NULL,
  expires_at DATETIME(3) NOT NULL,
  PRIMARY KEY (state_hash),
  KEY oauth_states_user (user_id, service),
  KEY oauth_states_expiry (expires_at),
  CONSTRAINT oauth_states_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- The outbox: each new listen of a user with a linked scrobbling target,
-- as the text that target is sent. States: queued, then sending (marked
-- before the request, with the attempt's id and sent_at), then sent or
-- ignored (the target's answer); a run that dies, or an answer that never
-- came, leaves `sending` rows, which a later run checks against the
-- target's own history before sending any of them again. held: the link is gone (kept 14 days in case it comes back).
CREATE TABLE IF NOT EXISTS scrobble_outbox (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id      BIGINT UNSIGNED NOT NULL,
  service      ENUM('lastfm', 'listenbrainz') NOT NULL,
  listened_at  DATETIME(3) NOT NULL,
  artist       VARCHAR(255) NOT NULL,
  title        VARCHAR(255) NOT NULL,
  album        VARCHAR(255) NULL,
  duration_ms  INT UNSIGNED NULL,
  mbid         CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  state        ENUM('queued', 'sending', 'sent', 'ignored', 'held')
               NOT NULL DEFAULT 'queued',
  attempt      BIGINT UNSIGNED NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  sent_at      DATETIME(3) NULL,  -- when marked sending
  done_at      DATETIME(3) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY scrobble_outbox_once (user_id, service, listened_at, title),
  KEY scrobble_outbox_work (service, state, user_id, id),
  KEY scrobble_outbox_attempt (attempt),
  KEY scrobble_outbox_done (state, done_at),
  CONSTRAINT scrobble_outbox_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Import jobs (Spotify, Apple Music, export files), run by encore-import:
-- `resume` is where the job resumes (JSON: the step, the next page), saved
-- with each page's writes; a runner holds a job by `lease_until`, so a job
-- whose runner died is taken up again. A failed page is tried again after
-- next_run_at; past the attempts allowed the job fails, cursor kept.
CREATE TABLE IF NOT EXISTS import_jobs (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id      BIGINT UNSIGNED NOT NULL,
  source       ENUM('spotify', 'apple_music', 'lastfm_file',
                    'listenbrainz_file') NOT NULL,
  what         VARCHAR(255) NOT NULL DEFAULT '',
  state        ENUM('queued', 'running', 'done', 'failed', 'cancelled')
               NOT NULL DEFAULT 'queued',
  resume       VARCHAR(4096) NOT NULL DEFAULT '{}',
  done         INT UNSIGNED NOT NULL DEFAULT 0,
  total        INT UNSIGNED NULL,
  summary      VARCHAR(2048) NOT NULL DEFAULT '{}',
  error        VARCHAR(512) NULL,
  attempts     INT UNSIGNED NOT NULL DEFAULT 0,
  payload      MEDIUMBLOB NULL,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  started_at   DATETIME(3) NULL,
  finished_at  DATETIME(3) NULL,
  updated_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  next_run_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  lease_until  DATETIME(3) NULL,
  PRIMARY KEY (id),
  KEY import_jobs_user (user_id, id),
  KEY import_jobs_due (state, next_run_at),
  CONSTRAINT import_jobs_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Art of albums that imports made, fetched by encore-import through the
-- same re-encoding as uploads (src/core/imgcodec.h) into the media store.
CREATE TABLE IF NOT EXISTS album_art_queue (
  album_id BIGINT UNSIGNED NOT NULL,
  url      VARCHAR(2048) NOT NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  next_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (album_id),
  KEY album_art_queue_due (next_at),
  CONSTRAINT album_art_queue_album FOREIGN KEY (album_id)
    REFERENCES albums (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Playlists made by imports, so that a re-import updates them in place
-- (and skips those whose snapshot did not change).
CREATE TABLE IF NOT EXISTS import_playlists (
  user_id     BIGINT UNSIGNED NOT NULL,
  source      ENUM('spotify', 'apple_music') NOT NULL,
  external_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  playlist_id BIGINT UNSIGNED NOT NULL,
  snapshot    VARCHAR(128) NOT NULL DEFAULT '',
  PRIMARY KEY (user_id, source, external_id),
  CONSTRAINT import_playlists_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT import_playlists_playlist FOREIGN KEY (playlist_id)
    REFERENCES playlists (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- The catalogue learns where a track plays elsewhere: lookups by the
-- other services' ids and by MusicBrainz id, and Spotify's preview.
ALTER TABLE tracks
  ADD COLUMN IF NOT EXISTS preview_url VARCHAR(2048) NULL AFTER apple_id,
  ADD KEY IF NOT EXISTS tracks_spotify (spotify_id),
  ADD KEY IF NOT EXISTS tracks_apple (apple_id),
  ADD KEY IF NOT EXISTS tracks_mbid (mbid);
ALTER TABLE albums
  ADD KEY IF NOT EXISTS albums_spotify (spotify_id),
  ADD KEY IF NOT EXISTS albums_apple (apple_id);
ALTER TABLE artists
  ADD KEY IF NOT EXISTS artists_spotify (spotify_id),
  ADD KEY IF NOT EXISTS artists_apple (apple_id);

-- A user is told when a service refuses their linked account (Last.fm
-- error 9, a 401) and Encore unlinks it (model/notify.h,
-- notify_link_lost).
ALTER TABLE notifications MODIFY kind
  ENUM('follower', 'follow_request', 'follow_accepted', 'comment', 'reply',
       'mention', 'playlist_liked', 'comment_liked', 'party_invite',
       'party_started', 'lastfm_unlinked', 'listenbrainz_unlinked',
       'spotify_unlinked', 'apple_music_unlinked') NOT NULL;

-- The matching pass starts from the tracks there are now: text listens
-- are all newer than this migration.
INSERT IGNORE INTO match_marks (name, last_id)
  SELECT 'tracks', COALESCE(MAX(id), 0) FROM tracks;
