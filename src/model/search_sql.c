/* search_sql: the statements of the search plans that search_plan.c
 * chooses (docs/architecture.md, "Search"), each assembled from named
 * fragments: the kind's columns (search_tables), the filters, the cursor's
 * keyset, the word probes, and the sort keys and match classes of
 * search_rank.c. A text is complete once built and is never edited
 * afterwards; values are always parameters, never part of the text. */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/rc.h"
#include "core/str.h"
#include "model/search.h"
#include "model/search_internal.h"

const struct search_table search_tables[] = {
    [SEARCH_TRACK] =
        {
            .type = "track",
            .table = "tracks",
            .name = "t.title",
            .pop = "t.popularity",
            .date = "t.release_date",
            .dur = "t.duration_ms",
            .expl = "t.explicit",
            .genre = "EXISTS (SELECT 1 FROM track_genres g WHERE g.track_id "
                     "= t.id AND g.genre_id = ?)",
            .artist = "EXISTS (SELECT 1 FROM track_artists ta WHERE "
                      "ta.track_id = t.id AND ta.artist_id = ?)",
            .summary = "t.title, t.popularity, t.release_date, t.duration_ms, "
                       "t.explicit, al.id, al.title, ar.id, ar.name, NULL",
            .joins = "LEFT JOIN albums al ON al.id = t.album_id LEFT JOIN "
                     "artists ar ON ar.id = (SELECT ta.artist_id FROM "
                     "track_artists ta WHERE ta.track_id = t.id ORDER BY "
                     "ta.role, ta.position, ta.artist_id LIMIT 1)",
            .title_weight = "HEX(WEIGHT_STRING(t.title))",
            .genre_probe = "(SELECT 1 FROM track_genres g WHERE g.track_id = "
                           "t.id AND g.genre_id = ? LIMIT 1) IS NOT NULL",
            .index_pop = "tracks_popularity",
            .index_date = "tracks_release",
            .index_name = "tracks_title",
            .index_dur = "tracks_duration",
        },
    [SEARCH_ARTIST] =
        {
            .type = "artist",
            .table = "artists",
            .name = "t.name",
            .pop = "t.popularity",
            .genre = "EXISTS (SELECT 1 FROM artist_genres g WHERE "
                     "g.artist_id = t.id AND g.genre_id = ?)",
            .artist = "t.id = ?",
            .summary = "t.name, t.popularity, NULL, NULL, NULL, NULL, NULL, "
                       "NULL, t.country, t.image_url",
            .joins = "",
            .title_weight = "HEX(WEIGHT_STRING(t.name))",
            .genre_probe = "(SELECT 1 FROM artist_genres g WHERE g.artist_id "
                           "= t.id AND g.genre_id = ? LIMIT 1) IS NOT NULL",
            .index_pop = "artists_popularity",
            .index_name = "artists_name",
        },
    [SEARCH_ALBUM] =
        {
            .type = "album",
            .table = "albums",
            .name = "t.title",
            .pop = "t.popularity",
            .date = "t.release_date",
            .genre = "EXISTS (SELECT 1 FROM album_genres g WHERE g.album_id "
                     "= t.id AND g.genre_id = ?)",
            .artist = "t.artist_id = ?",
            .summary = "t.title, t.popularity, t.release_date, NULL, NULL, "
                       "ar.id, ar.name, NULL, t.type, NULL",
            .joins = "LEFT JOIN artists ar ON ar.id = t.artist_id",
            .title_weight = "HEX(WEIGHT_STRING(t.title))",
            .genre_probe = "(SELECT 1 FROM album_genres g WHERE g.album_id = "
                           "t.id AND g.genre_id = ? LIMIT 1) IS NOT NULL",
            .index_pop = "albums_popularity",
            .index_date = "albums_release",
            .index_name = "albums_title",
        },
    /* no genres, no artist, no order index: playlists are matched, then
     * sorted */
    [SEARCH_PLAYLIST] =
        {
            .type = "playlist",
            .table = "playlists",
            .name = "t.name",
            .pop = "t.track_count",
            .summary = "t.name, t.track_count, NULL, NULL, NULL, u.id, "
                       "u.username, NULL, t.visibility, NULL",
            .joins = "JOIN users u ON u.id = t.owner_id",
            .title_weight = "HEX(WEIGHT_STRING(t.name))",
        },
};

