/* imgcodec: decode an upload and encode it again with libpng, libjpeg and
 * libwebp; see imgcodec.h. Each format has a job struct that holds every
 * resource, so that the function that may longjmp (libpng, libjpeg) touches
 * only the job's fields and the caller releases the job on every path. */
#include "core/imgcodec.h"

#include "core/arena.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
/* the message codes (JERR_*, JWRN_*) the handlers below tell apart */
#include <jerror.h>
#include <png.h>
#include <webp/decode.h>
#include <webp/encode.h>

/* What a decoder may allocate for pixels or coefficients at most: the
 * largest accepted image (4096 x 4096) as 8-bit RGBA is 64 MiB, as JPEG
 * coefficients of four full-resolution components 128 MiB. */
#define DECODE_MAX ((size_t)128 << 20)
/* A progressive JPEG's scans at most: real ones have about 10; each scan
 * may walk the whole image, so thousands of tiny ones are a CPU bomb. */
#define JPEG_MAX_SCANS 64
/* The most of one PNG chunk libpng may hold at once (skipped chunks are
 * read through, never held). */
#define PNG_CHUNK_MAX ((png_alloc_size_t)1 << 20)
/* WebP effort, as measured (docs/PERFORMANCE.md, "Uploaded images"): lossy
 * method 2 takes half the time of the default 4 for about 6% more bytes;
 * lossless level 1 half the time of the default 4 at the same size. A
 * 4096 x 4096 WebP still takes about a second to decode and as long to
 * encode: the most expensive upload there is. */
#define WEBP_LOSSY_QUALITY 90.0f
#define WEBP_LOSSY_METHOD 2
#define WEBP_LOSSLESS_LEVEL 1

/* The encoded output: grown with realloc, copied into the arena once
 * complete. */
struct obuf {
  unsigned char *p;
  size_t n, cap;
};

static bool obuf_add(struct obuf *o, const void *p, size_t n) {
  if (n == 0) return true;
  if (n > o->cap - o->n) {
    size_t cap = o->cap ? o->cap : 65536;
    while (cap - o->n < n) {
      if (cap > SIZE_MAX / 2) return false;
      cap *= 2;
    }
    unsigned char *q = realloc(o->p, cap);
    if (!q) return false;
    o->p = q;
    o->cap = cap;
  }
  memcpy(o->p + o->n, p, n);
  o->n += n;
  return true;
}

/* finish: out gets a copy of data[0..n) in the arena. */
static int finish(struct arena *a, const unsigned char *data, size_t n,
                  struct imgcodec_out *out) {
  unsigned char *copy = n ? arena_alloc(a, n) : NULL;
  if (!copy) return IMG_E_NOMEM;
  memcpy(copy, data, n);
  out->data = copy;
  out->len = n;
  return 0;
}

/* ------------------------------------------------------------------ PNG */

struct png_job {
  const unsigned char *in;
  size_t in_len, in_off;
  png_structp rd, wr;
  png_infop rinfo, winfo;
  unsigned char *pixels; /* one row, or the whole image when interlaced */
  png_bytep *rows;
  struct obuf out;
  int rc; /* set before a longjmp when more precise than IMG_E_CORRUPT */
};

static void png_on_error(png_structp png, png_const_charp msg) {
  (void)msg;
  png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg) {
  (void)png, (void)msg; /* ancillary trouble: those chunks are dropped */
}

static void png_read_mem(png_structp png, png_bytep data, size_t n) {
  struct png_job *j = png_get_io_ptr(png);
  if (n > j->in_len - j->in_off) {
    j->rc = IMG_E_TRUNCATED;
    png_error(png, "truncated");
  }
  memcpy(data, j->in + j->in_off, n);
  j->in_off += n;
}

static void png_write_mem(png_structp png, png_bytep data, size_t n) {
  struct png_job *j = png_get_io_ptr(png);
  if (!obuf_add(&j->out, data, n)) {
    j->rc = IMG_E_NOMEM;
    png_error(png, "out of memory");
  }
}

static void png_flush_mem(png_structp png) {
  (void)png;
}

/* png_run: the conversion; may longjmp back into itself, so every resource
 * lives in the job. */
