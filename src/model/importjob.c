/* importjob: the jobs table and its states; see importjob.h. */
#include "model/importjob.h"

#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/rc.h"
#include "model/cap.h"

static const char *const sources[] = {
    [IMPORTJOB_SPOTIFY] = "spotify",
    [IMPORTJOB_APPLE_MUSIC] = "apple_music",
    [IMPORTJOB_LASTFM_FILE] = "lastfm_file",
    [IMPORTJOB_LISTENBRAINZ_FILE] = "listenbrainz_file",
};

const char *importjob_source_name(enum importjob_source s) {
  return sources[s];
}

int importjob_create(struct db *d, struct arena *a, long long user,
                     enum importjob_source source, const char *what,
                     const void *payload, size_t payload_len, long long *id) {
  struct db_val u = DB_I(user);
  struct db_res res;
  int rc, tries = 0;
  do {
    rc = db_begin(d);
    if (!rc) rc = cap_lock_user(d, a, user);
    if (!rc)
      rc = db_exec(d, a,
                   CAP_COUNT("import_jobs WHERE user_id = ? AND state IN "
                             "('queued', 'running')"),
                   &u, 1, 0, &res);
    if (!rc && db_i64(&res.rows[0], 0, 0) >= CAP_USER_ACTIVE_IMPORTS)
      rc = RC_LIMIT;
    struct db_val p[] = {DB_I(user), DB_S(sources[source]), DB_S(what),
                         payload ? DB_B(payload, payload_len) : DB_NUL};
    if (!rc)
      rc = db_exec(d, NULL,
                   "INSERT INTO import_jobs (user_id, source, what, payload) "
                   "VALUES (?, ?, ?, ?)",
                   p, 4, 0, &res);
    if (!rc) *id = (long long)res.insert_id;
    /* The oldest finished jobs beyond IMPORTJOB_KEEP go. */
    struct db_val q[] = {DB_I(user), DB_I(user), DB_I(IMPORTJOB_KEEP)};
    if (!rc)
      rc = db_exec(d, NULL,
                   "DELETE FROM import_jobs WHERE user_id = ? AND state NOT "
                   "IN ('queued', 'running') AND id < (SELECT COALESCE(MIN("
                   "id), 0) FROM (SELECT id FROM import_jobs WHERE user_id = "
                   "? ORDER BY id DESC LIMIT ?) k)",
                   q, 3, 0, NULL);
    if (!rc) rc = db_commit(d);
    if (rc) db_rollback(d);
  } while (db_retry(rc, &tries));
  return rc;
}

#define JOB_COLS                                                               \
  "id, source, what, state, done, total, summary, error, "                     \
  "CAST(UNIX_TIMESTAMP(created_at) AS SIGNED), "                               \
  "CAST(UNIX_TIMESTAMP(started_at) AS SIGNED), "                               \
  "CAST(UNIX_TIMESTAMP(finished_at) AS SIGNED), "                              \
  "CAST(UNIX_TIMESTAMP(updated_at) AS SIGNED), attempts"

/* job_json: a JOB_COLS row as the API shows it. */
static json_object *job_json(struct arena *a, const struct db_row *row) {
  json_object *o = json_object_new_object(), *prog = json_object_new_object();
  jx_add_int(o, "id", db_i64(row, 0, 0));
  jx_add_str(o, "source", db_s(row, 1));
  json_object *what = json_object_new_array();
  const char *w = db_s(row, 2);
  for (const char *p = w ? w : ""; *p;) {
    size_t n = strcspn(p, ",");
    if (n) json_object_array_add(what, json_object_new_string_len(p, (int)n));
    p += n + (p[n] == ',');
  }
  json_object_object_add(o, "what", what);
  jx_add_str(o, "state", db_s(row, 3));
  jx_add_int(prog, "done", db_i64(row, 4, 0));
  if (db_s(row, 5))
    jx_add_int(prog, "total", db_i64(row, 5, 0));
  else
    json_object_object_add(prog, "total", NULL);
  json_object_object_add(o, "progress", prog);
  const char *sum = db_s(row, 6), *why = NULL;
  json_object *summary = NULL;
  if (sum) jx_parse(a, sum, strlen(sum), &summary, &why);
  json_object_object_add(o, "summary",
                         summary ? json_object_get(summary)
                                 : json_object_new_object());
  jx_add_str(o, "error", db_s(row, 7));
  jx_add_int(o, "attempts", db_i64(row, 12, 0));
  jx_add_time(o, "created_at", db_i64(row, 8, 0));
  jx_add_time(o, "started_at", db_i64(row, 9, 0));
  jx_add_time(o, "finished_at", db_i64(row, 10, 0));
  jx_add_time(o, "updated_at", db_i64(row, 11, 0));
  return o;
}