/* Statements are built from fixed pieces (types, plans, filters, sorts), so
 * their texts are a few hundred in practice; each text is interned once per
 * process to give db_exec a stable pointer (its statement-cache key). Never
 * user input: values are always parameters. When the table is full a slot
 * is reused round-robin: db_exec compares texts, so a reused address only
 * costs a prepare. */
#define INTERN_MAX 1024
static char *interned[INTERN_MAX];
static int ninterned, next_reuse;

static const char *intern(const char *text) {
  for (int i = 0; i < ninterned; i++)
    if (strcmp(interned[i], text) == 0) return interned[i];
  char *t = strdup(text);
  if (!t) return NULL;
  if (ninterned < INTERN_MAX) return interned[ninterned++] = t;
  free(interned[next_reuse]);
  interned[next_reuse] = t;
  next_reuse = (next_reuse + 1) % INTERN_MAX;
  return t;
}

void search_stmt_param(struct search_stmt *s, struct db_val v) {
  if (s->np < SEARCH_STMT_PARAMS)
    s->p[s->np++] = v;
  else
    s->b.oom = true;
}

char *search_like_prefix(struct arena *a, const char *w) {
  /* search_split leaves no % _ \\, but the escape keeps that an
   * implementation detail of the splitter rather than a safety property */
  size_t n = strlen(w);
  char *o = arena_alloc(a, 2 * n + 2), *p = o;
  if (!o) return NULL;
  for (; *w; w++) {
    if (*w == '%' || *w == '_' || *w == '\\') *p++ = '\\';
    *p++ = *w;
  }
  *p++ = '%';
  *p = '\0';
  return o;
}

/* like_word: the LIKE pattern of a word starting inside a normalized name
 * prefixed with a space. */
static char *like_word(struct arena *a, const char *w) {
  const char *p = search_like_prefix(a, w);
  return p ? arena_printf(a, "%% %s", p) : NULL;
}

static const char *direction(const struct search_q *q) {
  return q->desc ? "DESC" : "ASC";
}

/* Where a filter is tested. */
enum filter_test {
  FILTER_EXISTS, /* the genre as EXISTS: MariaDB may drive by it */
  FILTER_PROBE,  /* the genre as a per-row probe (the ordered scan) */
};

/* add_filters: the query's filters on the object's row t, and a
 * playlist's visibility to the viewer. */
