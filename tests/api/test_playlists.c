/* test_playlists: the playlist model in-process against the test stack's
 * MariaDB and memcached: random track edits checked against an array after
 * every step (dense positions, order, counts, snapshots), the memcached copy
 * of public playlists (stored, invalidated, never for private or unlisted
 * ones, never served once MariaDB says the playlist is not public), reads
 * with memcached unreachable, and tracks leaving the catalogue. Skips (77)
 * without ENCORE_STACK_DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/app.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/kv.h"
#include "core/rc.h"
#include "fake.h"
#include "model/playlist.h"
#include "model/user.h"

static long long owner, track[6];

#define MAXN 64

/* same: the playlist's rows equal want[0..n) at positions 0..n-1. */
static int same(long long id, const long long *want, int n) {
  struct db_res res;
  struct db_val v = DB_I(id);
  if (db_exec(app.db, fake_arena,
              "SELECT position, track_id FROM playlist_tracks "
              "WHERE playlist_id = ? ORDER BY position",
              &v, 1, 0, &res))
    return 0;
  if (res.nrows != n) return 0;
  for (int i = 0; i < n; i++)
    if (db_i64(&res.rows[i], 0, -1) != i ||
        db_i64(&res.rows[i], 1, -1) != want[i])
      return 0;
  return 1;
}

static void setup(void) {
  char name[40];
  const char *which;
  snprintf(name, sizeof name, "plc_%ld_%d", (long)time(NULL), (int)getpid());
  struct user_new fresh = {.username = name,
                           .email =
                               arena_printf(fake_arena, "%s@example.org", name),
                           .pw_hash = "x",
                           .display_name = name};
  int rc = user_create(app.db, fake_arena, &fresh, &owner, &which);
  CHECK(rc == 0, "user_create %d", rc);
  for (int i = 0; i < 6; i++) {
    struct db_res res;
    struct db_val v = DB_S(arena_printf(fake_arena, "%s track %d", name, i));
    rc = db_exec(app.db, fake_arena,
                 "INSERT INTO tracks (title, duration_ms) VALUES (?, 1000)", &v,
                 1, 0, &res);
    CHECK(rc == 0, "track %d", rc);
    track[i] = (long long)res.insert_id;
  }
}

/* Random adds, removals (positions and ranges) and moves, each compared
 * with the same edit on an array. */
static void test_random_edits(void) {
  long long id, snap, want[MAXN], expect_snap = 1;
  int n = 0;
  struct playlist_err err;
  int rc = playlist_create(app.db, app.kv, fake_arena, owner, "random", NULL,
                           "private", false, &id);
  CHECK(rc == 0, "create %d", rc);
  srand(12345);
  for (int step = 0; step < 300 && !t_failures; step++) {
    int op = rand() % 4;
    if (n == 0) op = 0;
    if (op == 0 && n < MAXN - 4) {
      long long ids[4];
      int k = 1 + rand() % 4, at = rand() % (n + 1);
      for (int i = 0; i < k; i++)
        ids[i] = track[rand() % 6];
      rc = playlist_add(app.db, app.kv, fake_arena, id, owner, ids, k, at,
                        expect_snap, &snap, &err);
      memmove(want + at + k, want + at, sizeof *want * (size_t)(n - at));
      memcpy(want + at, ids, sizeof *ids * (size_t)k);
      n += k;
    } else if (op == 1) {
      long long pos[MAXN];
      int k = 0;
      for (int i = 0; i < n; i++)
        if (rand() % 3 == 0) pos[k++] = i;
      if (k == 0) pos[k++] = n - 1;
      for (int i = k - 1; i > 0; i--) { /* any order is fine */
        int j = rand() % (i + 1);
        long long t = pos[i];
        pos[i] = pos[j];
        pos[j] = t;
      }
      rc = playlist_remove(app.db, app.kv, fake_arena, id, owner, pos, k,
                           expect_snap, &snap, &err);
      int m = 0;
      for (int i = 0; i < n; i++) {
        int gone = 0;
        for (int j = 0; j < k; j++)
          gone |= pos[j] == i;
        if (!gone) want[m++] = want[i];
      }
      n = m;
    } else if (op == 2) {
      int s = rand() % n, len = 1 + rand() % (n - s);
      rc = playlist_remove_range(app.db, app.kv, fake_arena, id, owner, s, len,
                                 expect_snap, &snap, &err);
      memmove(want + s, want + s + len, sizeof *want * (size_t)(n - s - len));
      n -= len;
    } else {
      int s = rand() % n, len = 1 + rand() % (n - s), b = rand() % (n + 1);
      rc = playlist_move(app.db, app.kv, fake_arena, id, owner, s, len, b,
                         expect_snap, &snap, &err);
      if (b < s || b > s + len) {
        long long tmp[MAXN], out[MAXN];
        int m = 0;
        memcpy(tmp, want + s, sizeof *tmp * (size_t)len);
        for (int i = 0; i <= n; i++) {
          if (i == b)
            for (int j = 0; j < len; j++)
              out[m++] = tmp[j];
          if (i < n && (i < s || i >= s + len)) out[m++] = want[i];
        }
        memcpy(want, out, sizeof *want * (size_t)n);
      } else {
        expect_snap--; /* onto itself: no change, no bump */
      }
    }
    CHECK(rc == 0, "step %d op %d: rc %d", step, op, rc);
    expect_snap++;
    CHECK(snap == expect_snap, "step %d: snapshot %lld, expected %lld", step,
          snap, expect_snap);
    CHECK(same(id, want, n), "step %d op %d: rows differ", step, op);
    struct playlist p;
    rc = playlist_get(app.db, fake_arena, id, owner, &p);
    CHECK(rc == 0 && p.track_count == n && p.snapshot == expect_snap,
          "step %d: count %lld of %d", step, p.track_count, n);
    arena_reset(fake_arena);
  }
  /* a stale snapshot changes nothing */
  long long one = track[0];
  rc = playlist_add(app.db, app.kv, fake_arena, id, owner, &one, 1, -1,
                    expect_snap - 1, &snap, &err);
  CHECK(rc == RC_PRECONDITION && snap == expect_snap, "stale: %d %lld", rc,
        snap);
  CHECK(same(id, want, n), "a stale add changed rows");
  /* a stranger sees nothing of a private playlist */
  struct playlist p;
  CHECK(playlist_get(app.db, fake_arena, id, owner + 1000000, &p) ==
            RC_NOT_FOUND,
        "private visible to a stranger");
  rc = playlist_add(app.db, app.kv, fake_arena, id, owner + 1000000, &one, 1,
                    -1, 0, &snap, &err);
  CHECK(rc == RC_NOT_FOUND, "stranger's add: %d", rc);
}