int importjob_get(struct db *d, struct arena *a, long long user, long long id,
                  json_object **out) {
  struct db_val p[] = {DB_I(id), DB_I(user)};
  struct db_res res;
  int rc = db_exec(
      d, a, "SELECT " JOB_COLS " FROM import_jobs WHERE id = ? AND user_id = ?",
      p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  if (!res.nrows) return RC_NOT_FOUND;
  *out = job_json(a, &res.rows[0]);
  return *out ? 0 : RC_NOMEM;
}

int importjob_list(struct db *d, struct arena *a, long long user,
                   long long before, int limit, json_object *items,
                   long long *next) {
  struct db_val p[] = {DB_I(user), DB_I(before ? before : INT64_MAX),
                       DB_I(limit + 1)};
  struct db_res res;
  *next = 0;
  int rc = db_exec(d, a,
                   "SELECT " JOB_COLS " FROM import_jobs WHERE user_id = ? AND "
                   "id < ? ORDER BY id DESC LIMIT ?",
                   p, 3, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  for (int r = 0; r < res.nrows && r < limit; r++)
    json_object_array_add(items, job_json(a, &res.rows[r]));
  if (res.nrows > limit) *next = db_i64(&res.rows[limit - 1], 0, 0);
  return 0;
}

int importjob_cancel(struct db *d, long long user, long long id) {
  struct db_val p[] = {DB_I(id), DB_I(user)};
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "UPDATE import_jobs SET state = 'cancelled', finished_at = "
                   "UTC_TIMESTAMP(3), updated_at = UTC_TIMESTAMP(3), "
                   "lease_until = NULL WHERE id = ? AND user_id = ? AND state "
                   "IN ('queued', 'running')",
                   p, 2, DB_IDEMPOTENT, &res);
  if (rc || res.affected) return rc;
  rc =
      db_exec(d, NULL, "SELECT 1 FROM import_jobs WHERE id = ? AND user_id = ?",
              p, 2, DB_IDEMPOTENT, &res);
  if (rc) return rc;
  return res.nrows ? RC_CONFLICT : RC_NOT_FOUND;
}

int importjob_claim(struct db *d, struct arena *a, int lease_s,
                    struct importjob *job) {
  struct db_res res;
  int rc, tries = 0;
  do {
    rc = db_begin(d);
    if (!rc)
      rc = db_exec(d, a,
                   "SELECT id, user_id, source + 0, what, resume, summary, "
                   "done, total, attempts, payload FROM import_jobs WHERE "
                   "(state = 'queued' AND next_run_at <= UTC_TIMESTAMP(3)) OR "
                   "(state = 'running' AND lease_until < UTC_TIMESTAMP(3)) "
                   "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                   NULL, 0, 0, &res);
    if (!rc && !res.nrows) rc = RC_NOT_FOUND;
    struct db_val p[] = {DB_I(lease_s),
                         DB_I(rc ? 0 : db_i64(&res.rows[0], 0, 0))};
    if (!rc)
      rc = db_exec(d, NULL,
                   "UPDATE import_jobs SET state = 'running', lease_until = "
                   "UTC_TIMESTAMP(3) + INTERVAL ? SECOND, started_at = "
                   "COALESCE(started_at, UTC_TIMESTAMP(3)), updated_at = "
                   "UTC_TIMESTAMP(3) WHERE id = ?",
                   p, 2, 0, NULL);
    if (!rc) rc = db_commit(d);
    if (rc) db_rollback(d);
  } while (db_retry(rc, &tries));
  if (rc) return rc;
  const struct db_row *row = &res.rows[0];
  long long src = db_i64(row, 2, 1) - 1;
  if (src < 0 || src > IMPORTJOB_LISTENBRAINZ_FILE) src = 0;
  *job = (struct importjob){.id = db_i64(row, 0, 0),
                            .user = db_i64(row, 1, 0),
                            .source = (enum importjob_source)src,
                            .what = db_s(row, 3),
                            .cursor = db_s(row, 4),
                            .summary = db_s(row, 5),
                            .done = db_i64(row, 6, 0),
                            .total = db_s(row, 7) ? db_i64(row, 7, 0) : -1,
                            .attempts = (int)db_i64(row, 8, 0),
                            .payload = (const unsigned char *)row->v[9],
                            .payload_len = row->v[9] ? row->len[9] : 0};
  return 0;
}

int importjob_save(struct db *d, const struct importjob *job, int lease_s) {
  struct db_val p[] = {
      DB_S(job->cursor), DB_S(job->summary),
      DB_I(job->done),   job->total >= 0 ? DB_I(job->total) : DB_NUL,
      DB_I(lease_s),     DB_I(job->id)};
  struct db_res res;
  int rc = db_exec(d, NULL,
                   "UPDATE import_jobs SET resume = ?, summary = ?, done = ?, "
                   "total = ?, attempts = 0, error = NULL, lease_until = "
                   "UTC_TIMESTAMP(3) + INTERVAL ? SECOND, updated_at = "
                   "UTC_TIMESTAMP(3) WHERE id = ? AND state = 'running'",
                   p, 6, 0, &res);
  if (rc) return rc;
  return res.affected ? 0 : RC_CONFLICT;
}

int importjob_finish(struct db *d, const struct importjob *job,
                     const char *state, const char *error) {
  struct db_val p[] = {DB_S(state), DB_S(error), DB_S(job->summary),
                       DB_I(job->done), DB_I(job->id)};
  return db_exec(d, NULL,
                 "UPDATE import_jobs SET state = ?, error = LEFT(?, 512), "
                 "summary = ?, done = ?, finished_at = UTC_TIMESTAMP(3), "
                 "updated_at = UTC_TIMESTAMP(3), lease_until = NULL, payload "
                 "= NULL WHERE id = ? AND state = 'running'",
                 p, 5, DB_IDEMPOTENT, NULL);
}

int importjob_later(struct db *d, const struct importjob *job, int delay_s,
                    const char *note, bool counted) {
  struct db_val p[] = {DB_I(counted), DB_I(IMPORTJOB_ATTEMPTS), DB_S(note),
                       DB_I(delay_s), DB_I(IMPORTJOB_ATTEMPTS), DB_I(job->id)};
  /* Assignments run left to right: the state sees the new attempts. */
  return db_exec(d, NULL,
                 "UPDATE import_jobs SET attempts = attempts + ?, state = "
                 "IF(attempts >= ?, 'failed', 'queued'), error = LEFT(?, 512), "
                 "next_run_at = UTC_TIMESTAMP(3) + INTERVAL ? SECOND, "
                 "lease_until = NULL, updated_at = UTC_TIMESTAMP(3), "
                 "finished_at = IF(attempts >= ?, UTC_TIMESTAMP(3), NULL) "
                 "WHERE id = ? AND state = 'running'",
                 p, 6, DB_IDEMPOTENT, NULL);
}