static void add_filters(struct search_stmt *s, struct arena *a,
                        const struct search_plan *p, enum filter_test test) {
  const struct search_q *q = p->q;
  const struct search_table *t = p->t;
  if (q->genre_id) {
    sbuf_printf(&s->b, " AND %s",
                test == FILTER_PROBE ? t->genre_probe : t->genre);
    search_stmt_param(s, DB_I(q->genre_id));
  }
  if (q->year_from) {
    sbuf_printf(&s->b, " AND %s >= ?", t->date);
    search_stmt_param(s, DB_S(arena_printf(a, "%04d-01-01", q->year_from)));
  }
  if (q->year_to) {
    sbuf_printf(&s->b, " AND %s <= ?", t->date);
    search_stmt_param(s, DB_S(arena_printf(a, "%04d-12-31", q->year_to)));
  }
  if (q->dur_min >= 0) {
    sbuf_printf(&s->b, " AND %s >= ?", t->dur);
    search_stmt_param(s, DB_I(q->dur_min));
  }
  if (q->dur_max >= 0) {
    sbuf_printf(&s->b, " AND %s <= ?", t->dur);
    search_stmt_param(s, DB_I(q->dur_max));
  }
  if (q->explicit_only >= 0) {
    sbuf_printf(&s->b, " AND %s = ?", t->expl);
    search_stmt_param(s, DB_I(q->explicit_only));
  }
  if (q->artist_id) {
    sbuf_printf(&s->b, " AND %s", t->artist);
    search_stmt_param(s, DB_I(q->artist_id));
  }
  if (p->kind == SEARCH_PLAYLIST) {
    if (q->viewer) {
      sbuf_adds(&s->b, " AND (t.visibility = 'public' OR t.owner_id = ? OR "
                       "EXISTS (SELECT 1 FROM playlist_grants pg WHERE "
                       "pg.playlist_id = t.id AND pg.user_id = ?))");
      search_stmt_param(s, DB_I(q->viewer));
      search_stmt_param(s, DB_I(q->viewer));
    } else {
      sbuf_adds(&s->b, " AND t.visibility = 'public'");
    }
  }
}

/* add_entry_filters: the filters that the index entries carry (see
 * 0009_search_postings.sql), on entry w. The artist filter and playlist
 * visibility are not carried: they stay on the object's own row. */
static void add_entry_filters(struct search_stmt *s, struct arena *a,
                              const struct search_q *q) {
  if (q->genre_id) {
    sbuf_adds(&s->b, " AND FIND_IN_SET(?, w.genres) > 0");
    search_stmt_param(s, DB_S(arena_printf(a, "%lld", q->genre_id)));
  }
  if (q->year_from) {
    sbuf_adds(&s->b, " AND w.day >= TO_DAYS(?)");
    search_stmt_param(s, DB_S(arena_printf(a, "%04d-01-01", q->year_from)));
  }
  if (q->year_to) {
    sbuf_adds(&s->b, " AND w.day <= TO_DAYS(?)");
    search_stmt_param(s, DB_S(arena_printf(a, "%04d-12-31", q->year_to)));
  }
  if (q->dur_min >= 0) {
    sbuf_adds(&s->b, " AND w.dur >= ?");
    search_stmt_param(s, DB_I(q->dur_min));
  }
  if (q->dur_max >= 0) {
    sbuf_adds(&s->b, " AND w.dur <= ?");
    search_stmt_param(s, DB_I(q->dur_max));
  }
  if (q->explicit_only >= 0) {
    sbuf_adds(&s->b, " AND w.expl = ?");
    search_stmt_param(s, DB_I(q->explicit_only));
  }
}

/* add_keyset: (key, kind, id) strictly after the cursor in the page order:
 * ties on the key are in when this kind comes after the cursor's, out when
 * before, decided by the id bound. */
static void add_keyset(struct search_stmt *s, const struct search_plan *p,
                       const char *key, const char *idcol) {
  const struct search_q *q = p->q;
  const struct search_cursor *c = p->after;
  if (!c) return;
  const char *op = q->desc ? "<" : ">";
  long long bound;
  if ((int)p->kind == c->kind)
    bound = c->id;
  else if (((int)p->kind > c->kind) != q->desc)
    bound = q->desc ? LLONG_MAX : -1;
  else
    bound = q->desc ? -1 : LLONG_MAX;
  sbuf_printf(&s->b, " AND (%s %s ? OR (%s = ? AND %s %s ?))", key, op, key,
              idcol, op);
  if (q->sort == SEARCH_TITLE) {
    search_stmt_param(s, DB_S(c->str));
    search_stmt_param(s, DB_S(c->str));
  } else {
    search_stmt_param(s, DB_I(c->num));
    search_stmt_param(s, DB_I(c->num));
  }
  search_stmt_param(s, DB_I(bound));
}

