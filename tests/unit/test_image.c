/* Tests for common/image/image.c:
 *   1. decoding the images of tests/data/images, darknet's dog.jpg and
 *      synth-voc's (sizes, value range, agreement with the header reader)
 *   2. decoding JPEGs made here with turbojpeg: RGB, grayscale, CMYK,
 *      progressive, 1x1; truncated and corrupt data decoded with a warning
 *      (refused without one); errors for a file cut in its header or before
 *      its image data, a broken header, oversized, non-JPEG and missing files
 *   2b. dog.jpg cut to 60000 bytes: the rows before the cut as the whole
 *      file's, grey after it, PIL's pixels exactly
 *      (tests/fixtures/dog-cut60000.rows, made by make-dog-cut.py beside it)
 *   3. resize and letterbox: values by hand and against a plain reference
 *      loop written from darknet's definition; transforms map the corners
 *   4. resize and letterbox of dog.jpg against libdarknet's output
 *      (tests/fixtures/letterbox-dog.fix, made by tests/darknet/)
 *   5. img_fit_rgb (a video frame's bytes into the input): img_from_rgb then
 *      img_letterbox / img_resize bit for bit, rows on one thread and shared
 *      among several, inside a parallel region too
 *   6. img_resize_window: any window is the whole resize's pixels there,
 *      bit for bit (up and down, the last row and column, one-row sources);
 *      a window outside the resize is refused */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

#include "yolo/base/buf.h"
#include "yolo/image/image.h"

#include "check.h"
#include "testutil.h"

#define IMAGES "tests/data/images"
#define FIXTURE "tests/fixtures/letterbox-dog.fix"
#define CUT_FIXTURE "tests/fixtures/dog-cut60000.rows"

/* ---- 1. the images of tests/data ---- */

static void test_data_images(void)
{
    static const struct { const char *name; int w, h; } want[] = {
        {"dog.jpg", 768, 576},           {"synth-375x500.jpg", 375, 500},
        {"synth-500x500.jpg", 500, 500}, {"synth-640x424.jpg", 640, 424},
        {"synth-773x512.jpg", 773, 512},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", IMAGES, want[i].name);
        img im;
        yerr err, warn;
        int hw = 0, hh = 0;
        int rc = img_load(path, &im, &warn, &err);
        CHECK(rc == 0 && warn.code == 0 && im.w == want[i].w && im.h == want[i].h && im.c == 3,
              "%s decodes to %d x %d x 3, without a warning", want[i].name, want[i].w,
              want[i].h);
        CHECK(img_read_size(path, &hw, &hh, &err) == 0 && hw == im.w && hh == im.h,
              "%s: the header reader agrees", want[i].name);
        float lo = 1, hi = 0;
        for (size_t k = 0; rc == 0 && k < (size_t)im.w * im.h * 3; k++)
            lo = fminf(lo, im.data[k]), hi = fmaxf(hi, im.data[k]);
        CHECK(lo >= 0 && hi <= 1 && hi > lo, "%s: values in [0, 1]", want[i].name);
        img_free(&im);
    }
}

/* ---- 2. generated JPEGs ---- */

/* A scratch directory for the files made here. */
static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void write_file(const char *name, const unsigned char *p, size_t n)
{
    FILE *f = fopen(tmp_path(name), "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(name);
        exit(1);
    }
}

/* A test pattern, pixel format pf (RGB, GRAY or CMYK), w x h: [h, w, ps]. */
static unsigned char *pattern(int w, int h, int pf)
{
    int ps = tjPixelSize[pf];
    unsigned char *p = malloc((size_t)w * h * ps);
    if (!p)
        exit(1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < ps; k++)
                p[((size_t)y * w + x) * ps + k] =
                    (unsigned char)((x * 255 / (w > 1 ? w - 1 : 1) + y * 37 + k * 80) % 256);
    return p;
}

/* Compresses px with turbojpeg into a malloc'd JPEG; *n its size. */
static unsigned char *compress(const unsigned char *px, int w, int h, int pf, int sub, int flags,
                               unsigned long *n)
{
    tjhandle tj = tjInitCompress();
    unsigned char *jpg = NULL;
    *n = 0;
    if (!tj || tjCompress2(tj, px, w, 0, h, pf, &jpg, n, sub, 100, flags) != 0) {
        fprintf(stderr, "tjCompress2: %s\n", tjGetErrorStr2(tj));
        exit(1);
    }
    tjDestroy(tj);
    return jpg;
}

/* Writes a JPEG of the test pattern as name; returns the pattern. */
static unsigned char *make_jpeg(const char *name, int w, int h, int pf, int sub, int flags)
{
    unsigned char *px = pattern(w, h, pf);
    unsigned long n;
    unsigned char *jpg = compress(px, w, h, pf, sub, flags, &n);
    write_file(name, jpg, n);
    tjFree(jpg);
    return px;
}

