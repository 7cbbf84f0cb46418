/* insight_card: a year in review as a shareable SVG card (1080 x 1350,
 * the 4:5 of feeds): the minutes, the top artists and tracks, the genres,
 * a bar per month with the best one lit, and the year's new artist. Text
 * comes from users and editors: every piece is XML-escaped and clipped to
 * what fits its line, and the card names fonts every system has (DejaVu,
 * then the generic sans-serif), so that it renders the same in a browser
 * and in librsvg. */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/jx.h"
#include "core/str.h"
#include "model/insight.h"

#define FONT "font-family=\"DejaVu Sans, Verdana, sans-serif\""

/* text: s clipped to `max` characters (an ellipsis ends a clipped one) and
 * escaped for XML, appended to b. */
static void text(struct sbuf *b, const char *s, int max) {
  int chars = 0;
  if (!s) return;
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    int len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
    if (chars == max - 1 && strlen((const char *)p) > (size_t)len) {
      sbuf_adds(b, "\xe2\x80\xa6"); /* U+2026 */
      return;
    }
    if (*p < 0x20) { /* no control characters in XML 1.0 */
      sbuf_addc(b, ' ');
    } else if (*p == '&') {
      sbuf_adds(b, "&amp;");
    } else if (*p == '<') {
      sbuf_adds(b, "&lt;");
    } else if (*p == '>') {
      sbuf_adds(b, "&gt;");
    } else if (*p == '"') {
      sbuf_adds(b, "&quot;");
    } else {
      for (int k = 0; k < len && p[k]; k++)
        sbuf_addc(b, (char)p[k]);
    }
    for (int k = 0; k < len && *p; k++)
      p++;
    chars++;
  }
}

/* thousands: n with thin separators ("12,345"). */
static void thousands(char *buf, size_t n, long long v) {
  char raw[32];
  int len = snprintf(raw, sizeof raw, "%lld", v), k = 0;
  for (int i = 0; i < len && (size_t)k + 2 < n; i++) {
    if (i && (len - i) % 3 == 0 && raw[0] != '-') buf[k++] = ',';
    buf[k++] = raw[i];
  }
  buf[k] = '\0';
}

/* list: a numbered top list of the card at (x, y): names of the items and,
 * for tracks, their first artist. */
static void list(struct sbuf *b, const char *title, json_object *items, int x,
                 int y, bool tracks) {
  sbuf_printf(b,
              "<text x=\"%d\" y=\"%d\" " FONT
              " font-size=\"26\" font-weight=\"bold\" fill=\"#f5c2e7\" "
              "letter-spacing=\"3\">",
              x, y);
  text(b, title, 40);
  sbuf_adds(b, "</text>\n");
  int n = items ? (int)json_object_array_length(items) : 0;
  if (n == 0) {
    sbuf_printf(b,
                "<text x=\"%d\" y=\"%d\" " FONT
                " font-size=\"28\" fill=\"#a6adc8\">Nothing yet</text>\n",
                x, y + 56);
    return;
  }
  for (int i = 0; i < n && i < 5; i++) {
    json_object *it = json_object_array_get_idx(items, (size_t)i);
    int ly = y + 58 + i * 74;
    sbuf_printf(b,
                "<text x=\"%d\" y=\"%d\" " FONT
                " font-size=\"34\" font-weight=\"bold\" fill=\"#cba6f7\">"
                "%d</text>\n",
                x, ly, i + 1);
    sbuf_printf(b,
                "<text x=\"%d\" y=\"%d\" " FONT
                " font-size=\"30\" fill=\"#ffffff\">",
                x + 44, ly);
    text(b, jx_str(it, tracks ? "title" : "name"), 22);
    sbuf_adds(b, "</text>\n");
    json_object *artists;
    if (tracks && json_object_object_get_ex(it, "artists", &artists) &&
        json_object_array_length(artists) > 0) {
      sbuf_printf(b,
                  "<text x=\"%d\" y=\"%d\" " FONT
                  " font-size=\"22\" fill=\"#a6adc8\">",
                  x + 44, ly + 28);
      text(b, jx_str(json_object_array_get_idx(artists, 0), "name"), 28);
      sbuf_adds(b, "</text>\n");
    }
  }
}

/* months: twelve bars scaled to the best month, which is lit. */
static void months(struct sbuf *b, const struct insight_year *y, int top) {
  static const char letters[] = "JFMAMJJASOND";
  long long most = 0;
  for (int m = 0; m < 12; m++)
    if (y->month_ms[m] > most) most = y->month_ms[m];
  for (int m = 0; m < 12; m++) {
    int h = most ? (int)(150.0 * (double)y->month_ms[m] / (double)most) : 0;
    if (y->month_ms[m] > 0 && h < 4) h = 4;
    int x = 90 + m * 78;
    sbuf_printf(b,
                "<rect x=\"%d\" y=\"%d\" width=\"52\" height=\"%d\" rx=\"8\" "
                "fill=\"%s\"/>\n",
                x, top + 150 - h, h ? h : 2,
                m + 1 == y->best_month ? "url(#lit)" : "#45475a");
    sbuf_printf(b,
                "<text x=\"%d\" y=\"%d\" " FONT
                " font-size=\"22\" text-anchor=\"middle\" fill=\"#a6adc8\">"
                "%c</text>\n",
                x + 26, top + 182, letters[m]);
  }
}

