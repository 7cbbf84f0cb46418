/* mail: plain-text UTF-8 mail over SMTP with libcurl. Without smtp_url the
 * message is appended to the mail_spool mbox file (the development path),
 * or dropped; never logged, as mail carries tokens. */
#include "core/mail.h"

#include "core/cfg.h"
#include "core/log.h"
#include "core/rc.h"
#include "core/bytes.h"
#include "core/rnd.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAIL_TIMEOUT 15L

/* A recipient must be one bare address: no CR/LF, spaces or control bytes
 * (header and SMTP command injection), no list separators or brackets, one
 * '@' with text on both sides, at most 254 bytes. */
static bool addr_ok(const char *a) {
  size_t n = a ? strlen(a) : 0;
  if (n == 0 || n > 254) return false;
  int ats = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)a[i];
    if (ch <= 0x20 || ch == 0x7F || strchr("<>,;\"()[]\\", ch)) return false;
    if (ch == '@') ats++;
  }
  return ats == 1 && a[0] != '@' && a[n - 1] != '@';
}

/* The address of a From value "Name <addr>" or "addr", copied into out. */
static bool from_address(const char *from, char *out, size_t cap) {
  const char *lt = strrchr(from, '<');
  const char *s = from;
  size_t n = strlen(from);
  if (lt) {
    const char *gt = strchr(lt, '>');
    if (!gt || gt[1] != '\0') return false;
    s = lt + 1;
    n = (size_t)(gt - s);
  }
  if (n >= cap) return false;
  memcpy(out, s, n);
  out[n] = '\0';
  return addr_ok(out);
}

/* A growable malloc'd string; a failed growth poisons it (NULL). */
struct mbuf {
  char *s;
  size_t len, cap;
  bool oom;
};

static void mb_add(struct mbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->cap - b->len <= n) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap - b->len <= n)
      cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void mb_adds(struct mbuf *b, const char *s) {
  mb_add(b, s, strlen(s));
}

/* The Subject value: CR, LF and other control bytes become spaces; when any
 * byte is not printable ASCII the text is sent as RFC 2047 "B" encoded words
 * of at most 75 characters, split on UTF-8 boundaries, folded with CRLF SP. */
static void add_subject(struct mbuf *b, const char *subject) {
  size_t n = strlen(subject);
  char *clean = malloc(n + 1);
  if (!clean) {
    b->oom = true;
    return;
  }
  bool ascii = true;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)subject[i];
    clean[i] = (ch < 0x20 || ch == 0x7F) ? ' ' : (char)ch;
    if (ch >= 0x80) ascii = false;
  }
  clean[n] = '\0';
  if (ascii) {
    mb_add(b, clean, n);
    free(clean);
    return;
  }
  /* 45 bytes encode to 60 base64 characters: 12 + 60 = 72 <= 75. */
  size_t i = 0;
  bool first = true;
  while (i < n) {
    size_t k = n - i < 45 ? n - i : 45;
    if (i + k < n)
      while (k > 0 && ((unsigned char)clean[i + k] & 0xC0) == 0x80)
        k--; /* do not split a code point */
    if (k == 0) k = n - i < 45 ? n - i : 45;
    char enc[64];
    sodium_bin2base64(enc, sizeof enc, (const unsigned char *)clean + i, k,
                      sodium_base64_VARIANT_ORIGINAL);
    if (!first) mb_adds(b, "\r\n ");
    mb_adds(b, "=?UTF-8?B?");
    mb_adds(b, enc);
    mb_adds(b, "?=");
    first = false;
    i += k;
  }
  free(clean);
}

char *mail_format(const char *from, const char *to, const char *subject,
                  const char *body, long long now) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                     "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
  char from_addr[256];
  if (!from || !addr_ok(to) || strpbrk(from, "\r\n") ||
      !from_address(from, from_addr, sizeof from_addr))
    return NULL;
  struct tm tm;
  time_t t = (time_t)now;
  if (!gmtime_r(&t, &tm)) return NULL;
  char line[512];
  struct mbuf b = {0};

  /* Day and month names are fixed by RFC 5322, whatever the locale. */
  snprintf(line, sizeof line, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
           days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
           tm.tm_hour, tm.tm_min, tm.tm_sec);
  mb_adds(&b, line);
  mb_adds(&b, "From: ");
  mb_adds(&b, from);
  mb_adds(&b, "\r\nTo: ");
  mb_adds(&b, to);
  mb_adds(&b, "\r\nSubject: ");
  add_subject(&b, subject ? subject : "");
  unsigned char raw[16];
  char id[33];
  rnd_bytes(raw, sizeof raw);
  bytes_hex(raw, sizeof raw, id);
  snprintf(line, sizeof line, "\r\nMessage-ID: <%s@%s>\r\n", id,
           strchr(from_addr, '@') + 1);
  mb_adds(&b, line);
  mb_adds(&b, "MIME-Version: 1.0\r\n"
              "Content-Type: text/plain; charset=UTF-8\r\n"
              "Content-Transfer-Encoding: 8bit\r\n"
              "\r\n");
  /* Body lines end in CRLF whatever the caller used. */
  const char *p = body ? body : "";
  while (*p) {
    size_t k = strcspn(p, "\r\n");
    mb_add(&b, p, k);
    mb_add(&b, "\r\n", 2);
    p += k;
    if (p[0] == '\r' && p[1] == '\n')
      p += 2;
    else if (*p)
      p++;
  }
  if (b.oom) {
    free(b.s);
    return NULL;
  }
  return b.s;
}