/* max |decoded - pattern / 255| over RGB (gray: the one channel, all planes) */
static double pattern_error(const img *im, const unsigned char *px, int ps)
{
    double m = 0;
    size_t n = (size_t)im->w * im->h;
    for (int ch = 0; ch < 3; ch++)
        for (size_t i = 0; i < n; i++)
            m = fmax(m, fabs(im->data[ch * n + i] - px[i * ps + (ps == 1 ? 0 : ch)] / 255.0));
    return m;
}

/* An EXIF block saying "rotate 90" (orientation 6) after a JPEG's SOI:
 * darknet's OpenCV decode would rotate; we keep the stored orientation. */
static void test_exif(void)
{
    static const unsigned char app1[] = {
        0xff, 0xe1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,          /* APP1, length 34 */
        'I', 'I', 42, 0, 8, 0, 0, 0,                           /* TIFF, IFD at 8 */
        1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,         /* Orientation = 6 */
        0, 0, 0, 0};                                           /* no next IFD */
    unsigned char *px = pattern(20, 10, TJPF_RGB);
    unsigned long n;
    unsigned char *jpg = compress(px, 20, 10, TJPF_RGB, TJSAMP_444, 0, &n);
    unsigned char *ex = malloc(n + sizeof app1);
    if (!ex)
        exit(1);
    memcpy(ex, jpg, 2);
    memcpy(ex + 2, app1, sizeof app1);
    memcpy(ex + 2 + sizeof app1, jpg + 2, n - 2);
    write_file("exif6.jpg", ex, n + sizeof app1);
    img im;
    yerr err;
    int rc = img_load(tmp_path("exif6.jpg"), &im, NULL, &err);
    CHECK(rc == 0 && im.w == 20 && im.h == 10,
          "EXIF orientation 6 is ignored: 20 x 10 stays 20 x 10 (OpenCV would rotate)");
    if (rc == 0)
        img_free(&im);
    free(ex);
    free(px);
    tjFree(jpg);
}

static void test_kinds(void)
{
    img im, base;
    yerr err;
    unsigned char *px = make_jpeg("rgb.jpg", 37, 21, TJPF_RGB, TJSAMP_444, 0);
    CHECK(img_load(tmp_path("rgb.jpg"), &base, NULL, &err) == 0 && base.w == 37 && base.h == 21 &&
              base.c == 3 && pattern_error(&base, px, 3) < 6 / 255.0,
          "RGB 4:4:4 at quality 100 decodes close to its pixels (max err %.4f)",
          base.data ? pattern_error(&base, px, 3) : -1);
    free(px);

    px = make_jpeg("prog.jpg", 37, 21, TJPF_RGB, TJSAMP_444, TJFLAG_PROGRESSIVE);
    int rc = img_load(tmp_path("prog.jpg"), &im, NULL, &err);
    CHECK(rc == 0 && im.w == 37 && im.h == 21 &&
              !memcmp(im.data, base.data, sizeof(float) * 37 * 21 * 3),
          "progressive decodes to exactly the baseline's pixels");
    img_free(&im);
    free(px);
    img_free(&base);

    px = make_jpeg("gray.jpg", 19, 11, TJPF_GRAY, TJSAMP_GRAY, 0);
    rc = img_load(tmp_path("gray.jpg"), &im, NULL, &err);
    size_t n = 19 * 11;
    CHECK(rc == 0 && im.c == 3 && !memcmp(im.data, im.data + n, n * sizeof(float)) &&
              !memcmp(im.data, im.data + 2 * n, n * sizeof(float)) &&
              pattern_error(&im, px, 1) < 3 / 255.0,
          "grayscale becomes three identical planes, close to its pixels");
    img_free(&im);
    free(px);

    /* Adobe-inverted CMYK (255 = no ink): pure red is C=0 M=Y=1 K=0 */
    unsigned char red[4 * 16 * 8];
    for (int i = 0; i < 16 * 8; i++)
        memcpy(red + 4 * i, (unsigned char[]){255, 0, 0, 255}, 4);
    unsigned long jn;
    unsigned char *jpg = compress(red, 16, 8, TJPF_CMYK, TJSAMP_444, 0, &jn);
    write_file("cmyk.jpg", jpg, jn);
    tjFree(jpg);
    rc = img_load(tmp_path("cmyk.jpg"), &im, NULL, &err);
    CHECK(rc == 0 && im.w == 16 && im.h == 8 && im.data[0] > 0.95f &&
              im.data[16 * 8] < 0.05f && im.data[2 * 16 * 8] < 0.05f,
          "CMYK is converted to RGB (red stays red: %.3f %.3f %.3f)",
          rc ? -1 : im.data[0], rc ? -1 : im.data[128], rc ? -1 : im.data[256]);
    img_free(&im);
    /* YCCK with subsampled chroma: decodes (darknet's decode agreed exactly,
     * checked by hand with the harness) */
    px = make_jpeg("cmyk-420.jpg", 33, 17, TJPF_CMYK, TJSAMP_420, 0);
    rc = img_load(tmp_path("cmyk-420.jpg"), &im, NULL, &err);
    CHECK(rc == 0 && im.w == 33 && im.h == 17 && im.c == 3, "YCCK 4:2:0 decodes");
    img_free(&im);
    free(px);
    px = make_jpeg("rgb-420.jpg", 33, 17, TJPF_RGB, TJSAMP_420, 0);
    rc = img_load(tmp_path("rgb-420.jpg"), &im, NULL, &err);
    CHECK(rc == 0 && im.w == 33 && im.h == 17 && im.c == 3,
          "RGB 4:2:0 of odd size decodes (to darknet's pixels exactly, by the harness)");
    img_free(&im);
    free(px);

    test_exif();

    unsigned char one[3] = {200, 100, 50};
    jpg = compress(one, 1, 1, TJPF_RGB, TJSAMP_444, 0, &jn);
    write_file("one.jpg", jpg, jn);
    tjFree(jpg);
    rc = img_load(tmp_path("one.jpg"), &im, NULL, &err);
    CHECK(rc == 0 && im.w == 1 && im.h == 1 && fabsf(im.data[0] - 200 / 255.f) < 3 / 255.f &&
              fabsf(im.data[2] - 50 / 255.f) < 3 / 255.f,
          "a 1 x 1 JPEG decodes");
    img_free(&im);
}