static int png_run(struct png_job *j, struct imgcodec_out *out) {
  j->rd = png_create_read_struct(PNG_LIBPNG_VER_STRING, j, png_on_error,
                                 png_on_warning);
  j->wr = png_create_write_struct(PNG_LIBPNG_VER_STRING, j, png_on_error,
                                  png_on_warning);
  if (!j->rd || !j->wr) return IMG_E_NOMEM;
  j->rinfo = png_create_info_struct(j->rd);
  j->winfo = png_create_info_struct(j->wr);
  if (!j->rinfo || !j->winfo) return IMG_E_NOMEM;
  if (setjmp(png_jmpbuf(j->rd))) return j->rc ? j->rc : IMG_E_CORRUPT;
  if (setjmp(png_jmpbuf(j->wr))) return j->rc ? j->rc : IMG_E_NOMEM;

  png_set_read_fn(j->rd, j, png_read_mem);
  /* Every chunk but IHDR, PLTE, tRNS, IDAT and IEND is skipped unread. */
  png_set_keep_unknown_chunks(j->rd, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
  png_set_user_limits(j->rd, IMG_MAX_SIDE, IMG_MAX_SIDE);
  png_set_chunk_malloc_max(j->rd, PNG_CHUNK_MAX);
  png_read_info(j->rd, j->rinfo);

  png_uint_32 w, h;
  int depth, ctype, interlace;
  png_get_IHDR(j->rd, j->rinfo, &w, &h, &depth, &ctype, &interlace, NULL, NULL);
  int rc = img_check_size(w, h);
  if (rc) return rc;
  out->width = w;
  out->height = h;

  png_set_write_fn(j->wr, j, png_write_mem, png_flush_mem);
  png_set_IHDR(j->wr, j->winfo, w, h, depth, ctype, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_colorp pal;
  int npal;
  if (png_get_PLTE(j->rd, j->rinfo, &pal, &npal))
    png_set_PLTE(j->wr, j->winfo, pal, npal);
  png_bytep alpha;
  int nalpha;
  png_color_16p key;
  if (png_get_tRNS(j->rd, j->rinfo, &alpha, &nalpha, &key))
    png_set_tRNS(j->wr, j->winfo, alpha, nalpha, key);
  png_write_info(j->wr, j->winfo);

  int passes = png_set_interlace_handling(j->rd);
  png_read_update_info(j->rd, j->rinfo);
  size_t rowbytes = png_get_rowbytes(j->rd, j->rinfo);
  if (passes > 1) {
    /* Adam7 rows come in seven passes: the whole image is held. */
    if (rowbytes > DECODE_MAX / h) return IMG_E_COMPLEX;
    j->pixels = malloc(rowbytes * h);
    j->rows = malloc(h * sizeof *j->rows);
    if (!j->pixels || !j->rows) return IMG_E_NOMEM;
    for (png_uint_32 y = 0; y < h; y++)
      j->rows[y] = j->pixels + (size_t)y * rowbytes;
    png_read_image(j->rd, j->rows);
    png_write_rows(j->wr, j->rows, h);
  } else {
    j->pixels = malloc(rowbytes);
    if (!j->pixels) return IMG_E_NOMEM;
    for (png_uint_32 y = 0; y < h; y++) {
      png_read_row(j->rd, j->pixels, NULL);
      png_write_row(j->wr, j->pixels);
    }
  }
  /* Up to IEND: a file cut after its last row is truncated all the same. */
  png_read_end(j->rd, NULL);
  png_write_end(j->wr, NULL);
  return 0;
}

static int png_reencode(struct arena *a, const unsigned char *buf, size_t len,
                        struct imgcodec_out *out) {
  struct png_job j = {.in = buf, .in_len = len};
  int rc = png_run(&j, out);
  if (!rc) rc = finish(a, j.out.p, j.out.n, out);
  if (j.rd) png_destroy_read_struct(&j.rd, j.rinfo ? &j.rinfo : NULL, NULL);
  if (j.wr) png_destroy_write_struct(&j.wr, j.winfo ? &j.winfo : NULL);
  free(j.rows);
  free(j.pixels);
  free(j.out.p);
  return rc;
}

/* ----------------------------------------------------------------- JPEG */

struct jpeg_job {
  struct jpeg_error_mgr err; /* first: libjpeg hands back &err */
  struct jpeg_progress_mgr progress;
  struct jpeg_destination_mgr dest; /* into out through chunk */
  jmp_buf jb;
  int rc;
  struct jpeg_decompress_struct src;
  struct jpeg_compress_struct dst;
  bool src_made, dst_made;
  struct obuf out;
  unsigned char chunk[16384];
};

static void jpeg_fail(j_common_ptr c, int rc) {
  struct jpeg_job *j = (struct jpeg_job *)(void *)c->err;
  if (!j->rc) j->rc = rc;
  longjmp(j->jb, 1);
}

static void jpeg_on_error(j_common_ptr c) {
  int code = c->err->msg_code;
  jpeg_fail(c, code == JERR_OUT_OF_MEMORY      ? IMG_E_NOMEM
               : code == JERR_NO_BACKING_STORE ? IMG_E_COMPLEX
                                               : IMG_E_CORRUPT);
}

/* jpeg_on_message: level -1 is a warning. Those about the coded data
 * (truncation, bad codes, resynchronisation) fail the image, since libjpeg
 * would fill the damage with grey; odd headers (JFIF revision, Adobe
 * transform code, an ICC marker that is dropped anyway, bytes between
 * markers) do not. Traces are ignored. */
static void jpeg_on_message(j_common_ptr c, int level) {
  if (level >= 0) return;
  switch (c->err->msg_code) {
  case JWRN_JFIF_MAJOR:
  case JWRN_ADOBE_XFORM:
  case JWRN_BOGUS_ICC:
  case JWRN_EXTRANEOUS_DATA:
    return;
  case JWRN_JPEG_EOF:
    jpeg_fail(c, IMG_E_TRUNCATED);
    break;
  default:
    jpeg_fail(c, IMG_E_CORRUPT);
  }
}

static void jpeg_on_progress(j_common_ptr c) {
  if (c->is_decompressor &&
      ((j_decompress_ptr)c)->input_scan_number > JPEG_MAX_SCANS)
    jpeg_fail(c, IMG_E_COMPLEX);
}

/* The destination: libjpeg's own jpeg_mem_dest leaves a stale pointer
 * behind when compression fails after it grew its buffer. */
static struct jpeg_job *jpeg_job_of(j_compress_ptr c) {
  return (struct jpeg_job *)(void *)c->err;
}

static void jpeg_dest_init(j_compress_ptr c) {
  struct jpeg_job *j = jpeg_job_of(c);
  j->dest.next_output_byte = j->chunk;
  j->dest.free_in_buffer = sizeof j->chunk;
}

static boolean jpeg_dest_empty(j_compress_ptr c) {
  struct jpeg_job *j = jpeg_job_of(c);
  if (!obuf_add(&j->out, j->chunk, sizeof j->chunk))
    jpeg_fail((j_common_ptr)c, IMG_E_NOMEM);
  jpeg_dest_init(c);
  return TRUE;
}

static void jpeg_dest_term(j_compress_ptr c) {
  struct jpeg_job *j = jpeg_job_of(c);
  if (!obuf_add(&j->out, j->chunk, sizeof j->chunk - j->dest.free_in_buffer))
    jpeg_fail((j_common_ptr)c, IMG_E_NOMEM);
}

static int jpeg_run(struct jpeg_job *j, const unsigned char *buf, size_t len,
                    struct imgcodec_out *out) {
  jpeg_std_error(&j->err);
  j->err.error_exit = jpeg_on_error;
  j->err.emit_message = jpeg_on_message;
  j->progress.progress_monitor = jpeg_on_progress;
  j->src.err = &j->err;
  j->dst.err = &j->err;
  if (setjmp(j->jb)) return j->rc ? j->rc : IMG_E_CORRUPT;

  jpeg_create_decompress(&j->src);
  j->src_made = true;
  j->src.mem->max_memory_to_use = (long)DECODE_MAX;
  j->src.progress = &j->progress;
  jpeg_mem_src(&j->src, buf, (unsigned long)len);
  if (jpeg_read_header(&j->src, TRUE) != JPEG_HEADER_OK) return IMG_E_CORRUPT;
  int rc = img_check_size(j->src.image_width, j->src.image_height);
  if (rc) return rc;
  out->width = j->src.image_width;
  out->height = j->src.image_height;
  jvirt_barray_ptr *coef = jpeg_read_coefficients(&j->src);

  jpeg_create_compress(&j->dst);
  j->dst_made = true;
  jpeg_copy_critical_parameters(&j->src, &j->dst);
  j->dst.optimize_coding = TRUE;
  if (j->src.progressive_mode) jpeg_simple_progression(&j->dst);
  j->dest.init_destination = jpeg_dest_init;
  j->dest.empty_output_buffer = jpeg_dest_empty;
  j->dest.term_destination = jpeg_dest_term;
  j->dst.dest = &j->dest;
  jpeg_write_coefficients(&j->dst, coef);
  jpeg_finish_compress(&j->dst);
  jpeg_finish_decompress(&j->src);
  return 0;
}

static int jpeg_reencode(struct arena *a, const unsigned char *buf, size_t len,
                         struct imgcodec_out *out) {
  struct jpeg_job *j = calloc(1, sizeof *j);
  if (!j) return IMG_E_NOMEM;
  int rc = jpeg_run(j, buf, len, out);
  if (!rc) rc = finish(a, j->out.p, j->out.n, out);
  if (j->dst_made) jpeg_destroy_compress(&j->dst);
  if (j->src_made) jpeg_destroy_decompress(&j->src);
  free(j->out.p);
  free(j);
  return rc;
}

/* ----------------------------------------------------------------- WebP */

static int webp_status(VP8StatusCode st) {
  switch (st) {
  case VP8_STATUS_OK:
    return 0;
  case VP8_STATUS_NOT_ENOUGH_DATA:
    return IMG_E_TRUNCATED;
  case VP8_STATUS_OUT_OF_MEMORY:
    return IMG_E_NOMEM;
  default:
    return IMG_E_CORRUPT;
  }
}

static int webp_encode(const unsigned char *pix, int w, int h, int stride,
                       bool alpha, bool lossless, WebPMemoryWriter *wr) {
  WebPConfig cfg;
  WebPPicture pic;
  if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic)) return IMG_E_NOMEM;
  if (lossless) {
    WebPConfigLosslessPreset(&cfg, WEBP_LOSSLESS_LEVEL);
    cfg.exact = 1; /* even the colour under transparent pixels */
  } else {
    cfg.quality = WEBP_LOSSY_QUALITY;
    cfg.method = WEBP_LOSSY_METHOD;
  }
  pic.use_argb = lossless;
  pic.width = w;
  pic.height = h;
  pic.writer = WebPMemoryWrite;
  pic.custom_ptr = wr;
  int ok = alpha ? WebPPictureImportRGBA(&pic, pix, stride)
                 : WebPPictureImportRGB(&pic, pix, stride);
  if (ok) ok = WebPEncode(&cfg, &pic);
  WebPPictureFree(&pic);
  return ok ? 0 : IMG_E_NOMEM;
}

