/* users: `encore-admin user create|ensure|role`, the accounts an operator
 * makes by hand (confirmed at once: no mail is involved), and `user
 * list|show|suspend|reinstate|delete`, the administration the admin API
 * does, audited under the actor "encore-admin". */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "core/arena.h"
#include "core/db.h"
#include "core/pw.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"
#include "core/timefmt.h"
#include "model/accounts.h"
#include "model/audit.h"
#include "model/session.h"
#include "model/user.h"

static bool role_valid(const char *r) {
  return r && (!strcmp(r, "user") || !strcmp(r, "editor") ||
               !strcmp(r, "moderator") || !strcmp(r, "admin"));
}

/* read_stdin_line: the first line of standard input, without its end. */
static char *read_stdin_line(struct arena *a) {
  char buf[PW_MAX_BYTES * 4 + 2];
  if (!fgets(buf, sizeof buf, stdin)) return NULL;
  buf[strcspn(buf, "\r\n")] = '\0';
  return arena_strdup(a, buf);
}

/* admin_password: a random password that passes the policy for the account
 * (120 bits). */
char *admin_password(struct arena *a, const char *user, const char *email) {
  for (;;) {
    char tok[44];
    rnd_token(tok);
    tok[20] = '\0'; /* 20 base64url characters: 120 bits */
    if (pw_policy(tok, user, email, NULL) == 0) return arena_strdup(a, tok);
  }
}

struct user_args {
  const char *username, *email, *password, *display, *role;
  bool admin, reset, pw_stdin;
  bool generated; /* the password was generated here */
};

static int user_args_check(struct ctx *x, const char *cmd, struct user_args *u);

/* user_args_parse: options or positionals (USERNAME EMAIL [ROLE]), then
 * the password source, then every field rule of the API. */
static int user_args_parse(struct ctx *x, const char *cmd, int argc,
                           char **argv, struct user_args *u) {
  int npos, rc;
  const struct opt opts[] = {{.name = "username", .val = &u->username},
                             {.name = "email", .val = &u->email},
                             {.name = "password", .val = &u->password},
                             {.name = "display-name", .val = &u->display},
                             {.name = "role", .val = &u->role},
                             {.name = "admin", .flag = &u->admin},
                             {.name = "reset", .flag = &u->reset},
                             {.name = "password-stdin", .flag = &u->pw_stdin},
                             {.name = NULL}};
  if ((rc = admin_opts(argc, argv, opts, &npos))) return rc;
  if (npos > 0) {
    /* The positional form, as scripts use it: USERNAME EMAIL [ROLE] with
     * the password on standard input. */
    if (npos > 3 || u->username || u->email || (npos == 3 && u->role))
      return admin_usage("user %s: give USERNAME EMAIL [ROLE] or options, "
                         "not both",
                         cmd);
    u->username = argv[0];
    if (npos > 1) u->email = argv[1];
    if (npos > 2) u->role = argv[2];
    if (!strcmp(cmd, "ensure")) u->reset = true;
    if (!isatty(STDIN_FILENO)) u->pw_stdin = true;
  }
  if (!u->username || !u->email)
    return admin_usage("user %s: --username and --email are required", cmd);
  if (u->reset && strcmp(cmd, "ensure") != 0)
    return admin_usage("user %s: --reset applies to ensure only", cmd);
  if (u->admin) {
    if (u->role && strcmp(u->role, "admin") != 0)
      return admin_usage("user %s: --admin contradicts --role", cmd);
    u->role = "admin";
  }
  if (!u->role) u->role = "user";
  if (!u->password) u->password = getenv("ENCORE_NEW_PASSWORD");
  if (!u->password && u->pw_stdin) {
    u->password = read_stdin_line(x->a);
    if (u->password && !u->password[0]) u->password = NULL;
  }
  return user_args_check(x, cmd, u);
}

/* user_args_check: every field rule of the API, and the email lower-cased
 * as the API stores it. */