/* img_load fails with code, and the message names the file and says
 * why: strict (no warning allowed) and with a warning allowed alike. */
static void expect_error(const char *path, int code, const char *why, const char *what)
{
    for (int strict = 0; strict < 2; strict++) {
        img im = {0};
        yerr err = {0}, warn;
        int rc = img_load(path, &im, strict ? NULL : &warn, &err);
        CHECK(rc == -1 && err.code == code && strstr(err.msg, path) && strstr(err.msg, why) &&
                  !im.data,
              "%s: error %d%s (%s)", what, code, strict ? ", strict" : "", err.msg);
    }
}

/* Damaged data: refused strict, naming the file and libjpeg-turbo's
 * warning (why); decoded with a warning that says so otherwise. */
static void expect_damaged(const char *path, const char *why, const char *what)
{
    img im = {0};
    yerr err = {0}, warn = {0};
    int rc = img_load(path, &im, NULL, &err);
    CHECK(rc == -1 && err.code == YOLO_EINPUT && strstr(err.msg, path) &&
              strstr(err.msg, "corrupt JPEG") && strstr(err.msg, why) && !im.data,
          "%s, strict: refused (%s)", what, err.msg);
    rc = img_load(path, &im, &warn, &err);
    CHECK(rc == 0 && im.data && warn.code == YOLO_EINPUT && strstr(warn.msg, path) &&
              strstr(warn.msg, "truncated or corrupt JPEG") && strstr(warn.msg, why),
          "%s: decoded, with the warning (%s)", what, rc ? err.msg : warn.msg);
    if (rc == 0)
        img_free(&im);
}

/* Where the first SOS segment's data begins in a JPEG (0: none). */
static size_t scan_data_at(const unsigned char *jpg, size_t n)
{
    for (size_t i = 2; i + 4 < n; i++)
        if (jpg[i] == 0xff && jpg[i + 1] == 0xda)
            return i + 2 + ((size_t)jpg[i + 2] << 8 | jpg[i + 3]);
    return 0;
}

/* The offset of the first SOF0 marker's height field in a baseline JPEG. */
static size_t sof_size_at(const unsigned char *jpg, size_t n)
{
    for (size_t i = 2; i + 8 < n; i++)
        if (jpg[i] == 0xff && jpg[i + 1] == 0xc0)
            return i + 5;
    return 0;
}

