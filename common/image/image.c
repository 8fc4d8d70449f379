#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jpeglib.h>
#include <turbojpeg.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "yolo/image/bmp.h"
#include "yolo/image/image.h"
#include "yolo/image/png.h"

/* What img_read_size reads before it knows the format: a PNG's signature and
 * IHDR (33 bytes), a BMP's file and info headers (54). */
#define HEAD_BYTES 64

img_format img_format_of(const unsigned char *head, size_t len)
{
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len >= 2 && head[0] == 0xff && head[1] == 0xd8)
        return IMG_JPEG;
    if (len >= sizeof png_sig && memcmp(head, png_sig, sizeof png_sig) == 0)
        return IMG_PNG;
    if (len >= 2 && head[0] == 'B' && head[1] == 'M')
        return IMG_BMP;
    return IMG_UNKNOWN;
}

/* The bounds every format shares (image.h): 0, or -1 with err. */
static int check_bounds(const char *path, int w, int h, yerr *err)
{
    if (w > IMG_MAX_SIDE || h > IMG_MAX_SIDE || (long)w * h > IMG_MAX_PIXELS)
        return yerr_set(err, YOLO_EINPUT, "%s: image of %d x %d is too large (at most %d a side, "
                        "%ld pixels)", path, w, h, IMG_MAX_SIDE, IMG_MAX_PIXELS);
    return 0;
}

/* A JPEG's header claim against its file's length (image.h). */
static int jpeg_fits_file(const char *path, int w, int h, size_t file_len, yerr *err)
{
    if ((double)w * h > (double)IMG_JPEG_PX_PER_BYTE * file_len)
        return yerr_set(err, YOLO_EINPUT, "%s: its header says %d x %d, more than a JPEG of %zu "
                        "bytes can hold (%d pixels a byte at most): truncated or corrupt", path,
                        w, h, file_len, IMG_JPEG_PX_PER_BYTE);
    return 0;
}

/* Reads up to n more bytes of f into *buf (growing it); returns bytes added. */
static size_t read_more(FILE *f, unsigned char **buf, size_t *len, size_t n, int *oom)
{
    unsigned char *p = realloc(*buf, *len + n);
    if (!p) {
        *oom = 1;
        return 0;
    }
    *buf = p;
    size_t k = fread(p + *len, 1, n, f);
    *len += k;
    return k;
}

/* A JPEG's size from f (at its start), reading only as far as the frame
 * header. */
static int jpeg_size(FILE *f, const char *path, int *w, int *h, yerr *err)
{
    tjhandle tj = tjInitDecompress();
    unsigned char *buf = NULL;
    size_t len = 0, step = 1 << 14;
    int oom = !tj, rc = -1, sub, cs;
    /* The frame header usually sits in the first kilobytes, after any EXIF
     * block (at most 64 KiB each); read more only while it is not found.
     * A prefix that stops before it reads as a tables-only stream, which
     * libjpeg-turbo accepts without giving a size: that means "read more". */
    while (!oom) {
        size_t k = read_more(f, &buf, &len, step, &oom);
        int ok = 0;
        *w = *h = 0;
        if (len)
            ok = tjDecompressHeader3(tj, buf, (unsigned long)len, w, h, &sub, &cs) == 0;
        if (ok && *w > 0 && *h > 0) {
            rc = 0;
            break;
        }
        if (k < step) {
            rc = ferror(f) ? yerr_set(err, YOLO_EIO, "%s: read error", path)
                           : yerr_set(err, YOLO_EINPUT, "%s: not a readable JPEG (%s)", path,
                                      ok ? "it ends before its frame header gives a size"
                                         : tjGetErrorStr2(tj));
            break;
        }
        step *= 2;
    }
    if (oom)
        rc = yerr_set(err, YOLO_EIO, "%s: out of memory", path);
    free(buf);
    if (tj)
        tjDestroy(tj);
    return rc;
}

/* The size from the header of f's format; head: its first n bytes. */
static int size_of(FILE *f, const unsigned char *head, size_t n, size_t file_len,
                   const char *path, int *w, int *h, yerr *err)
{
    switch (img_format_of(head, n)) {
    case IMG_JPEG:
        rewind(f);
        if (jpeg_size(f, path, w, h, err) != 0 || check_bounds(path, *w, *h, err) != 0)
            return -1;
        return jpeg_fits_file(path, *w, *h, file_len, err);
    case IMG_PNG:
        if (img_png_size(head, n, file_len, path, w, h, err) != 0)
            return -1;
        return check_bounds(path, *w, *h, err);
    case IMG_BMP:
        if (img_bmp_size(head, n, file_len, path, w, h, err) != 0)
            return -1;
        return check_bounds(path, *w, *h, err);
    default:
        return yerr_set(err, YOLO_EINPUT, n ? "%s: not an image (JPEG, PNG or BMP, told by its "
                        "first bytes)" : "%s: not a readable image (empty file)", path);
    }
}

