-- 0008_recs: recommendation model versions written by encore-recs and read
-- by the API, and explicit dislikes (negative feedback).
--
-- A batch run inserts a rec_versions row in state 'building', writes every
-- list under that version, marks it 'ready' and then, in one transaction,
-- points rec_serving at it (keeping the old one as `previous` for rollback).
-- Readers resolve the serving version first and read only rows of that
-- version, so they never see half a run. Lists are packed binary blobs in
-- the format of src/model/recfmt.h: one primary-key read serves a user.
-- No foreign keys: items deleted after a run are skipped when served.

CREATE TABLE rec_versions (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
  kind        ENUM('full', 'light') NOT NULL,
  state       ENUM('building', 'ready', 'failed') NOT NULL DEFAULT 'building',
  started_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  finished_at DATETIME(3) NULL,
  -- interactions up to this instant are in the model; the API blends in
  -- the listens after it
  data_until  DATETIME(3) NOT NULL,
  n_users     INT UNSIGNED NOT NULL DEFAULT 0,
  n_tracks    INT UNSIGNED NOT NULL DEFAULT 0,
  n_artists   INT UNSIGNED NOT NULL DEFAULT 0,
  -- JSON object: stage timings, peak memory, blend weights, errors
  stats       TEXT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

-- One row (slot = 1): the version the API serves and the one before it.
CREATE TABLE rec_serving (
  slot        TINYINT UNSIGNED NOT NULL,
  version     INT UNSIGNED NOT NULL,
  previous    INT UNSIGNED NULL,
  switched_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (slot)
) ENGINE=InnoDB;

-- Top-N per user and item type: a recfmt list (item, score, reason).
CREATE TABLE rec_user_lists (
  version   INT UNSIGNED NOT NULL,
  user_id   BIGINT UNSIGNED NOT NULL,
  item_type ENUM('track', 'artist') NOT NULL,
  items     MEDIUMBLOB NOT NULL,
  PRIMARY KEY (version, user_id, item_type)
) ENGINE=InnoDB;

-- Top-M neighbours per item: a recfmt list (item, similarity).
CREATE TABLE rec_neighbours (
  version   INT UNSIGNED NOT NULL,
  item_type ENUM('track', 'artist') NOT NULL,
  item_id   BIGINT UNSIGNED NOT NULL,
  items     BLOB NOT NULL,
  PRIMARY KEY (version, item_type, item_id)
) ENGINE=InnoDB;

-- Most popular items overall (genre_id 0) and per genre.
CREATE TABLE rec_popular (
  version   INT UNSIGNED NOT NULL,
  item_type ENUM('track', 'artist') NOT NULL,
  genre_id  INT UNSIGNED NOT NULL,
  items     MEDIUMBLOB NOT NULL,
  PRIMARY KEY (version, item_type, genre_id)
) ENGINE=InnoDB;

-- "Not for me": excluded from recommendations, a negative for the batch.
CREATE TABLE dislikes (
  user_id     BIGINT UNSIGNED NOT NULL,
  object_type ENUM('track', 'artist') NOT NULL,
  object_id   BIGINT UNSIGNED NOT NULL,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (user_id, object_type, object_id),
  KEY dislikes_user_time (user_id, created_at),
  CONSTRAINT dislikes_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