static int user_args_check(struct ctx *x, const char *cmd,
                           struct user_args *u) {
  char *email = arena_strdup(x->a, u->email);
  if (!email) return 1;
  str_lower_ascii(email); /* stored lower-cased, as the API does */
  u->email = email;
  const char *bad = NULL;
  if (!user_name_valid(u->username))
    bad = "username: must be 3 to 32 letters, digits or _";
  else if (!user_email_valid(u->email))
    bad = "email: must be an email address";
  else if (!role_valid(u->role))
    bad = "role: must be user, editor or admin";
  else if (u->display && (!str_utf8_valid(u->display, strlen(u->display)) ||
                          str_utf8_len(u->display, strlen(u->display)) < 1 ||
                          str_utf8_len(u->display, strlen(u->display)) > 64))
    bad = "display name: must be 1 to 64 characters of UTF-8";
  if (bad) {
    fprintf(stderr, "user %s: invalid %s\n", cmd, bad);
    return 1;
  }

  if (u->password) {
    const char *why;
    if (pw_policy(u->password, u->username, u->email, &why)) {
      fprintf(stderr, "user %s: invalid password: %s\n", cmd, why);
      return 1;
    }
  }
  return 0;
}

/* user_reset: give an existing account the email, role and (when one was
 * given) password of u. A new password revokes the account's sessions. */
static int user_reset(struct ctx *x, const struct user *cur,
                      const struct user_args *u) {
  bool changed = false;
  admin_kv(x);
  if (strcmp(cur->email, u->email) != 0) {
    int rc = user_set_email(x->db, x->kv, cur->id, u->email);
    if (rc == RC_CONFLICT) {
      fprintf(stderr, "user ensure: email %s belongs to another account\n",
              u->email);
      return 1;
    }
    if (rc) goto fail;
    changed = true;
  }
  if (strcmp(cur->role, u->role) != 0) {
    if (user_set_role(x->db, x->kv, cur->id, u->role)) goto fail;
    changed = true;
  }
  if (u->password && pw_verify(cur->password_hash, u->password) != 0) {
    char hash[PW_HASH_MAX];
    if (pw_hash(u->password, hash) ||
        user_set_password(x->db, x->kv, cur->id, hash) ||
        session_revoke_user(x->db, x->kv, x->a, cur->id, 0))
      goto fail;
    changed = true;
  }
  printf("user ensure: %s %s (id %lld, role %s)\n",
         changed ? "updated" : "unchanged", cur->username, cur->id, u->role);
  return 0;
fail:
  fprintf(stderr, "user ensure: cannot update %s (see the log)\n",
          cur->username);
  return 1;
}

/* user_make: create the account of u, or for ensure accept an existing
 * username (bringing it in line with u when u.reset). */
static int user_make(struct ctx *x, const char *cmd, struct user_args u) {
  int rc;
  bool ensure = !strcmp(cmd, "ensure");
  if (admin_db(x, ensure ? "user ensure" : "user create")) return 1;

  struct user cur;
  if (ensure) {
    rc = user_by_username(x->db, x->a, u.username, &cur);
    if (rc == 0) {
      if (u.reset) return user_reset(x, &cur, &u);
      printf("user ensure: exists %s (id %lld, role %s)\n", cur.username,
             cur.id, cur.role);
      return 0;
    }
    if (rc != RC_NOT_FOUND) {
      fprintf(stderr, "user ensure: cannot look up %s\n", u.username);
      return 1;
    }
  }

  if (!u.password) {
    u.password = admin_password(x->a, u.username, u.email);
    u.generated = true;
  }
  char hash[PW_HASH_MAX];
  if (!u.password || pw_hash(u.password, hash)) {
    fprintf(stderr, "user %s: out of memory\n", cmd);
    return 1;
  }
  long long id = 0;
  const char *which = NULL;
  struct user_new fresh = {.username = u.username,
                           .email = u.email,
                           .pw_hash = hash,
                           .display_name = u.display ? u.display : u.username,
                           .role = u.role};
  rc = user_create(x->db, x->a, &fresh, &id, &which);
  if (rc == RC_CONFLICT && ensure && which && !strcmp(which, "username")) {
    /* Created meanwhile by someone else: that is what ensure wants. */
    printf("user ensure: exists %s\n", u.username);
    return 0;
  }
  if (rc == RC_CONFLICT) {
    if (which && !strcmp(which, "username"))
      fprintf(stderr, "user %s: username %s is taken\n", cmd, u.username);
    else
      fprintf(stderr, "user %s: email %s is already registered\n", cmd,
              u.email);
    return 1;
  }
  if (rc) {
    fprintf(stderr, "user %s: cannot create %s (see the log)\n", cmd,
            u.username);
    return 1;
  }
  if (u.generated)
    printf("user %s: created %s (id %lld, role %s), password: %s\n", cmd,
           u.username, id, u.role, u.password);
  else
    printf("user %s: created %s (id %lld, role %s)\n", cmd, u.username, id,
           u.role);
  return 0;
}