/* add_probes: every query word must start some word of the object (its
 * word entries suffice: the whole name starts with the first word). With
 * the weight, the probe is one short range of search_words_object, whose
 * entries end with the primary key (kind, object_id, weight, word). */
static void add_probes(struct search_stmt *s, struct arena *a,
                       const struct search_plan *p) {
  for (int i = 0; i < p->q->nwords; i++) {
    sbuf_adds(&s->b, " AND (SELECT 1 FROM search_words w WHERE w.kind = ? "
                     "AND w.object_id = t.id AND w.weight = 1 AND w.word "
                     "LIKE ? LIMIT 1) IS NOT NULL");
    search_stmt_param(s, DB_I(p->kind));
    search_stmt_param(s, DB_S(search_like_prefix(a, p->q->words[i])));
  }
}

/* add_other_words: every query word but the driving one starts a word of
 * entry w's copy of the name. A query word has no space, so it starts some
 * indexed word (the first 16, cut at 64 characters, no longer than a query
 * word) exactly when " <word>" starts inside the first 16 words of the
 * name: the same matches as probing the object's own entries. */
static void add_other_words(struct search_stmt *s, struct arena *a,
                            const struct search_plan *p) {
  for (int i = 0; i < p->q->nwords; i++) {
    if (i == p->drive) continue;
    sbuf_adds(&s->b, " AND CONCAT(' ', SUBSTRING_INDEX(w.norm, ' ', 16)) "
                     "LIKE ?");
    search_stmt_param(s, DB_S(like_word(a, p->q->words[i])));
  }
}

/* Postings per entry, or grouped per object. */
enum postings_rows { POSTINGS_PER_ENTRY, POSTINGS_PER_OBJECT };

/* postings: the objects matching every word, with their match class and
 * the copied sort columns, from one range of search_words: the word
 * entries of the driving word's prefix, each checked for the other words
 * against its copy of the normalized name and for the carried filters.
 * Per entry, an object two of whose words start with the prefix comes
 * twice, with equal values (search_plan.c drops the repeat). */
static void postings(struct search_stmt *s, struct arena *a,
                     const struct search_plan *p, enum postings_rows rows) {
  const char *agg = rows == POSTINGS_PER_OBJECT ? "MAX" : "";
  sbuf_printf(&s->b, "SELECT w.object_id AS id, %s(", agg);
  search_rank_class(s, a, p, SEARCH_CLASS_OF_ENTRY);
  /* word entries only: the whole-name entry starts with the first word */
  sbuf_printf(&s->b,
              ") AS cls, %s(w.pop) AS pop, %s(w.day) AS day, "
              "%s(w.dur) AS dur, %s(w.name) AS name FROM search_words "
              "w WHERE w.kind = ? AND w.word LIKE ? AND w.weight = 1",
              agg, agg, agg, agg);
  search_stmt_param(s, DB_I(p->kind));
  search_stmt_param(s, DB_S(search_like_prefix(a, p->q->words[p->drive])));
  add_other_words(s, a, p);
  add_entry_filters(s, a, p->q);
  if (rows == POSTINGS_PER_OBJECT) sbuf_adds(&s->b, " GROUP BY w.object_id");
}

/* matched_on_entries: SEARCH_POSTINGS: everything from the entries, sorted
 * and cut before any row is read; not grouped (a grouping of tens of
 * thousands of entries costs more than the scan). */
static void matched_on_entries(struct search_stmt *s, struct arena *a,
                               const struct search_plan *p) {
  const char *key = search_rank_entry_key(p->t, p->q), *dir = direction(p->q);
  sbuf_printf(&s->b, "SELECT m.id AS id, %s AS k, m.cls AS cls FROM (", key);
  postings(s, a, p, POSTINGS_PER_ENTRY);
  sbuf_adds(&s->b, ") m WHERE 1 = 1");
  add_keyset(s, p, key, "m.id");
  sbuf_printf(&s->b, " ORDER BY k %s, m.id %s LIMIT ?", dir, dir);
  search_stmt_param(s, DB_I(p->fetch));
}