/* cached: the memcached copy of playlist id, or NULL. */
static const char *cached(struct kv *k, long long id) {
  char *key, *val;
  size_t len;
  if (kv_ns_key(k, fake_arena, arena_printf(fake_arena, "playlist:%lld", id),
                "json", &key))
    return NULL;
  return kv_get(k, fake_arena, key, &val, &len) == 0 ? val : NULL;
}

static void test_cache(void) {
  long long pub, priv, snap;
  const char *text;
  size_t len;
  playlist_create(app.db, app.kv, fake_arena, owner, "cached", NULL, "public",
                  false, &pub);
  playlist_create(app.db, app.kv, fake_arena, owner, "private", NULL, "private",
                  false, &priv);
  CHECK(cached(app.kv, pub) == NULL, "cached before any read");
  int rc =
      playlist_text(app.db, app.kv, fake_arena, pub, 0, &text, &len, &snap);
  CHECK(rc == 0 && strstr(text, "\"name\":\"cached\""), "read %d", rc);
  const char *c = cached(app.kv, pub);
  CHECK(c && strncmp(c, "1 {", 3) == 0, "not cached: %s", c ? c : "(none)");
  struct playlist_patch pt = {.name = "renamed", .collaborative = -1};
  rc = playlist_update(app.db, app.kv, fake_arena, pub, owner, &pt, 0, &snap);
  CHECK(rc == 0 && snap == 2, "update %d %lld", rc, snap);
  CHECK(cached(app.kv, pub) == NULL, "the copy survived the update");
  rc = playlist_text(app.db, app.kv, fake_arena, pub, 0, &text, &len, &snap);
  CHECK(rc == 0 && strstr(text, "\"renamed\"") && snap == 2, "reread %s", text);
  rc = playlist_text(app.db, app.kv, fake_arena, priv, owner, &text, &len,
                     &snap);
  CHECK(rc == 0 && cached(app.kv, priv) == NULL, "a private playlist cached");
  CHECK(playlist_text(app.db, app.kv, fake_arena, priv, 0, &text, &len,
                      &snap) == RC_NOT_FOUND,
        "private readable anonymously");

  /* An unlisted playlist is never cached: its JSON shows the key to owner
   * and grantees, and nobody else may read it by id. */
  long long unl;
  playlist_create(app.db, app.kv, fake_arena, owner, "unlisted", NULL,
                  "unlisted", false, &unl);
  rc =
      playlist_text(app.db, app.kv, fake_arena, unl, owner, &text, &len, &snap);
  CHECK(rc == 0 && strstr(text, "\"unlisted_key\":\"") &&
            cached(app.kv, unl) == NULL,
        "unlisted read %d: %s", rc, rc ? "" : text);
  CHECK(playlist_text(app.db, app.kv, fake_arena, unl, 0, &text, &len, &snap) ==
            RC_NOT_FOUND,
        "unlisted readable by id anonymously");

  /* A public copy whose invalidation never reached memcached (the row
   * changed behind the model's back) serves no stranger once the playlist
   * is unlisted or private: MariaDB has the last word. */
  rc = playlist_text(app.db, app.kv, fake_arena, pub, 0, &text, &len, &snap);
  CHECK(rc == 0 && cached(app.kv, pub), "public copy %d", rc);
  const char *vis[] = {"unlisted", "private"};
  for (int i = 0; i < 2; i++) {
    struct db_val v[] = {DB_S(vis[i]), DB_I(pub)};
    rc = db_exec(app.db, NULL,
                 "UPDATE playlists SET visibility = ? WHERE id = ?", v, 2, 0,
                 NULL);
    CHECK(rc == 0 && cached(app.kv, pub), "%s behind the cache: %d", vis[i],
          rc);
    CHECK(playlist_text(app.db, app.kv, fake_arena, pub, owner + 1000000, &text,
                        &len, &snap) == RC_NOT_FOUND,
          "a stale public copy serves a now %s playlist", vis[i]);
    rc = playlist_text(app.db, app.kv, fake_arena, pub, owner, &text, &len,
                       &snap);
    CHECK(rc == 0 && strstr(text, vis[i]), "the owner reads %d", rc);
  }
  struct db_val back = DB_I(pub);
  db_exec(app.db, NULL,
          "UPDATE playlists SET visibility = 'public' WHERE id = ?", &back, 1,
          0, NULL);

  /* memcached unreachable: reads come from MariaDB */
  struct kv *down;
  CHECK(kv_open(&down, "/nonexistent/memcached.sock") == 0, "kv_open");
  rc = playlist_text(app.db, down, fake_arena, pub, 0, &text, &len, &snap);
  CHECK(rc == 0 && strstr(text, "\"renamed\""), "read with the cache down %d",
        rc);
  pt.name = "offline";
  rc = playlist_update(app.db, down, fake_arena, pub, owner, &pt, 0, &snap);
  CHECK(rc == 0, "write with the cache down %d", rc);
  kv_close(down);
}

