/* search_words: the query-side twin of the index's NORM()
 * (search_index.c), as a pure function so that it is unit-tested on its
 * own. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "model/search.h"

/* decode: one UTF-8 character at s (n bytes left) into *cp; its length, or 0
 * for an invalid sequence (then treated as a separator byte). */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp) {
  if (s[0] < 0x80) {
    *cp = s[0];
    return 1;
  }
  size_t len;
  uint32_t c;
  if ((s[0] & 0xe0) == 0xc0)
    len = 2, c = s[0] & 0x1f;
  else if ((s[0] & 0xf0) == 0xe0)
    len = 3, c = s[0] & 0x0f;
  else if ((s[0] & 0xf8) == 0xf0)
    len = 4, c = s[0] & 0x07;
  else
    return 0;
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3f);
  }
  static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
  *cp = c;
  return len;
}

/* is_apostrophe: dropped inside words ("don't" -> "dont"). */
static bool is_apostrophe(uint32_t c) {
  return c == '\'' || c == 0x2019;
}

/* is_word_char: letters and digits of any script. Outside ASCII, the common
 * punctuation and symbol blocks are separators and everything else counts
 * as a letter: close enough to PCRE's [[:alnum:]] for names. */
static bool is_word_char(uint32_t c) {
  if (c < 0x80)
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z');
  if (c <= 0xbf) /* Latin-1 punctuation; keep ª ² ³ µ ¹ º ¼ ½ ¾ */
    return c == 0xaa || c == 0xb2 || c == 0xb3 || c == 0xb5 || c == 0xb9 ||
           c == 0xba || (c >= 0xbc && c <= 0xbe);
  if (c == 0xd7 || c == 0xf7) return false;     /* × ÷ */
  if (c >= 0x2000 && c <= 0x206f) return false; /* general punctuation */
  if (c >= 0x20a0 && c <= 0x20cf) return false; /* currency */
  if (c >= 0x2190 && c <= 0x2bff) return false; /* arrows, math, boxes */
  if (c >= 0x3000 && c <= 0x303f)               /* CJK punctuation */
    return c >= 0x3005 && c <= 0x3007;
  if (c >= 0xfe10 && c <= 0xfe6f) return false; /* forms, small */
  if (c >= 0xff01 && c <= 0xff0f) return false; /* fullwidth */
  if (c >= 0xff1a && c <= 0xff20) return false;
  if (c >= 0xff3b && c <= 0xff40) return false;
  if (c >= 0xff5b && c <= 0xff65) return false;
  if (c >= 0x1f000 && c <= 0x1faff) return false; /* emoji */
  return true;
}

int search_split(const char *text, char *out, size_t outlen, const char **words,
                 int max) {
  const unsigned char *s = (const unsigned char *)text;
  size_t n = strlen(text), o = 0, wchars = 0;
  int count = 0;
  bool in_word = false;
  if (!outlen) return 0;
  for (size_t i = 0; i < n;) {
    uint32_t c = 0;
    size_t len = decode(s + i, n - i, &c);
    if (len == 0) {
      c = ' ';
      len = 1;
    }
    const unsigned char *ch = s + i;
    i += len;
    if (is_apostrophe(c)) continue;
    if (!is_word_char(c)) {
      if (in_word) out[o++] = '\0';
      in_word = false;
      continue;
    }
    if (!in_word) {
      if (count >= max) break;
      /* room for this character and the final NUL */
      if (o + len + 1 > outlen) break;
      words[count++] = out + o;
      in_word = true;
      wchars = 0;
    }
    if (wchars >= SEARCH_WORD_MAX) continue;
    if (o + len + 1 > outlen) break;
    if (c < 0x80)
      out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    else
      memcpy(out + o, ch, len), o += len;
    wchars++;
  }
  if (o >= outlen) o = outlen - 1;
  out[o] = '\0';
  return count;
}

size_t search_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    if (((unsigned char)*s & 0xc0) != 0x80) n++;
  return n;
}