int img_read_size(const char *path, int *w, int *h, yerr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    unsigned char head[HEAD_BYTES];
    struct stat st;
    size_t n = fread(head, 1, sizeof head, f);
    int rc;
    if (ferror(f))
        rc = yerr_set(err, YOLO_EIO, "%s: read error", path);
    else if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        rc = yerr_set(err, YOLO_EIO, "%s: not a regular file", path);
    else
        rc = size_of(f, head, n, (size_t)st.st_size, path, w, h, err);
    fclose(f);
    return rc;
}

/* img_alloc's work; zero 0 leaves the values unset, for a caller that
 * writes every one. */
static int alloc_pixels(img *im, int w, int h, int c, int zero, yerr *err)
{
    *im = (img){0};
    if (w <= 0 || h <= 0 || c <= 0)
        return yerr_set(err, YOLO_EINPUT, "image size %d x %d x %d is not positive", w, h, c);
    size_t n = (size_t)w * h * c;
    float *p = zero ? calloc(n, sizeof *p) : malloc(n * sizeof *p);
    if (!p)
        return yerr_set(err, YOLO_EIO, "out of memory for a %d x %d x %d image", w, h, c);
    *im = (img){.w = w, .h = h, .c = c, .data = p};
    return 0;
}

int img_alloc(img *im, int w, int h, int c, yerr *err) { return alloc_pixels(im, w, h, c, 1, err); }

void img_free(img *im)
{
    free(im->data);
    *im = (img){0};
}

/* The whole of a regular file in one malloc'd buffer. */
static int slurp(const char *path, unsigned char **buf, size_t *len, yerr *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    int rc = 0;
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
        rc = yerr_set(err, YOLO_EIO, "%s: cannot seek (not a regular file?)", path);
    else if (!(*buf = malloc(n ? (size_t)n : 1))) {
        yerr_set(err, YOLO_EIO, "%s: out of memory for its %ld bytes", path, n);
        rc = IMG_ENOMEM;
    }
    else if (fread(*buf, 1, (size_t)n, f) != (size_t)n)
        rc = yerr_set(err, YOLO_EIO, "%s: read error", path);
    *len = rc == 0 ? (size_t)n : 0;
    fclose(f);
    return rc;
}

/* OpenCV's CMYK conversion (imgcodecs, icvCvt_CMYK2BGR): libjpeg hands out
 * Adobe's inverted CMYK, 255 meaning no ink. */
static unsigned char cmyk_channel(int v, int k) { return (unsigned char)(k - ((255 - v) * k >> 8)); }

/* Interleaved bytes px [w, ps] as floats into three planes: o (plane 0's
 * row), o + plane, o + 2 * plane. */
static void row_to_planes(const unsigned char *px, int ps, int w, float *o, size_t plane)
{
    for (int x = 0; x < w; x++) {
        const unsigned char *p = px + (size_t)x * ps;
        for (int ch = 0; ch < 3; ch++) {
            int v = ps == 4 ? cmyk_channel(p[ch], p[3]) : p[ch];
            o[ch * plane + x] = (float)(v / 255.);
        }
    }
}

int img_from_rgb(const unsigned char *rgb, int w, int h, img *out, yerr *err)
{
    if (img_alloc(out, w, h, 3, err) != 0)
        return IMG_ENOMEM;
    float v[256];   /* img_put_row's values, a division each once */
    for (int b = 0; b < 256; b++)
        v[b] = (float)(b / 255.);
    size_t plane = (size_t)w * h;
    for (size_t i = 0; i < plane; i++)
        for (int ch = 0; ch < 3; ch++)
            out->data[ch * plane + i] = v[rgb[3 * i + ch]];
    return 0;
}

static void fit_put_row(img *im, int y, const unsigned char *px, int ps);

void img_put_row(img *im, int y, const unsigned char *px, int ps)
{
    if (im->fit)
        fit_put_row(im, y, px, ps);
    else
        row_to_planes(px, ps, im->w, im->data + (size_t)y * im->w, (size_t)im->w * im->h);
}

static void fit_fill_grey(img *im, int y0);

void img_fill_grey(img *im, int y0)
{
    if (im->fit) {
        fit_fill_grey(im, y0);
        return;
    }
    const float grey = (float)(128 / 255.);
    for (int ch = 0; ch < im->c; ch++)
        for (int y = y0 < 0 ? 0 : y0; y < im->h; y++) {
            float *row = im->data + ((size_t)ch * im->h + y) * im->w;
            for (int x = 0; x < im->w; x++)
                row[x] = grey;
        }
}

