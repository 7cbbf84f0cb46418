/* test_mail: the message built for SMTP (Date, From, To, RFC 2047 Subject,
 * Message-ID, MIME headers, CRLF body), refusal of injectable recipients,
 * senders and subjects, the spooled development path (never the log), and a
 * real delivery through libcurl to tests/core/smtp_sink.py (skipped when
 * python3 is missing). Cases that send work in a scratch directory of their
 * own, with the log in it, and remove it. */
#include "core/cfg.h"
#include "core/log.h"
#include "core/mail.h"
#include "core/rc.h"
#include "core/rnd.h"
#include "core/str.h"

#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"

extern char **environ;

#define NOW 1767323045LL /* Fri, 02 Jan 2026 03:04:05 +0000 */

#define DIR_TEMPLATE "/tmp/encore-test-mail-XXXXXX"

static char dir[sizeof DIR_TEMPLATE];
static const char *const from = "Encore <no-reply@example.com>";

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *s = malloc((size_t)n + 1);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  fclose(f);
  return s;
}

/* The header section (up to the blank line), malloc'd. */
static char *headers_of(const char *msg) {
  const char *end = strstr(msg, "\r\n\r\n");
  if (!end) return NULL;
  return strndup(msg, (size_t)(end - msg) + 2);
}

/* True when some header line (after a CRLF) starts with name. */
static int has_header_line(const char *hdrs, const char *name) {
  char pat[64];
  snprintf(pat, sizeof pat, "\r\n%s", name);
  return strncmp(hdrs, name, strlen(name)) == 0 || strstr(hdrs, pat) != NULL;
}

/* Decode a folded sequence of =?UTF-8?B?...?= words into out; checks each
 * word is at most 75 characters and decodes to whole UTF-8 characters. */
