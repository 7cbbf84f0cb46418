-- 0002_catalogue: genres (also the home of Last.fm tags), artists, albums,
-- tracks with their artists (primary and featured) and genres.
--
-- Names and titles use utf8mb4_unicode_ci, which is case- and
-- accent-insensitive ("beyonce" = "Beyoncé"), so equality and prefix LIKE on
-- them already behave as people type. `popularity` is a denormalized play
-- count kept by the batch jobs and the importers; it only orders results.

CREATE TABLE genres (
  id         INT UNSIGNED NOT NULL AUTO_INCREMENT,
  name       VARCHAR(64) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY genres_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE artists (
  id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  name        VARCHAR(255) NOT NULL,
  bio         TEXT NULL,
  country     CHAR(2) NULL,             -- ISO 3166-1 alpha-2
  image_url   VARCHAR(2048) NULL,
  lastfm_url  VARCHAR(2048) NULL,
  mbid        CHAR(36) NULL,            -- MusicBrainz
  spotify_id  VARCHAR(64) NULL,
  apple_id    VARCHAR(64) NULL,
  -- id of the artist in the HetRec 2011 Last.fm data, for idempotent imports
  hetrec_id   INT UNSIGNED NULL,
  popularity  BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at  DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
              ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY artists_hetrec (hetrec_id),
  KEY artists_name (name),
  KEY artists_popularity (popularity)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Genres or tags of an artist; weight is the number of taggings.
CREATE TABLE artist_genres (
  artist_id BIGINT UNSIGNED NOT NULL,
  genre_id  INT UNSIGNED NOT NULL,
  weight    INT UNSIGNED NOT NULL DEFAULT 1,
  PRIMARY KEY (artist_id, genre_id),
  KEY artist_genres_genre (genre_id, weight),
  CONSTRAINT artist_genres_artist FOREIGN KEY (artist_id)
    REFERENCES artists (id) ON DELETE CASCADE,
  CONSTRAINT artist_genres_genre FOREIGN KEY (genre_id)
    REFERENCES genres (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE albums (
  id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  title        VARCHAR(255) NOT NULL,
  artist_id    BIGINT UNSIGNED NOT NULL,  -- primary artist
  type         ENUM('album', 'single', 'ep', 'compilation') NOT NULL
               DEFAULT 'album',
  label        VARCHAR(255) NULL,
  release_date DATE NULL,
  -- content-hashed file name under the media directory, e.g.
  -- "art/3f/3fa9...c1.jpg"; NULL without art
  art_path     VARCHAR(128) NULL,
  art_width    SMALLINT UNSIGNED NULL,
  art_height   SMALLINT UNSIGNED NULL,
  mbid         CHAR(36) NULL,
  spotify_id   VARCHAR(64) NULL,
  apple_id     VARCHAR(64) NULL,
  popularity   BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at   DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
               ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY albums_artist (artist_id, release_date),
  KEY albums_title (title),
  KEY albums_release (release_date),
  CONSTRAINT albums_artist FOREIGN KEY (artist_id)
    REFERENCES artists (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE album_genres (
  album_id BIGINT UNSIGNED NOT NULL,
  genre_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (album_id, genre_id),
  KEY album_genres_genre (genre_id),
  CONSTRAINT album_genres_album FOREIGN KEY (album_id)
    REFERENCES albums (id) ON DELETE CASCADE,
  CONSTRAINT album_genres_genre FOREIGN KEY (genre_id)
    REFERENCES genres (id) ON DELETE CASCADE
) ENGINE=InnoDB;

CREATE TABLE tracks (
  id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  title            VARCHAR(255) NOT NULL,
  album_id         BIGINT UNSIGNED NULL,
  disc_number      SMALLINT UNSIGNED NOT NULL DEFAULT 1,
  track_number     SMALLINT UNSIGNED NULL,
  duration_ms      INT UNSIGNED NOT NULL,
  release_date     DATE NULL,
  explicit         TINYINT(1) NOT NULL DEFAULT 0,
  isrc             CHAR(12) NULL,
  lyrics           MEDIUMTEXT NULL,
  lyrics_lrc       MEDIUMTEXT NULL,        -- time-synced lyrics (LRC)
  -- audio features, 0..1 except tempo (BPM); NULL when unknown
  tempo            FLOAT NULL,
  energy           FLOAT NULL,
  valence          FLOAT NULL,
  danceability     FLOAT NULL,
  acousticness     FLOAT NULL,
  instrumentalness FLOAT NULL,
  mbid             CHAR(36) NULL,
  spotify_id       VARCHAR(64) NULL,
  apple_id         VARCHAR(64) NULL,
  popularity       BIGINT UNSIGNED NOT NULL DEFAULT 0,
  created_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at       DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
                   ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  KEY tracks_album (album_id, disc_number, track_number),
  KEY tracks_title (title),
  KEY tracks_release (release_date),
  KEY tracks_popularity (popularity),
  KEY tracks_isrc (isrc),
  CONSTRAINT tracks_album FOREIGN KEY (album_id)
    REFERENCES albums (id) ON DELETE RESTRICT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE track_artists (
  track_id  BIGINT UNSIGNED NOT NULL,
  artist_id BIGINT UNSIGNED NOT NULL,
  role      ENUM('primary', 'featured') NOT NULL DEFAULT 'primary',
  position  TINYINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (track_id, artist_id),
  KEY track_artists_artist (artist_id, role),
  CONSTRAINT track_artists_track FOREIGN KEY (track_id)
    REFERENCES tracks (id) ON DELETE CASCADE,
  CONSTRAINT track_artists_artist FOREIGN KEY (artist_id)
    REFERENCES artists (id) ON DELETE RESTRICT
) ENGINE=InnoDB;

CREATE TABLE track_genres (
  track_id BIGINT UNSIGNED NOT NULL,
  genre_id INT UNSIGNED NOT NULL,
  PRIMARY KEY (track_id, genre_id),
  KEY track_genres_genre (genre_id),
  CONSTRAINT track_genres_track FOREIGN KEY (track_id)
    REFERENCES tracks (id) ON DELETE CASCADE,
  CONSTRAINT track_genres_genre FOREIGN KEY (genre_id)
    REFERENCES genres (id) ON DELETE CASCADE
) ENGINE=InnoDB;