/* Whether row y of every plane of im is grey 128 / 255. */
static int row_is_grey(const img *im, int y)
{
    const float grey = (float)(128 / 255.);
    for (int ch = 0; ch < im->c; ch++) {
        const float *row = im->data + ((size_t)ch * im->h + y) * im->w;
        for (int x = 0; x < im->w; x++)
            if (row[x] != grey)
                return 0;
    }
    return 1;
}

static int fit_row_is_grey(const img *im, int y);

int img_grey_tail(const img *im)
{
    int n = 0;
    for (int y = im->h - 1; y >= 0 && (im->fit ? fit_row_is_grey(im, y) : row_is_grey(im, y));
         y--)
        n++;
    return n;
}

/* ---- JPEG pixels, with libjpeg's own API -------------------------------------
 * TurboJPEG's tjDecompress2 cannot tell a warning (data that ends early,
 * corrupt entropy data: libjpeg goes on) from a warning followed by a fatal
 * error (it stopped half way): both say TJERR_WARNING. libjpeg's error
 * manager tells them apart. Same library, same settings as before: the
 * accurate integer DCT and fancy upsampling, as OpenCV's imread. */

typedef struct jpeg_job {
    struct jpeg_error_mgr pub;   /* first: libjpeg hands it back as cinfo->err */
    jmp_buf back;                /* where a fatal error returns to */
    struct jpeg_decompress_struct d;
    int strict;                  /* a warning is fatal (always, in the header) */
    int in_pixels;               /* the header was read: errors are in the data */
    char warning[JMSG_LENGTH_MAX];   /* the first warning ("" if none) */
    char fatal[JMSG_LENGTH_MAX];
    int w, h;                    /* the size TurboJPEG read from the header */
    img *out;                    /* [3, h, w], allocated once the decoder agrees on w x h */
    unsigned char *row;          /* [w, ps]: ps = 3 (RGB) or 4 (CMYK) */
} jpeg_job;

static void job_fatal(j_common_ptr c)
{
    jpeg_job *j = (jpeg_job *)c->err;
    c->err->format_message(c, j->fatal);
    longjmp(j->back, 1);
}

/* libjpeg's emit_message: level -1 is a warning, others are traces. */
static void job_message(j_common_ptr c, int level)
{
    jpeg_job *j = (jpeg_job *)c->err;
    if (level >= 0)
        return;
    if (j->strict || !j->in_pixels)
        job_fatal(c);
    if (c->err->num_warnings++ == 0)
        c->err->format_message(c, j->warning);
}

/* Decodes the rows of j->d (its header read) into j->out, one row of bytes
 * at a time. 0, or -1 / IMG_ENOMEM (err). */
static int read_rows(jpeg_job *j, const char *path, yerr *err)
{
    struct jpeg_decompress_struct *d = &j->d;
    /* libjpeg-turbo cannot convert CMYK to RGB itself: img_put_row does */
    int cmyk = d->jpeg_color_space == JCS_CMYK || d->jpeg_color_space == JCS_YCCK;
    d->out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
    d->dct_method = JDCT_ISLOW;
    j->in_pixels = 1;
    jpeg_start_decompress(d);
    int w = (int)d->output_width, h = (int)d->output_height, ps = d->output_components;
    if (w != j->w || h != j->h)   /* two readers of one header */
        return yerr_set(err, YOLO_EINPUT, "%s: corrupt JPEG (its header says %d x %d, the "
                        "decoder gave %d x %d)", path, j->w, j->h, w, h);
    if (img_start(j->out, w, h, err) != 0 || !(j->row = malloc((size_t)w * ps))) {
        yerr_set(err, YOLO_EIO, "%s: out of memory for %d x %d pixels", path, w, h);
        return IMG_ENOMEM;
    }
    while (d->output_scanline < d->output_height) {
        int y = (int)d->output_scanline;
        JSAMPROW row = j->row;
        if (jpeg_read_scanlines(d, &row, 1) != 1)   /* only a suspending source stalls */
            return yerr_set(err, YOLO_EINPUT, "%s: corrupt JPEG (the decoder stalled)", path);
        img_put_row(j->out, y, j->row, ps);
    }
    jpeg_finish_decompress(d);
    return 0;
}

/* Decodes buf (len bytes) into j->out. 0, or -1 / IMG_ENOMEM with err: a
 * fatal libjpeg error, or any warning when j->strict (j->warning keeps the
 * first one). */