struct upload {
  const char *p;
  size_t left;
};

static size_t read_cb(char *dst, size_t size, size_t nmemb, void *arg) {
  struct upload *u = arg;
  size_t room = size * nmemb;
  size_t n = u->left < room ? u->left : room;
  memcpy(dst, u->p, n);
  u->p += n;
  u->left -= n;
  return n;
}

/* mbox_text: msg as one mbox entry: a "From " separator line, the message
 * with LF line ends and its "From " lines quoted, and a blank line.
 * malloc'd; NULL when out of memory. */
static char *mbox_text(const char *msg, long long now) {
  struct mbuf b = {0};
  char sep[96];
  time_t t = (time_t)now;
  struct tm tm;
  gmtime_r(&t, &tm);
  size_t n =
      strftime(sep, sizeof sep, "From encore %a %b %e %H:%M:%S %Y\n", &tm);
  mb_add(&b, sep, n);
  for (const char *p = msg; *p;) {
    size_t len = strcspn(p, "\r\n");
    if (strncmp(p, "From ", 5) == 0) mb_add(&b, ">", 1);
    mb_add(&b, p, len);
    mb_add(&b, "\n", 1);
    p += len;
    if (*p == '\r') p++;
    if (*p == '\n') p++;
  }
  mb_add(&b, "\n", 1);
  return b.oom ? (free(b.s), NULL) : b.s;
}

/* spool: append msg to the mbox file at path (created with mode 0600; an
 * existing file readable by others is narrowed to 0600), under an exclusive
 * lock so that workers writing at once do not interleave. 0 or RC_IO. */
static int spool(const char *path, const char *msg) {
  char *text = mbox_text(msg, (long long)time(NULL));
  if (!text) return RC_IO;
  int rc = RC_IO;
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) || ((st.st_mode & 077) && fchmod(fd, 0600)) ||
      flock(fd, LOCK_EX))
    goto out;
  size_t left = strlen(text);
  const char *p = text;
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    p += w;
    left -= (size_t)w;
  }
  rc = left ? RC_IO : 0;
out:
  if (rc) log_msg(LOG_WARN, "mail not spooled", "error", strerror(errno), NULL);
  if (fd >= 0) close(fd); /* releases the lock */
  free(text);
  return rc;
}

int mail_send(const struct cfg *c, const char *to, const char *subject,
              const char *body) {
  if (!addr_ok(to)) {
    log_msg(LOG_WARN, "mail refused: bad recipient", NULL);
    return RC_IO;
  }
  bool smtp = c->smtp_url && c->smtp_url[0];
  if (!smtp && (!c->mail_spool || !c->mail_spool[0])) {
    log_msg(LOG_WARN, "mail dropped: neither smtp_url nor mail_spool is set",
            "subject", subject ? subject : "", NULL);
    return RC_IO;
  }
  char *msg =
      mail_format(c->mail_from, to, subject, body, (long long)time(NULL));
  if (!msg) {
    log_msg(LOG_ERROR, "mail not sent: bad mail_from or out of memory", NULL);
    return RC_IO;
  }
  if (!smtp) {
    int rc = spool(c->mail_spool, msg);
    free(msg);
    return rc;
  }
  char from_addr[256], env_from[260], env_to[260];
  from_address(c->mail_from, from_addr, sizeof from_addr);
  snprintf(env_from, sizeof env_from, "<%s>", from_addr);
  snprintf(env_to, sizeof env_to, "<%s>", to);

  static bool curl_ready;
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      free(msg);
      return RC_IO;
    }
    curl_ready = true;
  }
  int rc = RC_IO;
  struct upload up = {msg, strlen(msg)};
  struct curl_slist *rcpt = NULL;
  CURL *h = curl_easy_init();
  if (!h || !(rcpt = curl_slist_append(NULL, env_to))) goto out;
  bool auth = c->smtp_user && c->smtp_user[0];
  curl_easy_setopt(h, CURLOPT_URL, c->smtp_url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, env_from);
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(h, CURLOPT_READDATA, &up);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.left);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, MAIL_TIMEOUT);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, MAIL_TIMEOUT);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  /* Credentials only over TLS (STARTTLS or smtps); otherwise TLS if offered. */
  curl_easy_setopt(h, CURLOPT_USE_SSL,
                   auth ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
  if (auth) {
    curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
    curl_easy_setopt(h, CURLOPT_PASSWORD,
                     c->smtp_password ? c->smtp_password : "");
  }
  CURLcode res = curl_easy_perform(h);
  if (res == CURLE_OK)
    rc = 0;
  else
    log_msg(LOG_WARN, "mail not sent", "to", to, "error",
            curl_easy_strerror(res), NULL);
out:
  curl_slist_free_all(rcpt);
  if (h) curl_easy_cleanup(h);
  free(msg);
  return rc;
}