static int decode_subject(const char *v, char *out, size_t cap, int *words) {
  size_t n = 0;
  *words = 0;
  while (*v) {
    while (*v == '\r' || *v == '\n' || *v == ' ')
      v++;
    if (!*v) break;
    if (strncmp(v, "=?UTF-8?B?", 10) != 0) return 0;
    const char *end = strstr(v + 10, "?=");
    if (!end || end - v + 2 > 75) return 0;
    size_t got;
    if (sodium_base642bin((unsigned char *)out + n, cap - n - 1, v + 10,
                          (size_t)(end - v - 10), NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
      return 0;
    if (!str_utf8_valid(out + n, got)) return 0;
    n += got;
    (*words)++;
    v = end + 2;
  }
  out[n] = '\0';
  return 1;
}

/* Start the sink; returns its pid and writes the port, or -1. */
static pid_t start_sink(char *script, char *port_file, char *out, int *port) {
  char *argv[] = {"python3", script, "--port-file", port_file,
                  "--out",   out,    NULL};
  pid_t pid;
  if (posix_spawnp(&pid, "python3", NULL, NULL, argv, environ) != 0) return -1;
  for (int i = 0; i < 500; i++) { /* up to 5 s */
    char *p = slurp(port_file);
    if (p) {
      *port = atoi(p);
      free(p);
      return pid;
    }
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  return -1;
}

static int python3_present(void) {
  return system("python3 -c '' >/dev/null 2>&1") == 0;
}

/* path_in: the path of `name` inside the scratch directory, into out. */
static void path_in(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "%s/%s", dir, name);
}

/* scratch_begin: a fresh directory, and the log appended to mail.log in it
 * (the messages must never reach it). */
static void scratch_begin(void) {
  CHECK_INT(rnd_init(), 0);
  snprintf(dir, sizeof dir, "%s", DIR_TEMPLATE);
  CHECK(mkdtemp(dir) != NULL);
  char logpath[PATH_MAX];
  path_in(logpath, sizeof logpath, "mail.log");
  CHECK_INT(log_init("test-mail", LOG_INFO, logpath), 0);
}

/* scratch_end: the log back on stderr, the files and directory gone. */
static void scratch_end(void) {
  CHECK_INT(log_init("test-mail", LOG_INFO, NULL), 0);
  const char *files[] = {"mail.log", "mbox", "port", "received"};
  char p[PATH_MAX];
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    path_in(p, sizeof p, files[i]);
    unlink(p);
  }
  CHECK(rmdir(dir) == 0);
}

/* slurp_in: the whole of file `name` of the scratch directory, malloc'd. */
static char *slurp_in(const char *name) {
  char p[PATH_MAX];
  path_in(p, sizeof p, name);
  return slurp(p);
}

/* dev_cfg: settings without smtp_url or mail_spool, whose mail_from points
 * at from_buf (which must outlive the result). */
static struct cfg dev_cfg(char *from_buf) {
  struct cfg c = {0};
  c.smtp_url = "";
  c.mail_from = from_buf;
  return c;
}

/* --- the message ------------------------------------------------------- */

static char *reset_message(void) {
  return mail_format(from, "user@example.org", "Reset your password",
                     "Hello,\nclick here:\r\nhttps://x/y\n\n.dot line\rlast",
                     NOW);
}

static void message_has_date_from_to_subject_mime_and_message_id(void) {
  CHECK_INT(rnd_init(), 0);
  char *m = reset_message();
  CHECK(m != NULL);
  char *h = m ? headers_of(m) : NULL;
  CHECK(h != NULL);
  if (h) {
    CHECK(strncmp(h, "Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n", 39) == 0);
    CHECK_HAS(h, "\r\nFrom: Encore <no-reply@example.com>\r\n");
    CHECK_HAS(h, "\r\nTo: user@example.org\r\n");
    CHECK_HAS(h, "\r\nSubject: Reset your password\r\n");
    CHECK_HAS(h, "\r\nMIME-Version: 1.0\r\n");
    CHECK_HAS(h, "\r\nContent-Type: text/plain; charset=UTF-8\r\n");
    const char *mid = strstr(h, "\r\nMessage-ID: <");
    CHECK(mid != NULL);
    if (mid) {
      mid += 15;
      CHECK(strspn(mid, "0123456789abcdef") == 32);
      CHECK(strncmp(mid + 32, "@example.com>\r\n", 15) == 0);
    }
    /* No bare LF anywhere in the headers. */
    int bare = 0;
    for (const char *p = h; *p; p++)
      if (*p == '\n' && (p == h || p[-1] != '\r')) bare = 1;
    CHECK(!bare);
  }
  free(h);
  free(m);
}

static void body_lines_end_in_crlf(void) {
  CHECK_INT(rnd_init(), 0);
  char *m = reset_message();
  const char *body = m ? strstr(m, "\r\n\r\n") : NULL;
  CHECK(body && strcmp(body + 4, "Hello,\r\nclick here:\r\nhttps://x/y\r\n\r\n"
                                 ".dot line\r\nlast\r\n") == 0);
  free(m);
}

static void two_messages_never_share_a_message_id(void) {
  CHECK_INT(rnd_init(), 0);
  /* The same message twice: only the Message-ID can tell them apart. */
  char *m = reset_message();
  char *m2 = reset_message();
  CHECK(m && m2 && strcmp(m, m2) != 0);
  free(m);
  free(m2);
}

static void bare_from_address_is_accepted(void) {
  CHECK_INT(rnd_init(), 0);
  char *m = mail_format("no-reply@example.com", "u@example.org", "s", "b", NOW);
  CHECK(m != NULL);
  if (m) CHECK_HAS(m, "\r\nFrom: no-reply@example.com\r\n");
  free(m);
}

static void header_injection_through_the_subject_is_neutralised(void) {
  CHECK_INT(rnd_init(), 0);
  char *m = mail_format(from, "u@example.org",
                        "Hi\r\nBcc: victim@example.net\nX: y", "b", NOW);
  char *h = m ? headers_of(m) : NULL;
  CHECK(h != NULL);
  if (h) {
    CHECK(!has_header_line(h, "Bcc:"));
    CHECK(!has_header_line(h, "X:"));
    CHECK_HAS(h, "\r\nSubject: Hi  Bcc: victim@example.net X: y\r\n");
  }
  free(h);
  free(m);
}

static void non_ascii_subject_is_folded_rfc2047_words(void) {
  CHECK_INT(rnd_init(), 0);
  /* Decoding to the original. */
  const char *subj = "R\xc3\xa9initialisez votre mot de passe \xf0\x9f\x8e\xb5 "
                     "\xe2\x80\x94 \xd0\xa1\xd0\xb1\xd1\x80\xd0\xbe\xd1\x81 "
                     "\xe5\xaf\x86\xe7\xa0\x81\xe9\x87\x8d\xe7\xbd\xae";
  char *m = mail_format(from, "u@example.org", subj, "b", NOW);
  char *h = m ? headers_of(m) : NULL;
  CHECK(h != NULL);
  if (h) {
    const char *s = strstr(h, "\r\nSubject: ");
    CHECK(s != NULL);
    if (s) {
      s += 11;
      const char *e = strstr(s, "\r\nMessage-ID:");
      char *val = strndup(s, (size_t)(e - s));
      char decoded[512];
      int words = 0;
      CHECK(decode_subject(val, decoded, sizeof decoded, &words));
      CHECK_STR(decoded, subj);
      CHECK(words >= 2);
      /* Continuation lines start with a space (folding). */
      for (const char *p = strstr(val, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        CHECK(p[2] == ' ');
      free(val);
    }
  }
  free(h);
  free(m);
}

static void injectable_recipients_are_refused(void) {
  CHECK_INT(rnd_init(), 0);
  /* They could inject SMTP commands or headers. */
  const char *bad_to[] = {"",
                          "user",
                          "user@",
                          "@example.org",
                          "a@b@c",
                          "a b@example.org",
                          "a@example.org\r\nRCPT TO:<x@y>",
                          "a@example.org\n",
                          "<a@example.org>",
                          "a@example.org,b@example.org",
                          "a@example.org;b@c",
                          "\"a\"@example.org",
                          "a\t@example.org",
                          "a\x7f@b.c"};
  for (size_t i = 0; i < sizeof bad_to / sizeof bad_to[0]; i++) {
    char *x = mail_format(from, bad_to[i], "s", "b", NOW);
    if (x) fprintf(stderr, "accepted recipient '%s'\n", bad_to[i]);
    CHECK(x == NULL);
    free(x);
  }
  char longaddr[300];
  memset(longaddr, 'a', 260);
  memcpy(longaddr + 250, "@example.org", 13);
  CHECK(mail_format(from, longaddr, "s", "b", NOW) == NULL); /* 262 bytes */
  CHECK(mail_format(from, NULL, "s", "b", NOW) == NULL);
}

static void injectable_or_addressless_senders_are_refused(void) {
  CHECK_INT(rnd_init(), 0);
  CHECK(mail_format("Encore <x@y>\r\nBcc: v@w", "u@example.org", "s", "b",
                    NOW) == NULL);
  CHECK(mail_format("Encore <no address>", "u@example.org", "s", "b", NOW) ==
        NULL);
  CHECK(mail_format(NULL, "u@example.org", "s", "b", NOW) == NULL);
}

/* --- mail_send without smtp_url: spooled or dropped, never logged ------ */

static void mail_is_dropped_without_smtp_url_or_spool(void) {
  scratch_begin();
  char from_buf[] = "Encore <no-reply@example.com>";
  struct cfg c = dev_cfg(from_buf);
  CHECK_INT(mail_send(&c, "dev@example.org", "Dropped", "secret-1"), RC_IO);
  char *log = slurp_in("mail.log");
  CHECK(log != NULL);
  if (log) {
    CHECK_HAS(log, "mail dropped");
    CHECK(strstr(log, "secret-1") == NULL);
  }
  free(log);
  scratch_end();
}

static void spool_is_an_mbox_of_mode_0600_kept_out_of_the_log(void) {
  scratch_begin();
  char from_buf[] = "Encore <no-reply@example.com>";
  struct cfg c = dev_cfg(from_buf);
  char spoolpath[PATH_MAX];
  path_in(spoolpath, sizeof spoolpath, "mbox");
  c.mail_spool = spoolpath;
  CHECK_INT(mail_send(&c, "dev@example.org", "Your link",
                      "https://x/reset?t=abc\r\nFrom here on\r\n"),
            0);
  CHECK_INT(mail_send(&c, "two@example.org", "Second", "secret-2"), 0);
  struct stat sst;
  CHECK(stat(spoolpath, &sst) == 0 && (sst.st_mode & 0777) == 0600);
  char *box = slurp(spoolpath);
  CHECK(box != NULL);
  if (box) {
    CHECK(strncmp(box, "From encore ", 12) == 0);
    CHECK_HAS(box, "\nTo: dev@example.org\n");
    CHECK_HAS(box, "\nhttps://x/reset?t=abc\n>From here on\n");
    CHECK_HAS(box, "\n\nFrom encore "); /* the second entry */
    CHECK_HAS(box, "\nsecret-2\n");
    CHECK(strchr(box, '\r') == NULL);
  }
  free(box);
  char *log = slurp_in("mail.log");
  CHECK(log != NULL);
  if (log)
    CHECK(strstr(log, "reset?t=") == NULL && strstr(log, "secret-2") == NULL);
  free(log);
  scratch_end();
}

static void spool_refuses_an_injectable_recipient(void) {
  scratch_begin();
  char from_buf[] = "Encore <no-reply@example.com>";
  struct cfg c = dev_cfg(from_buf);
  char spoolpath[PATH_MAX];
  path_in(spoolpath, sizeof spoolpath, "mbox");
  c.mail_spool = spoolpath;
  CHECK_INT(mail_send(&c, "dev@example.org\r\nX: y", "s", "b"), RC_IO);
  scratch_end();
}

/* --- delivery over SMTP, to smtp_sink.py ($ENCORE_SMTP_SINK) ----------- */

static void smtp_delivers_the_message_intact(void) {
  scratch_begin();
  char script[PATH_MAX];
  if (getenv("ENCORE_SMTP_SINK"))
    snprintf(script, sizeof script, "%s", getenv("ENCORE_SMTP_SINK"));
  else {
    const char *f = __FILE__;
    const char *slash = strrchr(f, '/');
    snprintf(script, sizeof script, "%.*s%ssmtp_sink.py",
             slash ? (int)(slash - f) : 0, f, slash ? "/" : "");
  }
  char port_file[PATH_MAX], out[PATH_MAX];
  path_in(port_file, sizeof port_file, "port");
  path_in(out, sizeof out, "received");
  if (!python3_present() || access(script, R_OK) != 0) {
    fprintf(stderr,
            "test_mail: python3 or %s missing: SMTP delivery not tested\n",
            script);
    scratch_end();
    return;
  }
  char from_buf[] = "Encore <no-reply@example.com>";
  struct cfg c = dev_cfg(from_buf);
  int port = 0;
  pid_t pid = start_sink(script, port_file, out, &port);
  CHECK(pid > 0 && port > 0);
  if (pid > 0) {
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", port);
    c.smtp_url = url;
    c.smtp_user = "";
    CHECK_INT(mail_send(&c, "user@example.org", "Caf\xc3\xa9 \xf0\x9f\x8e\xb5",
                        "Line one\n.starts with a dot\n..two dots\nend"),
              0);
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *got = slurp(out);
    CHECK(got != NULL);
    if (got) {
      CHECK(strncmp(got, "MAIL FROM:<no-reply@example.com>", 32) == 0);
      CHECK_HAS(got, "\nRCPT TO:<user@example.org>\n\n");
      CHECK_HAS(got, "\r\nTo: user@example.org\r\n");
      CHECK_HAS(got, "\r\nSubject: =?UTF-8?B?Q2Fmw6kg8J+OtQ==?=\r\n");
      CHECK_HAS(got, "\r\nContent-Type: text/plain; charset=UTF-8\r\n");
      /* libcurl dot-stuffs, the sink un-stuffs: the body arrives intact. */
      CHECK_HAS(
          got,
          "\r\n\r\nLine one\r\n.starts with a dot\r\n..two dots\r\nend\r\n");
    }
    free(got);
  }
  scratch_end();
}

static void unreachable_smtp_server_fails_quickly(void) {
  scratch_begin();
  char from_buf[] = "Encore <no-reply@example.com>";
  struct cfg c = dev_cfg(from_buf);
  c.smtp_url = "smtp://127.0.0.1:1";
  c.smtp_user = "";
  time_t t0 = time(NULL);
  CHECK_INT(mail_send(&c, "user@example.org", "s", "b"), RC_IO);
  CHECK(time(NULL) - t0 < 10);
  scratch_end();
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(message_has_date_from_to_subject_mime_and_message_id);
  T_CASE(body_lines_end_in_crlf);
  T_CASE(two_messages_never_share_a_message_id);
  T_CASE(bare_from_address_is_accepted);
  T_CASE(header_injection_through_the_subject_is_neutralised);
  T_CASE(non_ascii_subject_is_folded_rfc2047_words);
  T_CASE(injectable_recipients_are_refused);
  T_CASE(injectable_or_addressless_senders_are_refused);
  T_CASE(mail_is_dropped_without_smtp_url_or_spool);
  T_CASE(spool_is_an_mbox_of_mode_0600_kept_out_of_the_log);
  T_CASE(spool_refuses_an_injectable_recipient);
  T_CASE(smtp_delivers_the_message_intact);
  T_CASE(unreachable_smtp_server_fails_quickly);
  T_DONE();
}
