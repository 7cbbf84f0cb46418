-- 0011_search_weight_first: the word entries of a prefix (weight 1) are
-- one range of the primary key, apart from the whole-name entries (weight
-- 2) that the same prefix also covers: the postings plan reads only word
-- entries, and the exact-name lookups only whole names (see "Search" in
-- docs/architecture.md). Same columns, same uniqueness, another order.

ALTER TABLE search_words DROP PRIMARY KEY,
  ADD PRIMARY KEY (kind, weight, word, object_id);
