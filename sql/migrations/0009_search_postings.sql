-- 0009_search_postings: every search_words entry carries what a query
-- filters and sorts on, so the entries of a word answer a query with
-- filters and several words in one range scan of the clustered index,
-- without a lookup per match into the catalogue tables (see "Search" in
-- docs/architecture.md). Copies of the object's row at its last indexing:
-- search_index runs after every write of a searchable object, and a
-- rebuild after bulk changes (imports, popularity batches).
--
--   pop    popularity (playlists: their number of tracks)
--   day    TO_DAYS(release_date) (tracks, albums; NULL when unknown)
--   dur    duration in milliseconds (tracks)
--   expl   explicit flag (tracks)
--   genres genre ids, comma-separated (tracks, albums, artists)
--   norm   the whole normalized name, for the other query words
--
-- Entries made before this migration have the defaults (an empty norm,
-- which no real entry has): `encore-admin migrate` rebuilds the index when
-- it holds such entries (search_upgrade in src/model/search.c), into fresh
-- tables swapped in at the end, rather than rewriting millions of rows in
-- place here. Every
-- statement below can run again: a migration cut short is run from its
-- start.
--
-- search_vocab: objects per word (weight-1 entries), counted by each
-- rebuild; the query planner's estimate of a prefix's size. Words new since
-- the last rebuild are missing, which only makes the estimate low.

ALTER TABLE search_words
  ADD COLUMN IF NOT EXISTS pop BIGINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS day INT NULL,
  ADD COLUMN IF NOT EXISTS dur BIGINT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS expl TINYINT UNSIGNED NULL,
  ADD COLUMN IF NOT EXISTS genres TEXT NULL,
  ADD COLUMN IF NOT EXISTS norm VARCHAR(255) NOT NULL DEFAULT '';

-- search_pending: objects indexed or unindexed while a rebuild runs (its
-- *_next tables exist); the rebuild indexes them again into the new tables
-- once they are live, so no write made during a rebuild is lost.

CREATE TABLE IF NOT EXISTS search_pending (
  kind      TINYINT UNSIGNED NOT NULL,
  object_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (kind, object_id)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS search_vocab (
  kind    TINYINT UNSIGNED NOT NULL,
  word    VARCHAR(64) NOT NULL,
  objects BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (kind, word)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