static int run_job(jpeg_job *j, const unsigned char *buf, size_t len, const char *path,
                   yerr *err)
{
    j->d.err = jpeg_std_error(&j->pub);
    j->pub.error_exit = job_fatal;
    j->pub.emit_message = job_message;
    if (setjmp(j->back)) {
        jpeg_destroy_decompress(&j->d);
        return yerr_set(err, YOLO_EINPUT, j->in_pixels ? "%s: corrupt JPEG (%s)"
                                                       : "%s: not a readable JPEG (%s)",
                        path, j->fatal);
    }
    jpeg_create_decompress(&j->d);
    jpeg_mem_src(&j->d, buf, (unsigned long)len);
    jpeg_read_header(&j->d, TRUE);   /* up to the first scan's header */
    int rc = j->d.src->bytes_in_buffer == 0   /* none of the picture is in the file */
                 ? yerr_set(err, YOLO_EINPUT, "%s: truncated JPEG (it ends before its image "
                            "data)", path)
                 : read_rows(j, path, err);
    jpeg_destroy_decompress(&j->d);
    return rc;
}

/* After a warning: the note for the caller. */
static void note_damage(const jpeg_job *j, const char *path, yerr *warn)
{
    int grey = img_grey_tail(j->out);
    char rows[96] = "";
    if (grey > 0)
        snprintf(rows, sizeof rows, ", the rows it could not read grey (the last %d of %d)", grey,
                 j->h);
    yerr_set(warn, YOLO_EINPUT, "%s: truncated or corrupt JPEG (libjpeg-turbo: %s): decoded as "
             "viewers show it%s", path, j->warning, rows);
}

/* Decodes buf (its header already read by TurboJPEG: w x h) into out. */
static int decode_pixels(const unsigned char *buf, size_t len, int w, int h, const char *path,
                         img *out, yerr *warn, yerr *err)
{
    jpeg_job j = {.strict = !warn, .w = w, .h = h, .out = out};
    int rc = run_job(&j, buf, len, path, err);
    if (rc == 0 && j.warning[0])
        note_damage(&j, path, warn);
    if (rc != 0)
        img_free(out);
    free(j.row);
    return rc;
}

/* A JPEG in buf: its header read by TurboJPEG (as jpeg_size reads it: both
 * refuse the same files, any warning in the header among them), bounded,
 * then decoded. */
static int load_jpeg(const unsigned char *buf, size_t len, const char *path, img *out,
                     yerr *warn, yerr *err)
{
    tjhandle tj = tjInitDecompress();
    int w = 0, h = 0, sub, cs, rc = 0;
    if (!tj)
        rc = yerr_set(err, YOLO_EIO, "%s: cannot start the JPEG decoder", path);
    else if (tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &sub, &cs) != 0)
        rc = yerr_set(err, YOLO_EINPUT, "%s: not a readable JPEG (%s)", path, tjGetErrorStr2(tj));
    else if (w <= 0 || h <= 0)    /* TurboJPEG's answer when the file stops before */
        rc = yerr_set(err, YOLO_EINPUT, "%s: not a readable JPEG (it ends before its frame "
                      "header gives a size)", path);
    else if (check_bounds(path, w, h, err) != 0 || jpeg_fits_file(path, w, h, len, err) != 0)
        rc = -1;
    else
        rc = decode_pixels(buf, len, w, h, path, out, warn, err);
    if (tj)
        tjDestroy(tj);
    return rc;
}

/* A PNG or BMP in buf: its header read and bounded, then decoded. */
static int load_other(img_format f, const unsigned char *buf, size_t len, const char *path,
                      img *out, yerr *warn, yerr *err)
{
    int w, h;
    int rc = f == IMG_PNG ? img_png_size(buf, len, len, path, &w, &h, err)
                          : img_bmp_size(buf, len, len, path, &w, &h, err);
    if (rc == 0)
        rc = check_bounds(path, w, h, err);
    if (rc == 0)
        rc = f == IMG_PNG ? img_png_decode(buf, len, path, out, warn, err)
                          : img_bmp_decode(buf, len, path, out, warn, err);
    return rc;
}

/* img_load into *out as it is (img_load_fit's fit kept). */
static int load_into(const char *path, img *out, yerr *warn, yerr *err)
{
    if (warn)
        warn->code = 0;
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = slurp(path, &buf, &len, err);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    img_format f = img_format_of(buf, len);
    if (f == IMG_JPEG)
        rc = load_jpeg(buf, len, path, out, warn, err);
    else if (f != IMG_UNKNOWN)
        rc = load_other(f, buf, len, path, out, warn, err);
    else
        rc = yerr_set(err, YOLO_EINPUT, len ? "%s: not an image (JPEG, PNG or BMP, told by its "
                      "first bytes)" : "%s: not a readable image (empty file)", path);
    free(buf);
    return rc;
}

int img_load(const char *path, img *out, yerr *warn, yerr *err)
{
    *out = (img){0};
    return load_into(path, out, warn, err);
}

