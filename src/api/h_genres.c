/* h_genres: the public list of genres (created on demand by catalogue
 * writes and imports). */
#include "api/handlers.h"

#include "api/app.h"
#include "api/h_catalogue.h"
#include "api/page.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/genre.h"

int h_genres_list(struct req *r) {
  struct page pg;
  struct db_res res;
  long long after;
  int st;
  struct arena *a = req_arena(r);
  page_get(r, &pg);
  if ((st = h_catalogue_id_cursor(r, pg.after, &after))) return st;
  int rc = genre_list(app.db, a, after, pg.limit, &res);
  if (rc) return req_problem(r, rc, NULL);
  json_object *arr = json_object_new_array();
  for (int i = 0; i < res.nrows; i++) {
    json_object *g = json_object_new_object();
    jx_add_int(g, "id", db_i64(&res.rows[i], 0, 0));
    jx_add_str(g, "name", db_s(&res.rows[i], 1));
    json_object_array_add(arr, g);
  }
  const char *next =
      res.nrows == pg.limit
          ? arena_printf(a, "%lld", db_i64(&res.rows[res.nrows - 1], 0, 0))
          : NULL;
  return h_catalogue_reply_list(r, arr, next);
}
