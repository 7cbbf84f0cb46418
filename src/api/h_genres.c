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
  struct h_catalogue_page pg;
  struct db_res res;
  int st;
  struct arena *a = req_arena(r);
  if ((st = h_catalogue_page(r, &pg))) return st;
  int rc = genre_list(app.db, a, pg.after, pg.limit, &res);
  if (rc) return req_problem(r, rc, NULL);
  json_object *arr = json_object_new_array();
  for (int i = 0; i < res.nrows; i++) {
    json_object *g = json_object_new_object();
    jx_add_int(g, "id", db_i64(&res.rows[i], 0, 0));
    jx_add_str(g, "name", db_s(&res.rows[i], 1));
    json_object_array_add(arr, g);
  }
  int n = res.nrows;
  return h_catalogue_reply_ids(r, arr, n, pg.limit,
                               n ? db_i64(&res.rows[n - 1], 0, 0) : 0);
}
