-- 0003_listening: listening history, aggregated play counts (the HetRec
-- data has counts, not single listens), likes, follows and user taggings.

CREATE TABLE listens (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id     BIGINT UNSIGNED NOT NULL,
  track_id    BIGINT UNSIGNED NOT NULL,
  listened_at DATETIME(3) NOT NULL,
  ms_played   INT UNSIGNED NULL,
  source      VARCHAR(32) NULL,  -- app, lastfm, listenbrainz, spotify, ...
  PRIMARY KEY (id),
  -- a client may retry: the same listen is stored once
  UNIQUE KEY listens_once (user_id, track_id, listened_at),
  KEY listens_user_time (user_id, listened_at),
  KEY listens_track (track_id),
  CONSTRAINT listens_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT listens_track FOREIGN KEY (track_id)
    REFERENCES tracks (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Play counts per user and artist (imported Last.fm counts).
CREATE TABLE user_artist_plays (
  user_id   BIGINT UNSIGNED NOT NULL,
  artist_id BIGINT UNSIGNED NOT NULL,
  plays     BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (user_id, artist_id),
  KEY user_artist_plays_artist (artist_id),
  CONSTRAINT user_artist_plays_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT user_artist_plays_artist FOREIGN KEY (artist_id)
    REFERENCES artists (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE likes (
  user_id     BIGINT UNSIGNED NOT NULL,
  object_type ENUM('track', 'album', 'playlist') NOT NULL,
  object_id   BIGINT UNSIGNED NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id, object_type, object_id),
  KEY likes_user_time (user_id, created_at),
  KEY likes_object (object_type, object_id),
  CONSTRAINT likes_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE follows (
  follower_id BIGINT UNSIGNED NOT NULL,
  followee_id BIGINT UNSIGNED NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (follower_id, followee_id),
  KEY follows_followee (followee_id),
  CONSTRAINT follows_follower FOREIGN KEY (follower_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT follows_followee FOREIGN KEY (followee_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Tags a user put on an artist (HetRec user_taggedartists).
CREATE TABLE user_artist_tags (
  user_id   BIGINT UNSIGNED NOT NULL,
  artist_id BIGINT UNSIGNED NOT NULL,
  genre_id  INT UNSIGNED NOT NULL,
  tagged_on DATE NULL,
  PRIMARY KEY (user_id, artist_id, genre_id),
  KEY user_artist_tags_artist (artist_id),
  CONSTRAINT user_artist_tags_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE,
  CONSTRAINT user_artist_tags_artist FOREIGN KEY (artist_id)
    REFERENCES artists (id) ON DELETE CASCADE,
  CONSTRAINT user_artist_tags_genre FOREIGN KEY (genre_id)
    REFERENCES genres (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- id of a user in the HetRec data, for idempotent imports.
ALTER TABLE users ADD COLUMN hetrec_id INT UNSIGNED NULL,
  ADD UNIQUE KEY users_hetrec (hetrec_id);
