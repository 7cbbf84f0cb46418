/* bulk: multi-row INSERT text for encore-admin's loaders, flushed through
 * db_query in statements of about BULK_FLUSH_BYTES (well under the server's
 * max_allowed_packet of 16 MiB), plus the UTF-8 checks of imported text. */
#include "admin/bulk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db.h"
#include "core/rc.h"

void bulk_init(struct bulk *b, struct db *d, const char *head,
               const char *tail) {
  *b = (struct bulk){.db = d, .head = head, .tail = tail ? tail : ""};
}

/* put: append n bytes; out of memory is fatal for a batch program. */
static void put(struct bulk *b, const char *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : BULK_FLUSH_BYTES + 4096;
    while (cap < b->len + n + 1)
      cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      fputs("encore-admin: out of memory\n", stderr);
      exit(1);
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sep(struct bulk *b) {
  if (b->len && b->p[b->len - 1] != '(') put(b, ",", 1);
}

void bulk_row(struct bulk *b) {
  if (!b->pending) {
    b->len = 0;
    put(b, b->head, strlen(b->head));
    put(b, "(", 1);
  } else {
    put(b, ",(", 2);
  }
}

int bulk_end(struct bulk *b) {
  put(b, ")", 1);
  b->pending++;
  return b->len >= BULK_FLUSH_BYTES ? bulk_flush(b) : 0;
}

void bulk_int(struct bulk *b, long long v) {
  char num[24];
  int n = snprintf(num, sizeof num, "%lld", v);
  sep(b);
  put(b, num, (size_t)n);
}

void bulk_null(struct bulk *b) {
  sep(b);
  put(b, "NULL", 4);
}

void bulk_raw(struct bulk *b, const char *sql) {
  sep(b);
  put(b, sql, strlen(sql));
}

void bulk_str(struct bulk *b, const char *s, size_t n) {
  if (!s) {
    bulk_null(b);
    return;
  }
  sep(b);
  put(b, "'", 1);
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    const char *esc = NULL;
    switch (s[i]) {
    case '\\':
      esc = "\\\\";
      break;
    case '\'':
      esc = "\\'";
      break;
    case '\0':
      esc = "\\0";
      break;
    case '\n':
      esc = "\\n";
      break;
    case '\r':
      esc = "\\r";
      break;
    case '\x1a':
      esc = "\\Z";
      break;
    default:
      continue;
    }
    put(b, s + start, i - start);
    put(b, esc, 2);
    start = i + 1;
  }
  put(b, s + start, n - start);
  put(b, "'", 1);
}

int bulk_flush(struct bulk *b) {
  if (!b->pending) return 0;
  put(b, b->tail, strlen(b->tail));
  struct db_qres q;
  int rc = db_query(b->db, b->p, b->len, &q);
  b->rows += (unsigned long long)b->pending;
  b->pending = 0;
  b->len = 0;
  if (rc) {
    b->failed = 1;
    return rc;
  }
  b->affected += q.affected;
  b->fresh += q.records >= q.duplicates ? q.records - q.duplicates : 0;
  return 0;
}

void bulk_free(struct bulk *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
  b->pending = 0;
}

static bool is_control(unsigned cp) {
  return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

bool utf8_check(const char *str, size_t n, size_t *chars) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0, count = 0;
  while (i < n) {
    unsigned c = s[i], cp, need;
    if (c < 0x80) {
      cp = c;
      need = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
      cp = c & 0x1f;
      need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      cp = c & 0x0f;
      need = 2;
    } else if (c >= 0xf0 && c <= 0xf4) {
      cp = c & 0x07;
      need = 3;
    } else {
      return false;
    }
    if (need && i + need >= n) return false;
    for (unsigned k = 1; k <= need; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) || is_control(cp))
      return false;
    i += need + 1;
    count++;
  }
  if (chars) *chars = count;
  return true;
}

bool latin1_to_utf8(const char *str, size_t n, char *out, size_t *outlen) {
  const unsigned char *s = (const unsigned char *)str;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (is_control(s[i])) return false;
    if (s[i] < 0x80) {
      out[o++] = (char)s[i];
    } else {
      out[o++] = (char)(0xc0 | (s[i] >> 6));
      out[o++] = (char)(0x80 | (s[i] & 0x3f));
    }
  }
  out[o] = '\0';
  *outlen = o;
  return true;
}
