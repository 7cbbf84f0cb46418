-- 0022_insights: listening insights (each user's rollups of their listens)
-- and trends (what encore-trends computes every hour, switched atomically
-- like the recommendation versions of 0008). docs/architecture.md,
-- "Insights and trends", says how they are read.

-- The zone the insights of a user are bucketed in by default: an IANA name
-- of the system's tzdata, checked when it is set.
ALTER TABLE user_preferences
  ADD COLUMN time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC';

-- One row per user and UTC bucket: span 1 is one day, span 2 one calendar
-- month; `start` is the bucket's first day, in days since 1970-01-01.
-- `data` is a rollup blob (src/model/rollup.h): the listens and time of the
-- bucket per quarter hour, per track, artist, album and genre. A month
-- row always exists when the month has listens; its day rows only when
-- `days` is 1 (months of INSIGHT_DAYS_MIN listens or more); the days of
-- other months are read from the listens themselves. Kept in the same
-- transaction as every listen stored or deleted.
CREATE TABLE insight_rollups (
  user_id BIGINT UNSIGNED NOT NULL,
  span    TINYINT UNSIGNED NOT NULL,
  start   INT NOT NULL,
  days    TINYINT UNSIGNED NOT NULL DEFAULT 0,
  listens INT UNSIGNED NOT NULL,
  ms      BIGINT UNSIGNED NOT NULL,
  data    MEDIUMBLOB NOT NULL,
  PRIMARY KEY (user_id, span, start),
  CONSTRAINT insight_rollups_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- The first listen of each artist a user has heard (its discovery), in ms
-- since the epoch.
CREATE TABLE insight_firsts (
  user_id   BIGINT UNSIGNED NOT NULL,
  artist_id BIGINT UNSIGNED NOT NULL,
  first_ms  BIGINT NOT NULL,
  PRIMARY KEY (user_id, artist_id),
  KEY insight_firsts_time (user_id, first_ms),
  CONSTRAINT insight_firsts_user FOREIGN KEY (user_id)
    REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- encore-trends runs. A run inserts a 'building' version, writes its lists
-- under it, and one transaction marks it 'ready', points trend_serving at
-- it and replaces the charts it computed; a run that fails or is killed
-- leaves the serving version (and the charts) as they were.
CREATE TABLE trend_versions (
  id          INT UNSIGNED NOT NULL AUTO_INCREMENT,
  state       ENUM('building', 'ready', 'failed') NOT NULL DEFAULT 'building',
  started_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  finished_at DATETIME(3) NULL,
  -- the end of the windows: activity before this instant was read
  data_until  DATETIME(3) NOT NULL,
  -- JSON object: time per stage, peak memory, counts, errors
  stats       TEXT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

-- One row (slot = 1): the version served and the one before it.
CREATE TABLE trend_serving (
  slot        TINYINT UNSIGNED NOT NULL,
  version     INT UNSIGNED NOT NULL,
  previous    INT UNSIGNED NULL,
  switched_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (slot)
) ENGINE=InnoDB;

-- Who runs encore-trends now: a lease, not GET_LOCK (node-local on
-- Galera). A run takes it when it is free or expired and gives it back at
-- the end; a killed run's lease expires.
CREATE TABLE trend_lease (
  slot        TINYINT UNSIGNED NOT NULL,
  holder      VARCHAR(64) NULL,
  lease_until DATETIME(3) NULL,
  PRIMARY KEY (slot)
) ENGINE=InnoDB;
INSERT INTO trend_lease (slot) VALUES (1);

-- A trending list of a version: `kind` tracks, artists, albums or
-- playlists, `win` day or week, `genre_id` 0 for all genres. `items` is
-- the JSON array served (each item with its rank, previous rank, change
-- and score), best first, at most 100.
CREATE TABLE trend_lists (
  version  INT UNSIGNED NOT NULL,
  kind     ENUM('tracks', 'artists', 'albums', 'playlists') NOT NULL,
  win      ENUM('day', 'week') NOT NULL,
  genre_id INT UNSIGNED NOT NULL,
  items    MEDIUMTEXT NOT NULL,
  PRIMARY KEY (version, kind, win, genre_id)
) ENGINE=InnoDB;

-- Charts: the most played of a calendar week (from Monday, UTC) or month,
-- kept for every period a run computed; the current and the previous
-- period are computed again by every run.
CREATE TABLE trend_charts (
  kind         ENUM('tracks', 'artists', 'albums') NOT NULL,
  period       ENUM('week', 'month') NOT NULL,
  start        DATE NOT NULL,
  items        MEDIUMTEXT NOT NULL,
  computed_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (kind, period, start)
) ENGINE=InnoDB;