/* matched_on_rows: the other match-first plans: the matches (the one- and
 * two-letter heads, the filters' own indexes, the postings per object, or
 * without words every object), joined to the object's row, filtered and
 * sorted there. Cost grows with the number of matches. */
static void matched_on_rows(struct search_stmt *s, struct arena *a,
                            const struct search_plan *p) {
  const struct search_q *q = p->q;
  const char *dir = direction(q);
  sbuf_printf(&s->b, "SELECT t.id AS id, %s AS k, %s AS cls FROM ", p->key,
              q->nwords ? "m.cls" : "0");
  switch (p->method) {
  case SEARCH_HEADS:
    sbuf_adds(&s->b,
              "(SELECT h.object_id AS id, 3 AS cls FROM search_heads "
              "h WHERE h.kind = ? AND h.head = ? ORDER BY "
              "h.popularity DESC, h.object_id DESC LIMIT " SEARCH_STRINGIFY(
                  SEARCH_SHORT_CAP) ") m ");
    search_stmt_param(s, DB_I(p->kind));
    search_stmt_param(s, DB_S(q->words[0]));
    break;
  case SEARCH_FILTER_FIRST:
    /* the filters' own indexes pick the objects (a selective genre, years,
     * durations), each probed for the words */
    sbuf_adds(&s->b, "(SELECT t.id AS id, (SELECT ");
    search_rank_class(s, a, p, SEARCH_CLASS_OF_WHOLE_NAME);
    sbuf_printf(&s->b,
                " FROM search_words e WHERE e.kind = ? AND "
                "e.object_id = t.id AND e.weight = 2 LIMIT 1) AS cls "
                "FROM %s t WHERE 1 = 1",
                p->t->table);
    search_stmt_param(s, DB_I(p->kind));
    add_filters(s, a, p, FILTER_EXISTS);
    add_probes(s, a, p);
    sbuf_adds(&s->b, ") m ");
    break;
  case SEARCH_POSTINGS_GROUPED:
    sbuf_adds(&s->b, "(");
    postings(s, a, p, POSTINGS_PER_OBJECT);
    sbuf_adds(&s->b, ") m ");
    break;
  default: /* SEARCH_BROWSE */
    break;
  }
  if (q->nwords)
    sbuf_printf(&s->b, "JOIN %s t ON t.id = m.id WHERE 1 = 1", p->t->table);
  else
    sbuf_printf(&s->b, "%s t WHERE 1 = 1", p->t->table);
  add_filters(s, a, p, FILTER_EXISTS);
  add_keyset(s, p, p->key, "t.id");
  sbuf_printf(&s->b, " ORDER BY k %s, t.id %s LIMIT ?", dir, dir);
  search_stmt_param(s, DB_I(q->limit + 1));
}

/* order_column: the raw column (and its index) whose order is the sort
 * key's, for the ordered plan; NULL column when the key is constant. */
static void order_column(const struct search_plan *p, const char **col,
                         const char **index) {
  const struct search_table *t = p->t;
  *col = *index = NULL;
  switch (p->q->sort) {
  case SEARCH_RELEVANCE:
  case SEARCH_POPULARITY:
    *col = t->pop, *index = t->index_pop;
    break;
  case SEARCH_RELEASE_DATE:
    *col = t->date, *index = t->index_date;
    break;
  case SEARCH_TITLE:
    *col = t->name, *index = t->index_name;
    break;
  case SEARCH_DURATION:
    *col = t->dur, *index = t->index_dur;
    break;
  }
  if (!*col) *index = NULL;
}

/* Whether the ordered scan reads exact names too. */
enum exact_names { EXACT_NAMES_IN, EXACT_NAMES_OUT };

/* ordered_scan: the ordered plan's scan: objects in the order of the
 * sort's own index, each probed for the words and filters, stopping at one
 * page. EXACT_NAMES_OUT leaves out exact names (found apart for
 * relevance). */
