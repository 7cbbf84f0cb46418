-- 0012_search_ranked: within one word, entries in popularity order, so the
-- best matches of a common word are the first entries of its range (the
-- ranked plan of "Search" in docs/architecture.md). The popularity is the
-- object's own, the same in each of its entries, so the key stays unique
-- per (kind, weight, word, object) as before.

ALTER TABLE search_words DROP PRIMARY KEY,
  ADD PRIMARY KEY (kind, weight, word, pop, object_id);