/* darknet's first pass for one row: row [src_w] resampled along x to w
 * columns, of which [c0, c1) go into o [c1 - c0], scale = (src_w - 1) /
 * (w - 1) in float. The float expressions keep darknet's order of
 * operations, so results are bit-identical. */
static void resample_row(const float *row, int src_w, int w, float scale, int c0, int c1,
                         float *o)
{
    for (int c = c0; c < c1; c++) {
        if (c == w - 1 || src_w == 1) {
            o[c - c0] = row[src_w - 1];
            continue;
        }
        float sx = c * scale;
        int ix = (int)sx;
        float dx = sx - ix;
        int ix1 = ix + 1 < src_w ? ix + 1 : ix; /* float rounding guard */
        o[c - c0] = (1 - dx) * row[ix] + dx * row[ix1];
    }
}

static float resample_scale(int src, int dst) { return (float)(src - 1) / (dst > 1 ? dst - 1 : 1); }

/* darknet's first pass: src's rows resampled along x to w columns, into
 * part [c, src->h, w]. */
static void resample_x(const img *src, int w, float *part)
{
    float scale = resample_scale(src->w, w);
    for (int k = 0; k < src->c; k++)
        for (int r = 0; r < src->h; r++)
            resample_row(src->data + ((size_t)k * src->h + r) * src->w, src->w, w, scale, 0, w,
                         part + ((size_t)k * src->h + r) * w);
}

/* The threads a resize's rows are shared among, for `values` floats
 * written: the team's when called outside one, else 1 (darknet-forward's
 * batch runs its images in parallel already, one on each thread); 1 for a
 * small picture too, where starting the team costs more than it saves. */
static int row_threads(long values)
{
#ifdef _OPENMP
    return values < 65536 || omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    (void)values;
    return 1;
#endif
}

/* The rows of the first pass the second reads for output rows [r0, r1) of
 * h: [*p0, *p1). */
static void rows_needed(int src_h, int h, int r0, int r1, int *p0, int *p1)
{
    float scale = resample_scale(src_h, h);
    *p0 = (int)(r0 * scale);
    *p1 = (int)((r1 - 1) * scale) + 2;
    if (*p1 > src_h)
        *p1 = src_h;
}

/* Which part of the first pass is at hand and which rows are made: part
 * [c, np, w] holds its rows p0 ... p0 + np - 1 (of src_h), and output rows
 * [r0, r1) of h go to dst's rows oy ... at column ox. */
typedef struct pass_y {
    const float *part;
    int src_h, p0, np, w;
    int h, r0, r1;
    int ox, oy;
} pass_y;

/* darknet's second pass: the first pass's rows resampled along y, written
 * into dst, which is at least (ox + w) x (oy + r1 - r0). */
static void resample_y(const pass_y *p, img *dst)
{
    float scale = resample_scale(p->src_h, p->h);
    int nt = row_threads((long)dst->c * (p->r1 - p->r0) * p->w);
#pragma omp parallel for collapse(2) schedule(static) num_threads(nt) if (nt > 1)
    for (int k = 0; k < dst->c; k++)
        for (int r = p->r0; r < p->r1; r++) {
            float sy = r * scale;
            int iy = (int)sy;
            float dy = sy - iy;
            const float *a = p->part + ((size_t)k * p->np + iy - p->p0) * p->w; /* [w] */
            float *o = dst->data + ((size_t)k * dst->h + p->oy + r - p->r0) * dst->w + p->ox;
            /* darknet skips the second term on the last row (and for
             * one-row sources), even when dy is not 0 */
            int last = r == p->h - 1 || p->src_h == 1 || iy + 1 >= p->src_h; /* (or rounding) */
            for (int c = 0; c < p->w; c++) {
                float v = (1 - dy) * a[c];
                o[c] = last ? v : v + dy * a[p->w + c];
            }
        }
}

/* src resized to w x h into dst's window at (ox, oy); dst has src's c. */
static int resize_into(const img *src, int w, int h, img *dst, int ox, int oy, yerr *err)
{
    float *part = malloc((size_t)w * src->h * src->c * sizeof *part); /* [c, src->h, w] */
    if (!part)
        return yerr_set(err, YOLO_EIO, "out of memory resizing to %d x %d", w, h);
    resample_x(src, w, part);
    resample_y(&(pass_y){part, src->h, 0, src->h, w, h, 0, h, ox, oy}, dst);
    free(part);
    return 0;
}

int img_resize(const img *src, int w, int h, img *dst, yerr *err)
{
    if (img_alloc(dst, w, h, src->c, err) != 0)
        return -1;
    if (resize_into(src, w, h, dst, 0, 0, err) != 0) {
        img_free(dst);
        return -1;
    }
    return 0;
}