static int user_create_cmd(struct ctx *x, const char *cmd, int argc,
                           char **argv) {
  struct user_args u = {0};
  int rc = user_args_parse(x, cmd, argc, argv, &u);
  return rc ? rc : user_make(x, cmd, u);
}

int admin_user_ensure(struct ctx *x, const char *username, const char *email,
                      const char *role, const char *password) {
  struct user_args u = {.username = username,
                        .email = email,
                        .role = role,
                        .password = password,
                        .reset = true};
  int rc = user_args_check(x, "ensure", &u);
  return rc ? rc : user_make(x, "ensure", u);
}

static int user_role_cmd(struct ctx *x, int argc, char **argv) {
  int npos, rc;
  const struct opt opts[] = {{.name = NULL}};
  if ((rc = admin_opts(argc, argv, opts, &npos))) return rc;
  if (npos != 2) return admin_usage("%s", "user role: give USERNAME ROLE");
  const char *name = argv[0], *role = argv[1];
  if (!role_valid(role)) {
    fprintf(stderr,
            "user role: invalid role %s: must be user, editor, moderator "
            "or admin\n",
            role);
    return 1;
  }
  if (admin_db(x, "user role")) return 1;
  struct user cur;
  rc = user_by_username(x->db, x->a, name, &cur);
  if (rc == RC_NOT_FOUND) {
    fprintf(stderr, "user role: no such user %s\n", name);
    return 1;
  }
  admin_kv(x);
  if (rc || user_set_role(x->db, x->kv, cur.id, role)) {
    fprintf(stderr, "user role: cannot update %s (see the log)\n", name);
    return 1;
  }
  printf("user role: %s is now %s (was %s)\n", cur.username, role, cur.role);
  return 0;
}

/* --- administration ------------------------------------------------------- */

/* target: the account named by the command's first argument. */
static int target(struct ctx *x, const char *cmd, const char *name,
                  struct user *u) {
  if (admin_db(x, cmd)) return 1;
  int rc = user_name_valid(name) ? user_by_username(x->db, x->a, name, u)
                                 : RC_NOT_FOUND;
  if (rc == RC_NOT_FOUND) fprintf(stderr, "%s: no such user %s\n", cmd, name);
  if (rc && rc != RC_NOT_FOUND)
    fprintf(stderr, "%s: cannot read %s\n", cmd, name);
  return rc ? 1 : 0;
}

static int audit_cli(struct ctx *x, const char *action, long long id,
                     const char *reason) {
  return audit_add(x->db, &(struct audit_entry){.actor_name = "encore-admin",
                                                .action = action,
                                                .object_type = "user",
                                                .object_id = id,
                                                .reason = reason});
}

static int reason_ok(const char *cmd, const char *reason) {
  size_t n = reason ? strlen(reason) : 0;
  if (!n || !str_utf8_valid(reason, n) ||
      str_utf8_len(reason, n) > ACCOUNTS_REASON_MAX) {
    fprintf(stderr, "%s: --reason must be 1 to %d characters\n", cmd,
            ACCOUNTS_REASON_MAX);
    return 0;
  }
  return 1;
}

static int user_list_cmd(struct ctx *x, int argc, char **argv) {
  const char *q = NULL, *role = NULL, *status = NULL;
  int npos, rc;
  const struct opt opts[] = {{.name = "q", .val = &q},
                             {.name = "role", .val = &role},
                             {.name = "status", .val = &status},
                             {.name = NULL}};
  if ((rc = admin_opts(argc, argv, opts, &npos))) return rc;
  if (npos) return admin_usage("%s", "user list: no arguments");
  if (admin_db(x, "user list")) return 1;
  const char *after = NULL;
  do {
    json_object *items;
    const char *next;
    struct accounts_query aq = {.q = q,
                                .role = role,
                                .status = status,
                                .sort = ACCOUNTS_USERNAME,
                                .after = after,
                                .limit = 100};
    if (accounts_search(x->db, x->a, &aq, &items, &next)) {
      fprintf(stderr, "user list: failed (see the log)\n");
      return 1;
    }
    for (size_t i = 0; i < json_object_array_length(items); i++) {
      json_object *o = json_object_array_get_idx(items, i), *v;
      const char *f[4] = {"username", "email", "role", "status"};
      for (int k = 0; k < 4; k++) {
        json_object_object_get_ex(o, f[k], &v);
        printf("%s%s", k ? "\t" : "", json_object_get_string(v));
      }
      putchar('\n');
    }
    json_object_put(items);
    after = next;
  } while (after);
  return 0;
}

