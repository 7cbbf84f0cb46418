/* h_health: liveness (the process answers) and readiness (the instance can
 * serve: MariaDB answers). memcached only makes answers faster: without it
 * every call still works from MariaDB, so the instance is ready, with the
 * cache reported down and the status "degraded". */
#include "api/handlers.h"

#include "api/app.h"
#include "api/req.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/jx.h"
#include "core/kv.h"
#include "core/rc.h"
#include "model/push.h"

int h_health_live(struct req *r) {
  static const char ok[] = "{\"status\":\"ok\"}";
  return req_reply_text(r, 200, "application/json", ok, sizeof ok - 1);
}

int h_health_ready(struct req *r) {
  bool db = db_ping(app.db) == 0, kv = kv_ping(app.kv) == 0;
  json_object *checks = json_object_new_object();
  jx_add_str(checks, "database", db ? "ok" : "down");
  jx_add_str(checks, "cache", kv ? "ok" : "down");
  /* Push channels: "on", or "off: <why>" (an operator's choice, never a
   * reason to be unready). */
  json_object *push = json_object_new_object();
  for (int c = 0; c < PUSH_CHANNELS; c++) {
    const char *off = push_channel_off(&app.cfg, (enum push_channel)c);
    jx_add_str(push, push_channel_names[c],
               off ? arena_printf(req_arena(r), "off: %s", off) : "on");
  }
  json_object_object_add(checks, "push", push);
  if (db) {
    json_object *o = jx_own(req_arena(r), json_object_new_object());
    jx_add_str(o, "status", kv ? "ready" : "degraded");
    json_object_object_add(o, "checks", checks);
    return req_reply_json(r, 200, o);
  }
  jx_own(req_arena(r), checks);
  req_retry_after(r, 5);
  return req_problem_ext(r, RC_UNAVAILABLE, "the database is unreachable",
                         "checks", checks);
}
