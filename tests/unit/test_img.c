/* test_img: image type and size from JPEG, PNG and WebP headers, and the
 * refusal of truncated, malformed and unknown input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/img.h"
#include "t.h"

static size_t be16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
  return 2;
}
static void be32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24);
  p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8);
  p[3] = (unsigned char)v;
}

/* png: signature + IHDR of w x h (CRC not checked by img). */
static size_t png(unsigned char *b, uint32_t w, uint32_t h) {
  memcpy(b, "\x89PNG\r\n\x1a\n", 8);
  be32(b + 8, 13);
  memcpy(b + 12, "IHDR", 4);
  be32(b + 16, w);
  be32(b + 20, h);
  memcpy(b + 24, "\x08\x02\x00\x00\x00", 5);
  return 29;
}

/* jpeg: SOI, APP0, a DQT-like segment, then SOFn with h x w. */
static size_t jpeg(unsigned char *b, unsigned sof, unsigned w, unsigned h) {
  size_t n = 0;
  b[n++] = 0xFF, b[n++] = 0xD8;
  b[n++] = 0xFF, b[n++] = 0xE0;
  n += be16(b + n, 16);
  memcpy(b + n, "JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14);
  n += 14;
  b[n++] = 0xFF, b[n++] = 0xFF; /* a fill byte before the next marker */
  b[n++] = 0xDB;
  n += be16(b + n, 4);
  b[n++] = 0, b[n++] = 0;
  b[n++] = 0xFF, b[n++] = (unsigned char)sof;
  n += be16(b + n, 11);
  b[n++] = 8;
  n += be16(b + n, h);
  n += be16(b + n, w);
  b[n++] = 1, b[n++] = 1, b[n++] = 0x11, b[n++] = 0;
  return n;
}

static size_t webp(unsigned char *b, const char *chunk, const unsigned char *d,
                   size_t dn) {
  memcpy(b, "RIFF\0\0\0\0WEBP", 12);
  memcpy(b + 12, chunk, 4);
  memset(b + 16, 0, 4);
  memcpy(b + 20, d, dn);
  return 20 + dn;
}

static void test_png(void) {
  unsigned char b[64];
  struct img im;
  size_t n = png(b, 640, 480);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.type, IMG_PNG);
  CHECK_INT(im.width, 640);
  CHECK_INT(im.height, 480);
  CHECK_INT(img_probe(b, 20, &im), IMG_E_TRUNCATED);
  CHECK_INT(im.type, IMG_PNG);
  CHECK_INT(im.width, 0);
  png(b, 0, 10);
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
  png(b, 0x80000000u, 10);
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
  png(b, 64, 64);
  memcpy(b + 12, "IDAT", 4); /* IHDR must come first */
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
}

static void test_jpeg(void) {
  unsigned char b[128];
  struct img im;
  size_t n = jpeg(b, 0xC0, 1024, 768);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.type, IMG_JPEG);
  CHECK_INT(im.width, 1024);
  CHECK_INT(im.height, 768);
  n = jpeg(b, 0xC2, 300, 200); /* progressive */
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.width, 300);
  CHECK_INT(im.height, 200);
  for (size_t cut = 3; cut < n - 4; cut++) /* cut before the size: refused */
    CHECK(img_probe(b, cut, &im) == IMG_E_TRUNCATED);
  n = jpeg(b, 0xC4, 300, 200); /* DHT is no frame: then the data ends */
  CHECK_INT(img_probe(b, n, &im), IMG_E_TRUNCATED);
  unsigned char sos[] = {0xFF, 0xD8, 0xFF, 0xDA, 0, 2};
  CHECK_INT(img_probe(sos, sizeof sos, &im), IMG_E_CORRUPT);
  unsigned char badlen[] = {0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 0, 0};
  CHECK_INT(img_probe(badlen, sizeof badlen, &im), IMG_E_CORRUPT);
}