int img_resize_window(const img *src, int w, int h, const int win[4], img *dst, yerr *err)
{
    int x0 = win[0], y0 = win[1], x1 = win[2], y1 = win[3], p0, p1;
    if (!(0 <= x0 && x0 < x1 && x1 <= w && 0 <= y0 && y0 < y1 && y1 <= h))
        return yerr_set(err, YOLO_EUSAGE, "window [%d, %d, %d, %d] of a %d x %d resize", x0, y0,
                        x1, y1, w, h);
    rows_needed(src->h, h, y0, y1, &p0, &p1);
    int ww = x1 - x0, np = p1 - p0;
    float scale = resample_scale(src->w, w);
    float *part = malloc((size_t)ww * np * src->c * sizeof *part); /* [c, np, ww] */
    if (!part)
        return yerr_set(err, YOLO_EIO, "out of memory resizing to %d x %d", w, h);
    if (img_alloc(dst, ww, y1 - y0, src->c, err) != 0) {
        free(part);
        return -1;
    }
    for (int k = 0; k < src->c; k++)
        for (int r = p0; r < p1; r++)
            resample_row(src->data + ((size_t)k * src->h + r) * src->w, src->w, w, scale, x0, x1,
                         part + ((size_t)k * np + r - p0) * ww);
    resample_y(&(pass_y){part, src->h, p0, np, ww, h, y0, y1, 0, 0}, dst);
    free(part);
    return 0;
}

img_transform img_resize_transform(int src_w, int src_h, int w, int h)
{
    return (img_transform){w, h, (double)w / src_w, (double)h / src_h, 0, 0};
}

/* Every value of dst outside the window of w x h at (ox, oy) set to the
 * letterbox's grey 0.5 (the window is the resize's to write). */
static void fill_around(img *dst, int ox, int oy, int w, int h)
{
    for (int k = 0; k < dst->c; k++)
        for (int y = 0; y < dst->h; y++) {
            float *row = dst->data + ((size_t)k * dst->h + y) * dst->w;   /* [dst->w] */
            int inside = y >= oy && y < oy + h;
            for (int x = 0; x < dst->w; x++)
                if (!inside || x < ox || x >= ox + w)
                    row[x] = 0.5f;
        }
}

/* The size a src_w x src_h image is letterboxed to in w x h: darknet's
 * rule, in float, and its integer new size. */
static void letterbox_size(int src_w, int src_h, int w, int h, int *new_w, int *new_h)
{
    *new_w = w, *new_h = h;
    if ((float)w / src_w < (float)h / src_h)
        *new_h = (int)((long)src_h * w / src_w);
    else
        *new_w = (int)((long)src_w * h / src_h);
}

int img_letterbox(const img *src, int w, int h, img *dst, img_transform *t, yerr *err)
{
    int new_w, new_h;
    letterbox_size(src->w, src->h, w, h, &new_w, &new_h);
    if (new_w < 1 || new_h < 1)
        return yerr_set(err, YOLO_EINPUT, "a %d x %d image letterboxed into %d x %d is empty",
                        src->w, src->h, w, h);
    if (img_alloc(dst, w, h, src->c, err) != 0)
        return -1;
    int ox = (w - new_w) / 2, oy = (h - new_h) / 2;
    fill_around(dst, ox, oy, new_w, new_h);
    if (resize_into(src, new_w, new_h, dst, ox, oy, err) != 0) {
        img_free(dst);
        return -1;
    }
    if (t)
        *t = (img_transform){w, h, (double)new_w / src->w, (double)new_h / src->h, ox, oy};
    return 0;
}

/* ---- decoding into the network's size --------------------------------------------
 * img_load_fit: the decoders hand their rows to img_put_row as always; with
 * im->fit set, each row goes through resample_row into the first pass's
 * buffer at once, so the whole image never exists. The second pass is the
 * same resample_y, so the bits are img_load + img_letterbox / img_resize's. */

struct img_fit {
    int net_w, net_h, letterbox;   /* the input asked for */
    int new_w, new_h, ox, oy;      /* the resize's size and its place (img_start) */
    float scale;                   /* resample_row's, for new_w */
    float *part;                   /* [3, src_h, new_w] the first pass's rows */
    float *row;                    /* [3, src_w] one decoded row, in planes */
    unsigned char *grey;           /* [src_h] 1 where the row was all grey 128 */
    int *ix;                       /* [new_w] resample_row's ix of each column, */
    float *dx;                     /* [new_w] and its dx: the same for every row */
};

static void fit_free(struct img_fit *f)
{
    free(f->ix);
    free(f->dx);
    f->ix = NULL;
    f->dx = NULL;
    free(f->part);
    free(f->row);
    free(f->grey);
    f->part = f->row = NULL;
    f->grey = NULL;
}