static void ordered_scan(struct search_stmt *s, struct arena *a,
                         const struct search_plan *p, const char *key,
                         enum exact_names exact) {
  const char *dir = direction(p->q), *col, *index;
  order_column(p, &col, &index);
  sbuf_printf(&s->b, "(SELECT t.id AS id, %s AS k, 1 AS cls FROM %s t", key,
              p->t->table);
  if (index) sbuf_printf(&s->b, " FORCE INDEX (%s)", index);
  sbuf_adds(&s->b, " WHERE 1 = 1");
  add_probes(s, a, p);
  add_filters(s, a, p, FILTER_PROBE);
  if (exact == EXACT_NAMES_OUT) {
    sbuf_adds(&s->b, " AND (SELECT 1 FROM search_words e WHERE e.kind = ? "
                     "AND e.word = ? AND e.weight = 2 AND e.object_id = "
                     "t.id) IS NULL");
    search_stmt_param(s, DB_I(p->kind));
    search_stmt_param(s, DB_S(p->phrase));
  }
  add_keyset(s, p, key, "t.id");
  if (col)
    sbuf_printf(&s->b, " ORDER BY %s %s, t.id %s LIMIT ?)", col, dir, dir);
  else
    sbuf_printf(&s->b, " ORDER BY t.id %s LIMIT ?)", dir);
  search_stmt_param(s, DB_I(p->q->limit + 1));
}

/* ordered: SEARCH_ORDERED. For relevance, exact names (found by equality
 * on the index) come first and every other match follows by popularity:
 * with this many matches, name-prefix classes would need the full sort
 * this plan avoids. */
static void ordered(struct search_stmt *s, struct arena *a,
                    const struct search_plan *p) {
  const char *dir = direction(p->q);
  if (p->q->sort != SEARCH_RELEVANCE) {
    ordered_scan(s, a, p, p->key, EXACT_NAMES_IN);
    return;
  }
  const char *exact_key = search_rank_class_key(a, 4, p->t->pop);
  const char *other_key = search_rank_class_key(a, 1, p->t->pop);
  if (!exact_key || !other_key) {
    s->b.oom = true;
    return;
  }
  sbuf_printf(&s->b,
              "(SELECT t.id AS id, %s AS k, 4 AS cls FROM search_words e "
              "STRAIGHT_JOIN %s t ON t.id = e.object_id WHERE e.kind = ? AND "
              "e.weight = 2 AND e.word = ?",
              exact_key, p->t->table);
  search_stmt_param(s, DB_I(p->kind));
  search_stmt_param(s, DB_S(p->phrase));
  add_filters(s, a, p, FILTER_EXISTS);
  add_keyset(s, p, exact_key, "t.id");
  sbuf_printf(&s->b, " ORDER BY k %s, t.id %s LIMIT ?) UNION ALL ", dir, dir);
  search_stmt_param(s, DB_I(p->q->limit + 1));
  ordered_scan(s, a, p, other_key, EXACT_NAMES_OUT);
}

/* The entries a part of the ranked plan reads. */
enum ranked_entries {
  RANKED_EXACT_NAME, /* the whole-name entries equal to the query */
  RANKED_WORD,       /* one word's entries */
};

/* ranked_part: one word's (or the exact name's) entries in the order of
 * the key, p->fetch at most. */