static void test_errors(void)
{
    unsigned char *px = pattern(64, 48, TJPF_RGB);
    unsigned long n;
    unsigned char *jpg = compress(px, 64, 48, TJPF_RGB, TJSAMP_420, 0, &n);
    free(px);

    write_file("truncated.jpg", jpg, n / 2);
    expect_damaged(tmp_path("truncated.jpg"), "Premature end of JPEG file", "a file cut in half");
    write_file("cut-header.jpg", jpg, 100);
    expect_error(tmp_path("cut-header.jpg"), YOLO_EINPUT, "not a readable JPEG",
                 "a file cut inside its header");
    size_t data = scan_data_at(jpg, n);
    write_file("cut-sos.jpg", jpg, data);
    expect_error(tmp_path("cut-sos.jpg"), YOLO_EINPUT, "it ends before its image data",
                 "a file cut after its scan header");

    unsigned char *bad = malloc(n);
    if (!bad)
        exit(1);
    memcpy(bad, jpg, n);
    size_t at = sof_size_at(jpg, n);
    bad[at + 4] = 0; /* component count 0 */
    write_file("corrupt-header.jpg", bad, n);
    expect_error(tmp_path("corrupt-header.jpg"), YOLO_EINPUT, "JPEG", "corrupt frame header");

    memcpy(bad, jpg, n);
    memset(bad + n / 2, 0xff, 40); /* fill bytes where entropy data should be */
    write_file("corrupt-data.jpg", bad, n);
    /* libjpeg-turbo warns (premature end of data segment), then stops on
     * the byte after the fill taken as a marker: an error, as OpenCV's */
    expect_error(tmp_path("corrupt-data.jpg"), YOLO_EINPUT, "corrupt JPEG",
                 "corrupt scan data that libjpeg-turbo stops on");

    memcpy(bad, jpg, n);
    bad[at + 2] = 0x9c, bad[at + 3] = 0x40; /* width 40000 */
    write_file("wide.jpg", bad, n);
    expect_error(tmp_path("wide.jpg"), YOLO_EINPUT, "too large", "40000 pixels wide");
    bad[at + 0] = 0x75, bad[at + 1] = 0x30, bad[at + 2] = 0x75, bad[at + 3] = 0x30;
    write_file("big.jpg", bad, n); /* 30000 x 30000: each side allowed, the area not */
    expect_error(tmp_path("big.jpg"), YOLO_EINPUT, "too large", "900 Mpixel");
    /* 20000 x 20000 (400 Mpixel, within the bounds) in a file of a few
     * hundred bytes: refused before anything is allocated (the decoder
     * would have taken 1.2 GB, then found the data missing) */
    bad[at + 0] = 0x4e, bad[at + 1] = 0x20, bad[at + 2] = 0x4e, bad[at + 3] = 0x20;
    write_file("claims.jpg", bad, n);
    expect_error(tmp_path("claims.jpg"), YOLO_EINPUT, "more than a JPEG of",
                 "20000 x 20000 claimed by a small file");
    int cw = 0, ch = 0;
    yerr cerr = {0};
    CHECK(img_read_size(tmp_path("claims.jpg"), &cw, &ch, &cerr) == -1 &&
              cerr.code == YOLO_EINPUT && strstr(cerr.msg, "more than a JPEG of"),
          "the header reader refuses it too (%s)", cerr.msg);
    free(bad);
    tjFree(jpg);

    write_file("text.jpg", (const unsigned char *)"hello\n", 6);
    expect_error(tmp_path("text.jpg"), YOLO_EINPUT, "not an image (JPEG, PNG or BMP",
                 "a text file");
    write_file("empty.jpg", (const unsigned char *)"", 0);
    expect_error(tmp_path("empty.jpg"), YOLO_EINPUT, "empty file", "an empty file");
    expect_error(tmp_path("missing.jpg"), YOLO_EIO, "No such file", "a missing file");
}

/* ---- 2b. dog.jpg cut short ---- */

/* The whole of path, malloc'd; *n its size. */
static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *p = malloc(1 << 20);
    *n = f && p ? fread(p, 1, 1 << 20, f) : 0;
    if (f)
        fclose(f);
    if (!*n) {
        fprintf(stderr, "%s: cannot read\n", path);
        exit(1);
    }
    return p;
}

/* Row y of im, planes [3, h, w], back as the RGB bytes it decoded from. */
static void row_bytes(const img *im, int y, unsigned char *row)
{
    size_t n = (size_t)im->w * im->h;
    for (int x = 0; x < im->w; x++)
        for (int ch = 0; ch < 3; ch++)
            row[3 * x + ch] = (unsigned char)lrintf(im->data[ch * n + (size_t)y * im->w + x] * 255);
}

/* Rows of a and b in [y0, y1) that differ. */
static int rows_differing(const img *a, const img *b, int y0, int y1)
{
    unsigned char ra[3 * 1024], rb[3 * 1024];
    int bad = 0;
    for (int y = y0; y < y1; y++) {
        row_bytes(a, y, ra);
        row_bytes(b, y, rb);
        bad += memcmp(ra, rb, (size_t)a->w * 3) != 0;
    }
    return bad;
}

/* Rows of im from y0 on that are not all grey 128; rows whose bytes' hash
 * (FNV-1a, ybuf_fnv1a) is not the fixture's (PIL's decode). */