const char *insight_card_svg(struct arena *a, const struct insight_year *y,
                             size_t *len) {
  static const char *const month_names[] = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  struct sbuf b;
  char num[40];
  json_object *tops[2] = {NULL, NULL}, *genres = NULL;
  sbuf_init(&b, a);
  if (y->top) {
    json_object_object_get_ex(y->top, "artists", &tops[0]);
    json_object_object_get_ex(y->top, "tracks", &tops[1]);
    json_object_object_get_ex(y->top, "genres", &genres);
  }
  sbuf_printf(&b,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
              "height=\"%d\" viewBox=\"0 0 %d %d\">\n",
              INSIGHT_CARD_W, INSIGHT_CARD_H, INSIGHT_CARD_W, INSIGHT_CARD_H);
  sbuf_adds(&b,
            "<defs>\n"
            "<linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"1\" y2=\"1\">"
            "<stop offset=\"0\" stop-color=\"#1e1b4b\"/>"
            "<stop offset=\"0.55\" stop-color=\"#3b0764\"/>"
            "<stop offset=\"1\" stop-color=\"#831843\"/></linearGradient>\n"
            "<linearGradient id=\"lit\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">"
            "<stop offset=\"0\" stop-color=\"#f472b6\"/>"
            "<stop offset=\"1\" stop-color=\"#facc15\"/></linearGradient>\n"
            "</defs>\n"
            "<rect width=\"100%\" height=\"100%\" fill=\"url(#bg)\"/>\n"
            "<circle cx=\"960\" cy=\"120\" r=\"260\" fill=\"#f472b6\" "
            "fill-opacity=\"0.12\"/>\n"
            "<circle cx=\"80\" cy=\"1280\" r=\"220\" fill=\"#818cf8\" "
            "fill-opacity=\"0.12\"/>\n");
  sbuf_printf(&b,
              "<text x=\"90\" y=\"130\" " FONT
              " font-size=\"30\" fill=\"#f5c2e7\" letter-spacing=\"6\">"
              "ENCORE \xc2\xb7 %d IN MUSIC</text>\n"
              "<text x=\"90\" y=\"200\" " FONT
              " font-size=\"52\" font-weight=\"bold\" fill=\"#ffffff\">",
              y->year);
  text(&b, y->name, 26);
  sbuf_adds(&b, "</text>\n");
  if (y->listens == 0) {
    sbuf_printf(&b,
                "<text x=\"90\" y=\"640\" " FONT
                " font-size=\"64\" font-weight=\"bold\" fill=\"#ffffff\">"
                "No listening yet</text>\n"
                "<text x=\"90\" y=\"710\" " FONT
                " font-size=\"32\" fill=\"#a6adc8\">Nothing was played in %d."
                "</text>\n",
                y->year);
  } else {
    thousands(num, sizeof num, y->ms / 60000);
    sbuf_printf(&b,
                "<text x=\"90\" y=\"350\" " FONT
                " font-size=\"120\" font-weight=\"bold\" fill=\"#facc15\">"
                "%s</text>\n"
                "<text x=\"90\" y=\"400\" " FONT
                " font-size=\"30\" fill=\"#ffffff\">minutes of music",
                num);
    thousands(num, sizeof num, y->listens);
    sbuf_printf(&b, " \xc2\xb7 %s plays</text>\n", num);
    list(&b, "TOP ARTISTS", tops[0], 90, 490, false);
    list(&b, "TOP TRACKS", tops[1], 560, 490, true);
    /* genres as pills */
    int gx = 90;
    int ng = genres ? (int)json_object_array_length(genres) : 0;
    for (int i = 0; i < ng && i < 4; i++) {
      const char *g =
          jx_str(json_object_array_get_idx(genres, (size_t)i), "name");
      int w = 40 + 17 * (int)(g ? (str_utf8_len(g, strlen(g)) > 14
                                       ? 15
                                       : str_utf8_len(g, strlen(g)))
                                : 0);
      if (gx + w > INSIGHT_CARD_W - 90) break;
      sbuf_printf(&b,
                  "<rect x=\"%d\" y=\"910\" width=\"%d\" height=\"50\" "
                  "rx=\"25\" fill=\"#ffffff\" fill-opacity=\"0.14\"/>\n"
                  "<text x=\"%d\" y=\"944\" " FONT
                  " font-size=\"26\" text-anchor=\"middle\" fill=\"#ffffff\">",
                  gx, w, gx + w / 2);
      text(&b, g, 15);
      sbuf_adds(&b, "</text>\n");
      gx += w + 16;
    }
    months(&b, y, 1000);
    if (y->best_month)
      sbuf_printf(&b,
                  "<text x=\"90\" y=\"1245\" " FONT
                  " font-size=\"28\" fill=\"#ffffff\">Loudest month: "
                  "<tspan font-weight=\"bold\">%s</tspan></text>\n",
                  month_names[y->best_month - 1]);
    if (y->new_artist) {
      sbuf_adds(&b, "<text x=\"90\" y=\"1295\" " FONT
                    " font-size=\"28\" fill=\"#ffffff\">New favourite: "
                    "<tspan font-weight=\"bold\" fill=\"#facc15\">");
      text(&b, jx_str(y->new_artist, "name"), 32);
      sbuf_adds(&b, "</tspan></text>\n");
    }
  }
  sbuf_adds(&b, "</svg>\n");
  if (b.oom) return NULL;
  *len = b.len;
  return b.s;
}
