/* test_search_words: search_split normalizes and splits queries the way the
 * index's NORM() does names (case, apostrophes, punctuation and operators of
 * any script, word and buffer limits), and search_chars counts characters. */
#include <stdint.h>
#include <string.h>

#include "model/search.h"

#include "t.h"

/* split: the words of s joined by '|' into out. */
static int split(const char *s, char *out, int max) {
  char buf[512];
  const char *w[16];
  int n = search_split(s, buf, sizeof buf, w, max);
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (i) strcat(out, "|");
    strcat(out, w[i]);
  }
  return n;
}

static void splits_words(void) {
  char o[1024];
  CHECK_INT(split("The Beatles", o, 16), 2);
  CHECK_STR(o, "the|beatles");
  CHECK_INT(split("  Beyoncé – Crazy in Love (feat. Jay-Z)  ", o, 16), 7);
  CHECK_STR(o, "beyoncé|crazy|in|love|feat|jay|z");
  /* apostrophes, ASCII and typographic, join the word */
  CHECK_INT(split("Don't Stop", o, 16), 2);
  CHECK_STR(o, "dont|stop");
  CHECK_INT(split("Don\xe2\x80\x99t", o, 16), 1);
  CHECK_STR(o, "dont");
  /* operators of SQL, LIKE and FULLTEXT are separators, never kept */
  CHECK_INT(split("+beat* -\"it\" (x)~<y>@z %a_b\\c;--", o, 16), 8);
  CHECK_STR(o, "beat|it|x|y|z|a|b|c");
  CHECK_INT(split("%_%\\*", o, 16), 0);
  CHECK_STR(o, "");
  CHECK_INT(split("", o, 16), 0);
  /* letters and digits of other scripts are kept; their punctuation not */
  CHECK_INT(split("東京、タワー。Ünïcode 2024 ½", o, 16), 5);
  CHECK_STR(o, "東京|タワー|Ünïcode|2024|½");
  CHECK_INT(split("«Ça» ¿qué? ¡sí! a×b a÷b", o, 16), 7);
  CHECK_STR(o, "Ça|qué|sí|a|b|a|b"); /* the collation folds non-ASCII case */
  /* symbols and emoji separate */
  CHECK_INT(split("love\xf0\x9f\x8e\xb5song", o, 16), 2);
  CHECK_STR(o, "love|song");
  /* invalid UTF-8 bytes separate, they never reach SQL */
  CHECK_INT(split("ab\xff"
                  "cd\xc3(ef\xed\xa0\x80gh",
                  o, 16),
            4);
  CHECK_STR(o, "ab|cd|ef|gh");
  /* words past max are dropped */
  CHECK_INT(split("a b c d e f g", o, 5), 5);
  CHECK_STR(o, "a|b|c|d|e");
  /* words are cut at SEARCH_WORD_MAX characters, like the index's LEFT() */
  char longw[300];
  memset(longw, 'x', 100);
  strcpy(longw + 100, " é");
  CHECK_INT(split(longw, o, 16), 2);
  CHECK_INT(strlen(o), SEARCH_WORD_MAX + 1 + 2);
  char acc[300] = "";
  for (int i = 0; i < 70; i++)
    strcat(acc, "é");
  CHECK_INT(split(acc, o, 16), 1);
  CHECK_INT(search_chars(o), SEARCH_WORD_MAX);
}

static void small_buffers(void) {
  /* a small output buffer truncates, always NUL-terminated, never overruns */
  char small[8];
  const char *w[4];
  memset(small, 'Z', sizeof small);
  int n = search_split("hello world again", small, 6, w, 4);
  CHECK(n >= 1);
  CHECK(memchr(small, '\0', 6) != NULL);
  CHECK_INT(small[6], 'Z');
  CHECK_STR(w[0], "hello");
  n = search_split("héllo", small, 3, w, 4);
  CHECK_INT(n, 1);
  CHECK_STR(w[0], "h"); /* é does not fit: cut before it, not inside */
  CHECK_INT(search_split("x", small, 0, w, 4), 0);

  CHECK_INT(search_chars(""), 0);
  CHECK_INT(search_chars("abc"), 3);
  CHECK_INT(search_chars("é東\xf0\x9f\x8e\xb5"), 3);
}

int main(int argc, char **argv) {
  T_INIT(argc, argv);
  T_CASE(splits_words);
  T_CASE(small_buffers);
  T_DONE();
}