static void check_cut_rows(const img *im, int grey, FILE *fx)
{
    unsigned char row[3 * 1024];
    int notgrey = 0, bad = 0, rows = 0, y;
    unsigned long long want;
    for (y = grey; y < im->h; y++) {
        row_bytes(im, y, row);
        for (int i = 0; i < 3 * im->w; i++)
            notgrey += row[i] != 128;
    }
    while (fscanf(fx, "%d %llx", &y, &want) == 2 && y == rows && y < im->h) {
        row_bytes(im, y, row);
        bad += ybuf_fnv1a(row, (size_t)im->w * 3) != want;
        rows++;
    }
    CHECK(notgrey == 0, "the rows from %d on are grey 128 (%d values not)", grey, notgrey);
    CHECK(rows == im->h && bad == 0,
          "every row is PIL's (LOAD_TRUNCATED_IMAGES) exactly: %d of %d rows read, %d differ",
          rows, im->h, bad);
}

static void test_cut_dog(void)
{
    FILE *fx = fopen(CUT_FIXTURE, "r");
    char line[256] = "";
    int w = 0, h = 0, cut = 0, differs = 0, grey = 0;
    while (fx && fgets(line, sizeof line, fx) && line[0] == '#')
        ;
    CHECK(sscanf(line, "image %d %d cut %d differs-from %d grey-from %d", &w, &h, &cut, &differs,
                 &grey) == 5 && cut > 0 && w <= 1024,
          "%s: its header line (%s)", CUT_FIXTURE, fx ? "read" : "missing");
    size_t n;
    unsigned char *dog = read_all(IMAGES "/dog.jpg", &n);
    write_file("dog-cut.jpg", dog, (size_t)cut < n ? (size_t)cut : n);
    img full, im;
    yerr err, warn;
    char rows[64];
    snprintf(rows, sizeof rows, "(the last %d of %d)", h - grey, h);
    int rc = img_load(IMAGES "/dog.jpg", &full, NULL, &err);
    int rc2 = img_load(tmp_path("dog-cut.jpg"), &im, &warn, &err);
    CHECK(rc == 0 && rc2 == 0 && im.w == w && im.h == h && warn.code == YOLO_EINPUT &&
              strstr(warn.msg, tmp_path("dog-cut.jpg")) &&
              strstr(warn.msg, "Premature end of JPEG file") && strstr(warn.msg, rows),
          "dog.jpg cut to %d bytes: decoded, the warning names the file, the premature end and "
          "the grey rows %s (%s)", cut, rows, rc2 ? err.msg : warn.msg);
    if (rc == 0 && rc2 == 0 && fx && im.w == w && im.h == h) {
        CHECK(rows_differing(&im, &full, 0, differs) == 0,
              "rows 0 to %d (before the cut's MCU row, less one for the upsampling) are the "
              "whole file's exactly", differs - 1);
        check_cut_rows(&im, grey, fx);
    }
    if (rc == 0)
        img_free(&full);
    if (rc2 == 0)
        img_free(&im);
    memset(dog + n / 2, 0xff, 40); /* fill bytes where entropy data should be */
    write_file("dog-fill.jpg", dog, n);
    expect_damaged(tmp_path("dog-fill.jpg"), "Corrupt JPEG data: premature end of data segment",
                   "dog.jpg with 40 fill bytes in its data");
    free(dog);
    if (fx)
        fclose(fx);
}

/* ---- 3. resize and letterbox ---- */

/* darknet's resize written out plainly, one output value at a time. */
static float ref_at(const img *s, int w, int h, int k, int x, int y)
{
    float ws = (float)(s->w - 1) / (w - 1 ? w - 1 : 1), hs = (float)(s->h - 1) / (h - 1 ? h - 1 : 1);
    float sy = y * hs;
    int iy = (int)sy;
    float dy = sy - iy;
    float part[2];
    for (int j = 0; j < 2; j++) {
        int r = iy + j < s->h ? iy + j : iy;
        const float *row = s->data + ((size_t)k * s->h + r) * s->w;
        float sx = x * ws;
        int ix = (int)sx;
        float dx = sx - ix;
        part[j] = x == w - 1 || s->w == 1 ? row[s->w - 1] : (1 - dx) * row[ix] + dx * row[ix + 1];
    }
    float v = (1 - dy) * part[0];
    return y == h - 1 || s->h == 1 ? v : v + dy * part[1];
}

static img random_img(int w, int h, int c)
{
    img im;
    yerr err;
    if (img_alloc(&im, w, h, c, &err) != 0)
        exit(1);
    for (size_t i = 0; i < (size_t)w * h * c; i++)
        im.data[i] = (float)(xrand() % 256 / 255.);
    return im;
}

static int same_as_ref(const img *s, const img *d)
{
    for (int k = 0; k < d->c; k++)
        for (int y = 0; y < d->h; y++)
            for (int x = 0; x < d->w; x++)
                if (d->data[((size_t)k * d->h + y) * d->w + x] != ref_at(s, d->w, d->h, k, x, y))
                    return 0;
    return 1;
}

