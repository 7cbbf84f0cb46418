-- 0010_search_titles: search entries also carry the object's name as
-- written (the title sort's key, in the column's collation), so a title
-- sort reads its page off the entries of the rarest word like the other
-- sorts do, instead of a catalogue row per match or a scan of the title
-- index that is slow wherever matching titles are sparse in title order.
-- As with 0009, `encore-admin migrate` rebuilds an index whose entries
-- predate this (an empty name, which no real entry has).

ALTER TABLE search_words
  ADD COLUMN IF NOT EXISTS name VARCHAR(255) NOT NULL DEFAULT '';