static int webp_reencode(struct arena *a, const unsigned char *buf, size_t len,
                         struct imgcodec_out *out) {
  WebPDecoderConfig dc;
  if (!WebPInitDecoderConfig(&dc)) return IMG_E_NOMEM;
  int rc = webp_status(WebPGetFeatures(buf, len, &dc.input));
  if (rc) return rc;
  if (dc.input.has_animation) return IMG_E_ANIMATED;
  if ((rc =
           img_check_size((unsigned)dc.input.width, (unsigned)dc.input.height)))
    return rc;
  int w = dc.input.width, h = dc.input.height;
  bool alpha = dc.input.has_alpha != 0;
  size_t stride = (size_t)w * (alpha ? 4 : 3), size = stride * (size_t)h;
  if (size > DECODE_MAX) return IMG_E_COMPLEX;
  unsigned char *pix = malloc(size);
  if (!pix) return IMG_E_NOMEM;
  dc.output.colorspace = alpha ? MODE_RGBA : MODE_RGB;
  dc.output.is_external_memory = 1;
  dc.output.u.RGBA.rgba = pix;
  dc.output.u.RGBA.stride = (int)stride;
  dc.output.u.RGBA.size = size;
  rc = webp_status(WebPDecode(buf, len, &dc));
  WebPFreeDecBuffer(&dc.output);
  WebPMemoryWriter wr;
  WebPMemoryWriterInit(&wr);
  if (!rc)
    rc = webp_encode(pix, w, h, (int)stride, alpha, dc.input.format == 2, &wr);
  free(pix);
  if (!rc) {
    out->width = (unsigned)w;
    out->height = (unsigned)h;
    rc = finish(a, wr.mem, wr.size, out);
  }
  WebPMemoryWriterClear(&wr);
  return rc;
}

/* --------------------------------------------------------------- public */

int imgcodec_reencode(struct arena *a, const unsigned char *buf, size_t len,
                      enum img_type want, struct imgcodec_out *out) {
  struct img head;
  memset(out, 0, sizeof *out);
  /* The library-free header read first: the type, and sizes refused
   * before a decoder is even set up. */
  int rc = img_probe(buf, len, &head);
  if (rc) return rc;
  if (want != IMG_NONE && head.type != want) return IMG_E_MISMATCH;
  if ((rc = img_check_size(head.width, head.height))) return rc;
  switch (head.type) {
  case IMG_PNG:
    rc = png_reencode(a, buf, len, out);
    break;
  case IMG_JPEG:
    rc = jpeg_reencode(a, buf, len, out);
    break;
  case IMG_WEBP:
    rc = webp_reencode(a, buf, len, out);
    break;
  default:
    rc = IMG_E_UNKNOWN;
  }
  if (rc) {
    memset(out, 0, sizeof *out);
    return rc;
  }
  out->type = head.type;
  return 0;
}
