-- 0006_search_order: indexes that let search read a very common word's
-- matches in the order of the requested sort and stop after one page (see
-- "Search" in docs/architecture.md), instead of sorting every match.

ALTER TABLE tracks ADD KEY tracks_duration (duration_ms);
ALTER TABLE albums ADD KEY albums_popularity (popularity);

-- The weight joins the key, so "the exact name" is one key lookup even for
-- a word that is also in a hundred thousand other names.
ALTER TABLE search_words DROP PRIMARY KEY,
  ADD PRIMARY KEY (kind, word, weight, object_id);