static void test_webp(void) {
  unsigned char b[64];
  struct img im;
  /* VP8X: canvas 512 x 256 (stored minus one, 24-bit little endian). */
  unsigned char x[10] = {0, 0, 0, 0, 0xFF, 0x01, 0, 0xFF, 0, 0};
  size_t n = webp(b, "VP8X", x, sizeof x);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.type, IMG_WEBP);
  CHECK_INT(im.width, 512);
  CHECK_INT(im.height, 256);
  /* VP8 lossy: frame tag, start code, 14-bit sizes. */
  unsigned char l[10] = {0, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01};
  n = webp(b, "VP8 ", l, sizeof l);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.width, 640);
  CHECK_INT(im.height, 480);
  l[3] = 0;
  n = webp(b, "VP8 ", l, sizeof l);
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
  /* VP8L lossless: 0x2f, then width-1 and height-1 in 14 bits each. */
  uint32_t v = (100 - 1) | (uint32_t)(50 - 1) << 14;
  unsigned char ll[5] = {0x2f, (unsigned char)v, (unsigned char)(v >> 8),
                         (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
  n = webp(b, "VP8L", ll, sizeof ll);
  CHECK_INT(img_probe(b, n, &im), 0);
  CHECK_INT(im.width, 100);
  CHECK_INT(im.height, 50);
  CHECK_INT(img_probe(b, n - 1, &im), IMG_E_TRUNCATED);
  n = webp(b, "ALPH", ll, sizeof ll);
  CHECK_INT(img_probe(b, n, &im), IMG_E_CORRUPT);
}

static void test_other(void) {
  struct img im;
  CHECK_INT(img_probe((const unsigned char *)"GIF89a\x10\x00\x10\x00", 10, &im),
            IMG_E_UNKNOWN);
  CHECK_INT(img_probe((const unsigned char *)"", 0, &im), IMG_E_UNKNOWN);
  CHECK_INT(img_probe((const unsigned char *)"\xff\xd8", 2, &im),
            IMG_E_UNKNOWN);
  CHECK_INT(img_type_of_media("image/png"), IMG_PNG);
  CHECK_INT(img_type_of_media("IMAGE/JPEG; q=1"), IMG_JPEG);
  CHECK_INT(img_type_of_media(" image/webp "), IMG_WEBP);
  CHECK_INT(img_type_of_media("image/pngx"), IMG_NONE);
  CHECK_INT(img_type_of_media("image/gif"), IMG_NONE);
  CHECK_INT(img_type_of_media(NULL), IMG_NONE);
  CHECK_STR(img_ext(IMG_JPEG), "jpg");
  CHECK_STR(img_ext(IMG_WEBP), "webp");
  CHECK_HAS(img_error(IMG_E_TRUNCATED), "truncated");
}

/* test_random: random bytes behind each magic never crash nor read out of
 * bounds (ASan checks the latter). */
static void test_random(void) {
  static const char *const magic[] = {"\xff\xd8\xff", "\x89PNG\r\n\x1a\n",
                                      "RIFF\0\0\0\0WEBPVP8X"};
  srand(7);
  for (int i = 0; i < 3000; i++) {
    size_t m = strlen(magic[i % 3]) + (i % 3 == 2 ? 12 : 0);
    size_t n = m + (size_t)(rand() % 40);
    unsigned char *b = malloc(n);
    memcpy(b, i % 3 == 2 ? "RIFF\0\0\0\0WEBPVP8X" : magic[i % 3], m);
    for (size_t j = m; j < n; j++)
      b[j] = (unsigned char)rand();
    struct img im;
    int rc = img_probe(b, n, &im);
    CHECK(rc == 0 ? im.width > 0 && im.height > 0 : rc < 0);
    free(b);
  }
}

int main(void) {
  test_png();
  test_jpeg();
  test_webp();
  test_other();
  test_random();
  T_DONE();
}
