-- The analytics' top tracks and artists (model/stats.c, top()) sum one
-- kind over a range of days: WHERE kind = ? AND day BETWEEN ? AND ?
-- GROUP BY item_id. The primary key (day, kind, item_id) serves the range
-- only by reading both kinds' rows of every day; led by kind, then day, this
-- key reads only the kind's rows of the range, and carries item_id and
-- plays so that the rows themselves are never read.
-- (0025 is the cluster's leases: this is the next number.)
ALTER TABLE stats_top
  ADD KEY stats_top_kind (kind, day, item_id, plays);
