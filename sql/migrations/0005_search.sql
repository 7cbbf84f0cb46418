-- 0005_search: the word-prefix index behind GET /api/v1/search.
--
-- MariaDB FULLTEXT ignores words under 3 characters and matches partial
-- words only as `term*` in boolean mode, so search keeps its own index on
-- B-trees instead. Names are normalized (lower case, apostrophes dropped,
-- every run of characters that are neither letters nor digits of any script
-- becomes one space) and stored once per word plus once whole, so
-- `word LIKE 'beat%'` is a range scan that finds "The Beatles" through its
-- word "beatles" and "the bea" through its whole name. utf8mb4_unicode_ci
-- makes the comparison case- and accent-insensitive ("beyonce" = "Beyoncé").
--
-- kind: 0 track, 1 artist, 2 album, 3 playlist (enum search_kind).

CREATE TABLE search_words (
  kind      TINYINT UNSIGNED NOT NULL,
  word      VARCHAR(64) NOT NULL,
  object_id BIGINT UNSIGNED NOT NULL,
  weight    TINYINT UNSIGNED NOT NULL,   -- 2: the whole name, 1: one word
  PRIMARY KEY (kind, word, object_id),
  KEY search_words_object (kind, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One- and two-letter queries: the first one and two characters of each
-- normalized name with the object's popularity, so "b" reads the most
-- popular names starting with b straight off the index, never a scan.
CREATE TABLE search_heads (
  kind       TINYINT UNSIGNED NOT NULL,
  head       VARCHAR(2) NOT NULL,
  popularity BIGINT UNSIGNED NOT NULL,
  object_id  BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (kind, head, popularity, object_id),
  KEY search_heads_object (kind, object_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
