-- 0004_playlists: playlists with ordered tracks, grants and share links.
-- `snapshot` increases with every change of a playlist; edits carry the one
-- they were made against (If-Match), so concurrent editors never lose a
-- change silently.

CREATE TABLE playlists (
  id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  owner_id      BIGINT UNSIGNED NOT NULL,
  name          VARCHAR(200) NOT NULL,
  description   VARCHAR(2000) NOT NULL DEFAULT '',
  visibility    ENUM('private', 'unlisted', 'public') NOT NULL
                DEFAULT 'private',
  collaborative TINYINT(1) NOT NULL DEFAULT 0,
  cover_path    VARCHAR(128) NULL,
  snapshot      BIGINT UNSIGNED NOT NULL DEFAULT 1,
  track_count   INT UNSIGNED NOT NULL DEFAULT 0,
  created_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY playlists_owner (owner_id, updated_at),
  KEY playlists_public (visibility, name),
  CONSTRAINT playlists_owner FOREIGN KEY (owner_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE playlist_tracks (
  playlist_id BIGINT UNSIGNED NOT NULL,
  position    INT UNSIGNED NOT NULL,   -- 0-based, dense
  track_id    BIGINT UNSIGNED NOT NULL,
  added_by    BIGINT UNSIGNED NULL,
  added_at    DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (playlist_id, position),
  KEY playlist_tracks_track (track_id),
  CONSTRAINT playlist_tracks_playlist FOREIGN KEY (playlist_id)
    REFERENCES playlists (id) ON DELETE CASCADE,
  CONSTRAINT playlist_tracks_track FOREIGN KEY (track_id)
    REFERENCES tracks (id) ON DELETE CASCADE,
  CONSTRAINT playlist_tracks_user FOREIGN KEY (added_by)
    REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB;

CREATE TABLE playlist_grants (
  playlist_id BIGINT UNSIGNED NOT NULL,
  user_id     BIGINT UNSIGNED NOT NULL,
  access      ENUM('view', 'edit') NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (playlist_id, user_id),
  KEY playlist_grants_user (user_id),
  CONSTRAINT playlist_grants_playlist FOREIGN KEY (playlist_id)
    REFERENCES playlists (id) ON DELETE CASCADE,
  CONSTRAINT playlist_grants_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Share links: the token is random, only its SHA-256 is stored.
CREATE TABLE playlist_links (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  playlist_id BIGINT UNSIGNED NOT NULL,
  token_hash  BINARY(32) NOT NULL,
  expires_at  DATETIME(3) NULL,
  revoked_at  DATETIME(3) NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY playlist_links_token (token_hash),
  KEY playlist_links_playlist (playlist_id),
  CONSTRAINT playlist_links_playlist FOREIGN KEY (playlist_id)
    REFERENCES playlists (id) ON DELETE CASCADE
) ENGINE=InnoDB;