static void ranked_part(struct search_stmt *s, struct arena *a,
                        const struct search_plan *p, const char *word,
                        enum ranked_entries entries) {
  const struct search_q *q = p->q;
  const char *dir = direction(q);
  int cls = entries == RANKED_EXACT_NAME ? 4 : 1;
  int weight = entries == RANKED_EXACT_NAME ? 2 : 1;
  const char *key = q->sort == SEARCH_POPULARITY
                        ? "w.pop"
                        : search_rank_class_key(a, cls, "w.pop");
  if (!key) {
    s->b.oom = true;
    return;
  }
  sbuf_printf(&s->b,
              "(SELECT w.object_id AS id, %s AS k, %d AS cls FROM "
              "search_words w WHERE w.kind = ? AND w.weight = %d AND "
              "w.word = ?",
              key, cls, weight);
  search_stmt_param(s, DB_I(p->kind));
  search_stmt_param(s, DB_S(word));
  if (entries == RANKED_WORD) {
    if (q->sort == SEARCH_RELEVANCE) {
      /* exact names come from their own part */
      sbuf_adds(&s->b, " AND LEFT(w.norm, 64) <> ?");
      search_stmt_param(s, DB_S(p->phrase));
    }
    add_other_words(s, a, p);
  }
  add_entry_filters(s, a, q);
  add_keyset(s, p, key, "w.object_id");
  sbuf_printf(&s->b, " ORDER BY w.pop %s, w.object_id %s LIMIT ?)", dir, dir);
  search_stmt_param(s, DB_I(p->fetch));
}

/* ranked: SEARCH_RANKED, the parts in one UNION ALL (an object with two
 * words of the prefix comes twice: search_plan.c drops the repeat). */
static void ranked(struct search_stmt *s, struct arena *a,
                   const struct search_plan *p) {
  sbuf_adds(&s->b, "SELECT m.id AS id, m.k AS k, m.cls AS cls FROM (");
  if (p->q->sort == SEARCH_RELEVANCE) {
    ranked_part(s, a, p, p->phrase, RANKED_EXACT_NAME);
    sbuf_adds(&s->b, " UNION ALL ");
  }
  for (int i = 0; i < p->ranked->n; i++) {
    if (i) sbuf_adds(&s->b, " UNION ALL ");
    ranked_part(s, a, p, p->ranked->words[i], RANKED_WORD);
  }
  sbuf_adds(&s->b, ") m");
}

int search_sql_run(struct db *d, struct arena *a, const struct search_plan *p,
                   struct db_res *res) {
  const char *dir = direction(p->q);
  struct search_stmt st = {.np = 0};
  sbuf_init(&st.b, a);
  /* the columns of enum search_col */
  sbuf_printf(&st.b, "SELECT p.id, p.k, %s, %s, p.cls FROM (",
              p->q->sort == SEARCH_TITLE ? p->t->title_weight : "NULL",
              p->t->summary);
  switch (p->method) {
  case SEARCH_ORDERED:
    ordered(&st, a, p);
    break;
  case SEARCH_RANKED:
    ranked(&st, a, p);
    break;
  case SEARCH_POSTINGS:
    matched_on_entries(&st, a, p);
    break;
  case SEARCH_BROWSE:
  case SEARCH_HEADS:
  case SEARCH_POSTINGS_GROUPED:
  case SEARCH_FILTER_FIRST:
    matched_on_rows(&st, a, p);
    break;
  }
  sbuf_printf(&st.b, ") p JOIN %s t ON t.id = p.id %s", p->t->table,
              p->t->joins);
  /* The ordered plan stops examining rows past `examine` (index entries
   * and probes): words common one by one but rare together, or a selective
   * filter, would make it read most of the index. The planner then runs
   * the plan that suits that case. Its result is not sorted here (MariaDB
   * would abort the sort): the merge in C sorts every hit. */
  if (p->method == SEARCH_ORDERED)
    sbuf_printf(&st.b, " LIMIT ROWS EXAMINED %d", p->examine);
  else
    sbuf_printf(&st.b, " ORDER BY p.k %s, p.id %s", dir, dir);
  if (st.b.oom) return RC_NOMEM;
  const char *sql = intern(st.b.s);
  if (!sql) return RC_NOMEM;
  return db_exec(d, a, sql, st.p, st.np, DB_IDEMPOTENT, res);
}