int img_start(img *im, int w, int h, yerr *err)
{
    struct img_fit *f = im->fit;
    if (!f)
        return img_alloc(im, w, h, 3, err);
    if (w <= 0 || h <= 0)
        return yerr_set(err, YOLO_EINPUT, "image size %d x %d is not positive", w, h);
    f->new_w = f->net_w, f->new_h = f->net_h, f->ox = f->oy = 0;
    if (f->letterbox) {
        letterbox_size(w, h, f->net_w, f->net_h, &f->new_w, &f->new_h);
        f->ox = (f->net_w - f->new_w) / 2, f->oy = (f->net_h - f->new_h) / 2;
    }
    if (f->new_w < 1 || f->new_h < 1)   /* img_load_fit says so after the decode */
        f->new_w = f->new_w < 1 ? 1 : f->new_w, f->new_h = f->new_h < 1 ? 1 : f->new_h;
    f->scale = resample_scale(w, f->new_w);
    f->part = malloc((size_t)3 * h * f->new_w * sizeof *f->part);
    f->row = malloc((size_t)3 * w * sizeof *f->row);
    f->grey = calloc((size_t)h, 1);
    f->ix = malloc((size_t)f->new_w * sizeof *f->ix);
    f->dx = malloc((size_t)f->new_w * sizeof *f->dx);
    *im = (img){.w = w, .h = h, .c = 3, .fit = f};
    if (!f->part || !f->row || !f->grey || !f->ix || !f->dx) {
        fit_free(f);
        return yerr_set(err, YOLO_EIO, "out of memory for a %d x %d image's resize", w, h);
    }
    for (int c = 0; c < f->new_w; c++) {   /* resample_row's, column by column */
        float sx = c * f->scale;
        f->ix[c] = (int)sx;
        f->dx[c] = sx - f->ix[c];
    }
    return 0;
}

int img_started(const img *im) { return im->data || (im->fit && im->fit->part); }

/* Row y of im, as planes row [3, im->w], through the first pass into
 * f->part. */
static void first_pass(const img *im, const float *row, int y)
{
    const struct img_fit *f = im->fit;
    int w = im->w, nw = f->new_w;
    for (int k = 0; k < 3; k++) {
        const float *in = row + (size_t)k * w;                    /* [w] */
        float *o = f->part + ((size_t)k * im->h + y) * nw;        /* [nw] */
        if (w == 1) {
            resample_row(in, w, nw, f->scale, 0, nw, o);
            continue;
        }
        /* resample_row with each column's ix and dx from the table: the
         * same operations in the same order, so the same bits */
        for (int c = 0; c < nw - 1; c++) {
            int ix = f->ix[c], ix1 = ix + 1 < w ? ix + 1 : ix;
            float dx = f->dx[c];
            o[c] = (1 - dx) * in[ix] + dx * in[ix1];
        }
        o[nw - 1] = in[w - 1];
    }
}

/* Row y of the planes in f->row through the first pass into f->part. */
static void fit_resample(img *im, int y)
{
    struct img_fit *f = im->fit;
    const float grey = (float)(128 / 255.);
    int all_grey = 1;
    for (size_t i = 0; i < (size_t)3 * im->w && all_grey; i++)
        all_grey = f->row[i] == grey;
    f->grey[y] = (unsigned char)all_grey;
    first_pass(im, f->row, y);
}

static void fit_put_row(img *im, int y, const unsigned char *px, int ps)
{
    row_to_planes(px, ps, im->w, im->fit->row, (size_t)im->w);
    fit_resample(im, y);
}

static void fit_fill_grey(img *im, int y0)
{
    const float grey = (float)(128 / 255.);
    for (int y = y0 < 0 ? 0 : y0; y < im->h; y++) {
        for (size_t i = 0; i < (size_t)3 * im->w; i++)
            im->fit->row[i] = grey;
        fit_resample(im, y);
    }
}

static int fit_row_is_grey(const img *im, int y) { return im->fit->grey[y]; }