static void test_resize(void)
{
    yerr err;
    img s, d;
    if (img_alloc(&s, 2, 2, 1, &err) != 0)
        exit(1);
    memcpy(s.data, (float[]){0, 1, 0.5f, 0.25f}, sizeof(float) * 4);
    CHECK(img_resize(&s, 3, 3, &d, &err) == 0 && d.w == 3 && d.h == 3 && d.c == 1 &&
              !memcmp(d.data, (float[]){0, 0.5f, 1, 0.25f, 0.4375f, 0.625f, 0.5f, 0.375f, 0.25f},
                      sizeof(float) * 9),
          "2x2 to 3x3: the midpoints worked out by hand");
    img_free(&d);
    CHECK(img_resize(&s, 1, 1, &d, &err) == 0 && d.data[0] == 1,
          "to 1x1: the last column, row 0 (darknet: x takes the last column)");
    img_free(&d);
    img_free(&s);

    static const int sizes[][4] = {{7, 5, 13, 11}, {13, 11, 7, 5}, {1, 6, 4, 9}, {6, 1, 9, 4},
                                   {5, 7, 5, 7},   {9, 9, 1, 4},   {9, 9, 4, 1}, {768, 576, 416, 312},
                                   {3, 100, 3, 37}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        s = random_img(sizes[i][0], sizes[i][1], 3);
        int ok = img_resize(&s, sizes[i][2], sizes[i][3], &d, &err) == 0;
        CHECK(ok && same_as_ref(&s, &d), "%dx%d to %dx%d: equal to the reference loop",
              sizes[i][0], sizes[i][1], sizes[i][2], sizes[i][3]);
        img_free(&d);
        img_free(&s);
    }

    img_transform t = img_resize_transform(500, 375, 416, 416);
    CHECK(t.net_w == 416 && t.net_h == 416 && t.dx == 0 && t.dy == 0 &&
              fabs(t.sx * 500 + t.dx - 416) < 1e-9 && fabs(t.sy * 375 + t.dy - 416) < 1e-9,
          "resize transform: the far corner (500, 375) maps to (416, 416)");
}

/* Rows [y0, y1) of d all 0.5 in every channel? */
static int grey_rows(const img *d, int y0, int y1)
{
    for (int k = 0; k < d->c; k++)
        for (int y = y0; y < y1; y++)
            for (int x = 0; x < d->w; x++)
                if (d->data[((size_t)k * d->h + y) * d->w + x] != 0.5f)
                    return 0;
    return 1;
}

/* d's window at (ox, oy) equals r in full? */
static int window_is(const img *d, const img *r, int ox, int oy)
{
    for (int k = 0; k < d->c; k++)
        for (int y = 0; y < r->h; y++)
            if (memcmp(d->data + ((size_t)k * d->h + oy + y) * d->w + ox,
                       r->data + ((size_t)k * r->h + y) * r->w, sizeof(float) * r->w))
                return 0;
    return 1;
}

static void test_letterbox(void)
{
    yerr err;
    img s = random_img(4, 2, 3), d, r;
    img_transform t;
    /* 6/4 < 6/2: the width fills, new height 2*6/4 = 3, offset (6-3)/2 = 1 */
    int ok = img_letterbox(&s, 6, 6, &d, &t, &err) == 0 && img_resize(&s, 6, 3, &r, &err) == 0;
    CHECK(ok && d.w == 6 && d.h == 6 && grey_rows(&d, 0, 1) && grey_rows(&d, 4, 6) &&
              window_is(&d, &r, 0, 1),
          "4x2 in 6x6: 0.5 above and below, the 6x3 resize at (0, 1)");
    CHECK(t.net_w == 6 && t.net_h == 6 && t.sx == 1.5 && t.sy == 1.5 && t.dx == 0 && t.dy == 1,
          "4x2 in 6x6: sx = sy = 1.5, dx = 0, dy = 1");
    CHECK(t.sx * 0 + t.dx == 0 && t.sy * 0 + t.dy == 1 && t.sx * 4 + t.dx == 6 &&
              t.sy * 2 + t.dy == 4,
          "4x2 in 6x6: corners (0,0) and (4,2) map to (0,1) and (6,4), the pasted window");
    img_free(&d), img_free(&r), img_free(&s);

    /* 5/2 >= 5/4: the height fills, new width 2*5/4 = 2, offset (5-2)/2 = 1 */
    s = random_img(2, 4, 3);
    ok = img_letterbox(&s, 5, 5, &d, &t, &err) == 0 && img_resize(&s, 2, 5, &r, &err) == 0;
    int sides = 1;
    for (int k = 0; k < 3; k++)
        for (int y = 0; y < 5; y++)
            for (int x = 0; x < 5; x++)
                if (x == 0 || x >= 3)
                    sides &= d.data[(k * 5 + y) * 5 + x] == 0.5f;
    CHECK(ok && sides && window_is(&d, &r, 1, 0), "2x4 in 5x5: the 2x5 resize at (1, 0)");
    CHECK(t.sx == 1.0 && t.sy == 1.25 && t.dx == 1 && t.dy == 0,
          "2x4 in 5x5: sx = 2/2, sy = 5/4 (the sizes used), dx = 1, dy = 0");
    CHECK(t.sx * 2 + t.dx == 3 && t.sy * 4 + t.dy == 5,
          "2x4 in 5x5: corner (2,4) maps to (3,5), the window's far corner");
    img_free(&d), img_free(&r), img_free(&s);

    s = random_img(500, 375, 1);
    ok = img_letterbox(&s, 416, 416, &d, &t, &err) == 0;
    CHECK(ok && t.dx == 0 && t.dy == 52 && fabs(t.sx - 0.832) < 1e-12 && t.sy == 312 / 375.0,
          "500x375 in 416x416: records.md's example, s = 0.832, dy = 52 (sy from 312 rows)");
    img_free(&d), img_free(&s);
}