static int user_show_cmd(struct ctx *x, int argc, char **argv) {
  struct user u;
  json_object *o;
  if (argc != 1) return admin_usage("%s", "user show: give USERNAME");
  if (target(x, "user show", argv[0], &u)) return 1;
  if (accounts_detail(x->db, x->a, u.id, &o)) {
    fprintf(stderr, "user show: failed (see the log)\n");
    return 1;
  }
  puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
  json_object_put(o);
  return 0;
}

static int user_suspend_cmd(struct ctx *x, int argc, char **argv) {
  const char *reason = NULL, *until_text = NULL;
  int npos, rc;
  long long until = 0;
  struct user u;
  const struct opt opts[] = {{.name = "reason", .val = &reason},
                             {.name = "until", .val = &until_text},
                             {.name = NULL}};
  if ((rc = admin_opts(argc, argv, opts, &npos))) return rc;
  if (npos != 1) return admin_usage("%s", "user suspend: give USERNAME");
  if (!reason_ok("user suspend", reason)) return EXIT_USAGE;
  if (until_text && (timefmt_parse(until_text, &until) ||
                     until <= (long long)time(NULL) * 1000))
    return admin_usage("%s", "user suspend: --until must be an RFC 3339 time "
                             "in the future");
  if (target(x, "user suspend", argv[0], &u)) return 1;
  admin_kv(x);
  if (accounts_suspend(x->db, x->kv, x->a, u.id, reason, until) ||
      audit_cli(x, "user.suspend", u.id, reason)) {
    fprintf(stderr, "user suspend: failed (see the log)\n");
    return 1;
  }
  printf("user suspend: %s is suspended\n", u.username);
  return 0;
}

static int user_reinstate_cmd(struct ctx *x, int argc, char **argv) {
  struct user u;
  if (argc != 1) return admin_usage("%s", "user reinstate: give USERNAME");
  if (target(x, "user reinstate", argv[0], &u)) return 1;
  int rc = accounts_reinstate(x->db, u.id);
  if (rc == RC_NOT_FOUND) {
    fprintf(stderr, "user reinstate: %s is not suspended\n", u.username);
    return 1;
  }
  if (rc || audit_cli(x, "user.reinstate", u.id, NULL)) {
    fprintf(stderr, "user reinstate: failed (see the log)\n");
    return 1;
  }
  printf("user reinstate: %s is active\n", u.username);
  return 0;
}

static int user_delete_cmd(struct ctx *x, int argc, char **argv) {
  const char *reason = NULL;
  int npos, rc;
  struct user u;
  const struct opt opts[] = {{.name = "reason", .val = &reason},
                             {.name = NULL}};
  if ((rc = admin_opts(argc, argv, opts, &npos))) return rc;
  if (npos != 1) return admin_usage("%s", "user delete: give USERNAME");
  if (!reason_ok("user delete", reason)) return EXIT_USAGE;
  if (target(x, "user delete", argv[0], &u)) return 1;
  admin_kv(x);
  if (accounts_erase(x->db, x->kv, x->a, x->cfg.media_dir, u.id) ||
      audit_cli(x, "user.delete", u.id, reason)) {
    fprintf(stderr, "user delete: failed (see the log)\n");
    return 1;
  }
  printf("user delete: %s is gone\n", u.username);
  return 0;
}

int admin_user(struct ctx *x, int argc, char **argv) {
  if (argc < 1) return admin_usage("%s", "user: missing subcommand");
  const char *sub = argv[0];
  if (!strcmp(sub, "create") || !strcmp(sub, "ensure"))
    return user_create_cmd(x, sub, argc - 1, argv + 1);
  if (!strcmp(sub, "role")) return user_role_cmd(x, argc - 1, argv + 1);
  if (!strcmp(sub, "list")) return user_list_cmd(x, argc - 1, argv + 1);
  if (!strcmp(sub, "show")) return user_show_cmd(x, argc - 1, argv + 1);
  if (!strcmp(sub, "suspend")) return user_suspend_cmd(x, argc - 1, argv + 1);
  if (!strcmp(sub, "reinstate"))
    return user_reinstate_cmd(x, argc - 1, argv + 1);
  if (!strcmp(sub, "delete")) return user_delete_cmd(x, argc - 1, argv + 1);
  return admin_usage("user: unknown subcommand %s", sub);
}