/* The second pass into *dst, as img_letterbox and img_resize make it. */
static int fit_finish(const img *src, img *dst, img_transform *t, yerr *err)
{
    const struct img_fit *f = src->fit;
    int lw, lh;
    if (f->letterbox)
        letterbox_size(src->w, src->h, f->net_w, f->net_h, &lw, &lh);
    if (f->letterbox && (lw < 1 || lh < 1))
        return yerr_set(err, YOLO_EINPUT, "a %d x %d image letterboxed into %d x %d is empty",
                        src->w, src->h, f->net_w, f->net_h);
    /* every value is written: the grey around the window, the window by
     * resample_y (a stretch's window is the whole input) */
    if (alloc_pixels(dst, f->net_w, f->net_h, 3, 0, err) != 0)
        return IMG_ENOMEM;
    if (f->letterbox)
        fill_around(dst, f->ox, f->oy, f->new_w, f->new_h);
    resample_y(&(pass_y){f->part, src->h, 0, src->h, f->new_w, f->new_h, 0, f->new_h, f->ox,
                         f->oy}, dst);
    *t = f->letterbox ? (img_transform){f->net_w, f->net_h, (double)f->new_w / src->w,
                                        (double)f->new_h / src->h, f->ox, f->oy}
                      : img_resize_transform(src->w, src->h, f->net_w, f->net_h);
    return 0;
}

int img_load_fit(const char *path, int w, int h, int letterbox, img *dst, img_transform *t,
                 int *src_w, int *src_h, yerr *warn, yerr *err)
{
    *dst = (img){0};
    if (w < 1 || h < 1)
        return yerr_set(err, YOLO_EUSAGE, "a %d x %d network input is empty", w, h);
    struct img_fit fit = {.net_w = w, .net_h = h, .letterbox = letterbox};
    img src = {.fit = &fit};
    int rc = load_into(path, &src, warn, err);
    if (rc == 0) {
        rc = fit_finish(&src, dst, t, err);
        *src_w = src.w, *src_h = src.h;
    }
    fit_free(&fit);
    return rc;
}

/* The first pass of every row of rgb [im->h][im->w][3], rows shared among
 * nt threads, each with its planes row rows + t * 3 * im->w; a byte's value
 * from a table of img_from_rgb's (a division each once). */
static void first_pass_rgb(const img *im, const unsigned char *rgb, float *rows, int nt)
{
    float v[256];
    for (int b = 0; b < 256; b++)
        v[b] = (float)(b / 255.);
    size_t w = (size_t)im->w;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = 0;
#ifdef _OPENMP
        t = omp_get_thread_num();
#endif
        float *row = rows + (size_t)t * 3 * w;   /* [3, w] */
#pragma omp for schedule(static)
        for (int y = 0; y < im->h; y++) {
            const unsigned char *px = rgb + (size_t)y * 3 * w;
            for (size_t x = 0; x < w; x++)
                for (int ch = 0; ch < 3; ch++)
                    row[ch * w + x] = v[px[3 * x + ch]];
            first_pass(im, row, y);
        }
    }
}

int img_fit_rgb(const unsigned char *rgb, int src_w, int src_h, int w, int h, int letterbox,
                img *dst, img_transform *t, yerr *err)
{
    *dst = (img){0};
    if (w < 1 || h < 1)
        return yerr_set(err, YOLO_EUSAGE, "a %d x %d network input is empty", w, h);
    struct img_fit fit = {.net_w = w, .net_h = h, .letterbox = letterbox};
    img src = {.fit = &fit};
    if (img_start(&src, src_w, src_h, err) < 0)
        return -1;
    int nt = row_threads((long)3 * src_h * fit.new_w);
    float *rows = malloc((size_t)nt * 3 * src_w * sizeof *rows);   /* [nt, 3, src_w] */
    int rc = rows ? 0 : yerr_set(err, YOLO_EIO, "out of memory for a %d x %d frame's resize",
                                 src_w, src_h);
    if (rc == 0) {
        first_pass_rgb(&src, rgb, rows, nt);
        rc = fit_finish(&src, dst, t, err);
    }
    free(rows);
    fit_free(&fit);
    return rc < 0 ? -1 : 0;
}

/* ---- colour ------------------------------------------------------------------- */

/* One step of img_hsv_to_rgb: x, rounded to float when it runs in float. */
static double step(double x, int in_float) { return in_float ? (double)(float)x : x; }

void img_hsv_to_rgb(double h, double s, double v, int in_float, double rgb[3])
{
    double r = v, g = v, b = v;
    if (s != 0) {
        double h6 = step(6 * h, in_float);
        int k = (int)floor(h6);
        double f = step(h6 - k, in_float), p = step(v * step(1 - s, in_float), in_float);
        double q = step(v * step(1 - step(s * f, in_float), in_float), in_float);
        double t = step(v * step(1 - step(s * step(1 - f, in_float), in_float), in_float),
                        in_float);
        switch (k) {
        case 0: r = v, g = t, b = p; break;
        case 1: r = q, g = v, b = p; break;
        case 2: r = p, g = v, b = t; break;
        case 3: r = p, g = q, b = v; break;
        case 4: r = t, g = p, b = v; break;
        default: r = v, g = p, b = q; break;
        }
    }
    rgb[0] = r, rgb[1] = g, rgb[2] = b;
}