/* ---- 5. a frame's bytes straight into the input ---- */

/* img_fit_rgb of w x h random bytes into nw x nh against img_from_rgb and
 * img_letterbox / img_resize: 1 when every value and the transform match. */
static int fit_rgb_matches(int w, int h, int nw, int nh, int letterbox, unsigned seed)
{
    size_t n = (size_t)w * h * 3;
    unsigned char *rgb = malloc(n);
    if (!rgb)
        return 0;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        rgb[i] = (unsigned char)(seed >> 16);
    }
    yerr err;
    img im, want, got;
    img_transform tw, tg;
    int ok = img_from_rgb(rgb, w, h, &im, &err) == 0;
    if (ok && letterbox)
        ok = img_letterbox(&im, nw, nh, &want, &tw, &err) == 0;
    else if (ok) {
        ok = img_resize(&im, nw, nh, &want, &err) == 0;
        tw = img_resize_transform(w, h, nw, nh);
    }
    if (ok) {
        ok = img_fit_rgb(rgb, w, h, nw, nh, letterbox, &got, &tg, &err) == 0;
        ok = ok && got.w == nw && got.h == nh && got.c == 3 &&
             memcmp(got.data, want.data, (size_t)nw * nh * 3 * sizeof *got.data) == 0 &&
             memcmp(&tg, &tw, sizeof tg) == 0;
        img_free(&got);
        img_free(&want);
    }
    img_free(&im);
    free(rgb);
    return ok;
}

static void test_fit_rgb(void)
{
    CHECK(fit_rgb_matches(640, 480, 416, 416, 1, 1),
          "640x480 frame letterboxed into 416x416 (rows shared): as img_letterbox, bit for bit");
    CHECK(fit_rgb_matches(640, 480, 320, 320, 0, 2),
          "640x480 frame stretched to 320x320: as img_resize, bit for bit");
    CHECK(fit_rgb_matches(481, 643, 608, 416, 1, 3), "481x643 frame in 608x416: bit for bit");
    CHECK(fit_rgb_matches(7, 5, 6, 6, 1, 4) && fit_rgb_matches(1, 1, 3, 2, 0, 5),
          "7x5 in 6x6 and 1x1 stretched to 3x2 (one thread): bit for bit");
    int ok = 1;
#pragma omp parallel for reduction(&& : ok)
    for (int i = 0; i < 2; i++)
        ok = ok && fit_rgb_matches(640, 360, 416, 416, 1, 6 + (unsigned)i);
    CHECK(ok, "inside a parallel region (one thread a frame): bit for bit");
    yerr err;
    img d;
    unsigned char px[3 * 100] = {0};
    CHECK(img_fit_rgb(px, 100, 1, 4, 4, 1, &d, NULL, &err) < 0 && err.code == YOLO_EINPUT &&
              strstr(err.msg, "is empty") && d.data == NULL,
          "100x1 letterboxed into 4x4 is empty: an error (%s), nothing made", err.msg);
}

/* ---- 4. against libdarknet ---- */