/* new_track: a fresh track id, 0 on failure. */
static long long new_track(void) {
  struct db_res res;
  struct db_val v = DB_S("doomed");
  if (db_exec(app.db, fake_arena,
              "INSERT INTO tracks (title, duration_ms) VALUES (?, 1000)", &v, 1,
              0, &res))
    return 0;
  return (long long)res.insert_id;
}

/* A track deleted by a bare cascade (not through the API, which compacts
 * itself) leaves holes that the next edit closes. */
static void test_deleted_tracks(void) {
  long long id, snap, b = track[1], c = new_track();
  struct playlist_err err;
  struct playlist p;
  playlist_create(app.db, app.kv, fake_arena, owner, "doomed", NULL, "public",
                  false, &id);
  long long ids[] = {b, c, b};
  int rc = playlist_add(app.db, app.kv, fake_arena, id, owner, ids, 3, -1, 0,
                        &snap, &err);
  CHECK(rc == 0 && snap == 2, "add %d", rc);
  struct db_val v = DB_I(c);
  rc = db_exec(app.db, NULL, "DELETE FROM tracks WHERE id = ?", &v, 1, 0, NULL);
  CHECK(rc == 0, "delete track %d", rc);
  long long more = track[2];
  rc = playlist_add(app.db, app.kv, fake_arena, id, owner, &more, 1, -1, 0,
                    &snap, &err);
  long long repaired[] = {b, b, more};
  CHECK(rc == 0 && same(id, repaired, 3), "repair %d", rc);
  rc = playlist_get(app.db, fake_arena, id, owner, &p);
  CHECK(rc == 0 && p.track_count == 3, "count after repair %lld",
        p.track_count);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  int rc = fake_open("test_playlists", NULL, NULL);
  if (rc) return rc;
  T_CASE(setup);
  arena_reset(fake_arena);
  T_CASE(test_random_edits);
  arena_reset(fake_arena);
  T_CASE(test_cache);
  arena_reset(fake_arena);
  T_CASE(test_deleted_tracks);
  arena_reset(fake_arena);
  user_delete(app.db, app.kv, owner);
  return fake_close();
}