/* One fixture block ("letterbox W H maxdiff D" + samples) against ours. */
static void check_block(FILE *f, const char *kind, int w, int h, double dnmax, const img *im)
{
    img d;
    yerr err;
    int rc = !strcmp(kind, "letterbox") ? img_letterbox(im, w, h, &d, NULL, &err)
                                        : img_resize(im, w, h, &d, &err);
    double worst = 0;
    int got = 0;
    size_t i, n = (size_t)w * h * 3;
    double v;
    while (got < 64 && fscanf(f, "%zu %lf", &i, &v) == 2 && i < n) {
        got++;
        if (rc == 0)
            worst = fmax(worst, fabs(d.data[i] - (float)v)); /* %.9g: exact as a float */
    }
    CHECK(rc == 0 && got == 64 && worst <= 1e-6 && dnmax <= 1e-6,
          "dog.jpg %s %dx%d: 64 samples of darknet's output, max diff %g (harness, in full: %g)",
          kind, w, h, worst, dnmax);
    if (rc == 0)
        img_free(&d);
}

static void test_darknet_fixture(void)
{
    FILE *f = fopen(FIXTURE, "r");
    img im;
    yerr err;
    CHECK(f != NULL, "%s exists", FIXTURE);
    int rc = img_load(IMAGES "/dog.jpg", &im, NULL, &err);
    CHECK(rc == 0, "%s/dog.jpg decodes (%s)", IMAGES, rc ? err.msg : "ok");
    if (!f || rc != 0) {
        if (f)
            fclose(f);
        if (rc == 0)
            img_free(&im);
        return;
    }
    char line[256], kind[32];
    int w, h, blocks = 0;
    double dd, dnmax;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "image %d %d decode-maxdiff %lf", &w, &h, &dd) == 3)
            CHECK(w == im.w && h == im.h && dd == 0,
                  "dog.jpg: darknet's own decode (load_image_color) equals ours exactly");
        else if (sscanf(line, "%31s %d %d maxdiff %lf", kind, &w, &h, &dnmax) == 4) {
            check_block(f, kind, w, h, dnmax, &im);
            blocks++;
        }
    }
    CHECK(blocks == 6, "the fixture has 6 blocks (got %d)", blocks);
    fclose(f);
    img_free(&im);
}

/* Window win of src resized to w x h against the whole resize: 1 if equal. */
static int window_same(const img *src, int w, int h, const int win[4])
{
    img full = {0}, part = {0};
    yerr err;
    int same = img_resize(src, w, h, &full, &err) == 0 &&
               img_resize_window(src, w, h, win, &part, &err) == 0 &&
               part.w == win[2] - win[0] && part.h == win[3] - win[1];
    for (int k = 0; same && k < src->c; k++)
        for (int y = win[1]; same && y < win[3]; y++)
            same = memcmp(part.data + ((size_t)k * part.h + y - win[1]) * part.w,
                          full.data + ((size_t)k * h + y) * w + win[0],
                          (size_t)part.w * sizeof *part.data) == 0;
    img_free(&full);
    img_free(&part);
    return same;
}

static void test_resize_window(void)
{
    img src = {0};
    yerr err;
    if (img_alloc(&src, 173, 91, 3, &err) < 0)
        return;
    for (size_t i = 0; i < (size_t)173 * 91 * 3; i++)
        src.data[i] = (float)((i * 2654435761u) % 1000) / 1000;
    const int sizes[4][2] = {{416, 312}, {96, 40}, {173, 91}, {57, 200}};
    int all = 1, n = 0;
    for (int s = 0; s < 4; s++) {
        int w = sizes[s][0], h = sizes[s][1];
        const int wins[5][4] = {{0, 0, w, h}, {0, 0, 1, 1}, {w - 1, h - 1, w, h},
                                {w / 3, h / 2, w - 2, h}, {1, 2, w / 2 + 1, h / 3 + 2}};
        for (int k = 0; k < 5; k++, n++)
            all &= window_same(&src, w, h, wins[k]);
    }
    CHECK(all, "%d windows of 4 resizes (up, down, the same size, mixed): the whole "
          "resize's pixels, bit for bit", n);
    img one = {0}, part = {0};
    if (img_alloc(&one, 50, 1, 3, &err) == 0) {
        for (size_t i = 0; i < 150; i++)
            one.data[i] = (float)i / 150;
        CHECK(window_same(&one, 30, 20, (const int[4]){5, 7, 25, 20}),
              "a one-row source: the same");
        img_free(&one);
    }
    CHECK(img_resize_window(&src, 40, 30, (const int[4]){0, 0, 41, 30}, &part, &err) < 0 &&
              part.data == NULL,
          "a window past the resize is refused");
    img_free(&src);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_image.XXXXXX");
    if (!mkdtemp(tmpdir))
        return perror("mkdtemp"), 1;
    test_data_images();
    test_kinds();
    test_errors();
    test_cut_dog();
    test_resize();
    test_letterbox();
    test_darknet_fixture();
    test_fit_rgb();
    test_resize_window();
    if (!getenv("TEST_IMAGE_KEEP")) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", tmpdir);
    } else
        printf("# kept %s\n", tmpdir);
    return check_done();
}
