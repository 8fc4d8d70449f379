/* Unit tests for the COCO reader (common/data/coco.c), below the stage:
 *   1. any chunking of the input gives the same records (yajl resumes
 *      tokens, strings and numbers across chunks); every cut is an error;
 *      mutated documents are records or bad input, never a crash
 *   2. numbers: the fast decimal path agrees with strtod bit for bit
 *   3. ids anywhere in int64, many of them, referred to in any order
 *   4. bounds, warnings (shown up to COCO_WARN_SHOWN, all counted), strict
 *   5. class numbering by ascending category id */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/data/coco.h"
#include "yolo/records/jsonrec.h"
#include "yolo/data/objects.h"

#include "check.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

typedef struct {
    int shown;
    char last[1024];
} warned;

static void on_warn(void *ctx, const char *msg)
{
    warned *w = ctx;
    w->shown++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

/* Parses text fed in chunks of `chunk` bytes (0: whole). NULL with err on
 * failure. */
static coco *parse(const char *text, size_t chunk, const coco_opts *o, yerr *err)
{
    coco *d = coco_new("<test>", o, err);
    size_t n = strlen(text);
    if (!chunk)
        chunk = n ? n : 1;
    for (size_t at = 0; d && at < n; at += chunk) {
        size_t k = n - at < chunk ? n - at : chunk;
        /* a fresh copy of exactly k bytes: the sanitizer catches reads past it */
        uint8_t *piece = dup_bytes(text + at, k);
        int rc = coco_feed(d, piece, k, err);
        free(piece);
        if (rc < 0) {
            coco_free(d);
            return NULL;
        }
    }
    if (d && coco_finish(d, err) < 0) {
        coco_free(d);
        return NULL;
    }
    return d;
}

/* Every record of d as JSON lines in out (records-to-json's text). */
static int dump(coco *d, ybuf *out)
{
    rec r;
    rec_init(&r);
    yerr err;
    int rc = 0;
    out->len = 0;
    for (size_t i = 0; rc == 0 && i < coco_count(d); i++) {
        int k = coco_record(d, i, &r, &err);
        if (k < 0 || (k == 1 && jrec_from_record(&r, out, 1, &err) < 0))
            rc = -1;
    }
    rec_free(&r);
    ybuf_putc(out, 0);
    return rc;
}

/* The objects of record i. */
static int objects_of(coco *d, size_t i, rec *r, objlist *l)
{
    yerr err;
    return coco_record(d, i, r, &err) == 1 && rec_get_objects(r, l, &err) == 1 ? 0 : -1;
}

static uint64_t bits(double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    return u;
}

/* ---- 1. chunking -------------------------------------------------------- */

static const char *const every_feature =
    "{\"info\": {\"x\": [1, {\"y\": null}]}, \"licenses\": [],\n"
    " \"annotations\": [\n"
    "  {\"segmentation\": {\"counts\": \"ab\\\"c\\\\d\", \"size\": [10, 20]}, \"area\": null,\n"
    "   \"iscrowd\": 1, \"image_id\": 4294967297, \"bbox\": [1.25, 2.5e0, 3, 4.125],\n"
    "   \"category_id\": 0, \"id\": 0, \"extra\": {\"deep\": [[[]]]}},\n"
    "  {\"segmentation\": [[1.5, 2.5, 3.5, 4.5, 5.5, 6.5]], \"area\": 12.000000000000002,\n"
    "   \"iscrowd\": null, \"image_id\": 0, \"bbox\": [0.1, 0.2, 0.30000000000000004, 1e-7],\n"
    "   \"category_id\": 7, \"id\": 18446744073}],\n"
    " \"images\": [{\"id\": 0, \"file_name\": \"dir/\\u00e9t\\u00e9.jpg\", \"width\": 20,\n"
    "   \"height\": 10, \"license\": null}, {\"id\": 4294967297, \"file_name\": \"b.png\",\n"
    "   \"width\": 640, \"height\": 480, \"coco_url\": \"x\"}, {\"id\": 3, \"file_name\": \"c\",\n"
    "   \"width\": 1, \"height\": 1}],\n"
    " \"categories\": [{\"id\": 7, \"name\": \"seven\"}, {\"id\": 0, \"name\": \"zero\",\n"
    "   \"supercategory\": \"n\"}], \"zz\": 1e300}\n";

static void test_chunking(void)
{
    coco_opts o = {.images_dir = "/data"};
    yerr err;
    coco *d = parse(every_feature, 0, &o, &err);
    CHECK(d != NULL, "the every-feature document parses whole");
    if (!d)
        return;
    ybuf want = {0}, got = {0};
    CHECK(dump(d, &want) == 0 && coco_count(d) == 3, "and gives 3 records");
    CHECK(strstr((char *)want.p, "\"image\":\"/data/dir/\xc3\xa9t\xc3\xa9.jpg\"") != NULL,
          "escapes in file_name are decoded, the folder kept");
    coco_free(d);
    static const size_t chunks[] = {1, 2, 3, 5, 7, 13, 64, 4096};
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        d = parse(every_feature, chunks[k], &o, &err);
        int same = d && dump(d, &got) == 0 && got.len == want.len &&
                   memcmp(got.p, want.p, got.len) == 0;
        CHECK(same, "fed in chunks of %zu bytes: the same records", chunks[k]);
        coco_free(d);
    }
    ybuf_free(&want);
    ybuf_free(&got);
}

/* Every proper prefix of the document is a truncated file: an error at that
 * byte offset, never a crash (the stage test cuts a file through pipes too,
 * at fewer offsets). */
static void test_cuts(void)
{
    size_t n = strlen(every_feature) - 1; /* the last byte is a newline */
    char *t = malloc(n + 1);
    if (!t) {
        CHECK(0, "memory for the cut test");
        return;
    }
    int bad = 0;
    coco_opts o = {0};
    for (size_t cut = 0; cut < n; cut++) {
        memcpy(t, every_feature, cut);
        t[cut] = 0;
        yerr err;
        char at[64];
        snprintf(at, sizeof at, "(byte offset %zu): ", cut);
        coco *d = parse(t, 0, &o, &err);
        if (d || err.code != YOLO_EINPUT || !strstr(err.msg, at) ||
            !(strstr(err.msg, "truncated: the input ends inside ") ||
              strstr(err.msg, "no JSON object"))) {
            if (bad++ < 3)
                printf("# cut at %zu: %s\n", cut, d ? "parsed" : err.msg);
        }
        coco_free(d);
    }
    CHECK(bad == 0, "the document cut at each of its %zu offsets: 'truncated' there (%d not)", n,
          bad);
    free(t);
}

/* Random bytes flipped, inserted, deleted: any outcome but a crash, an
 * error other than bad input, or records when the parse failed. */
static void test_mutations(void)
{
    size_t n = strlen(every_feature);
    char *t = malloc(n + 64);
    if (!t) {
        CHECK(0, "memory for the mutation test");
        return;
    }
    int bad = 0, parsed = 0;
    coco_opts o = {0};
    for (int run = 0; run < 3000; run++) {
        size_t len = n;
        memcpy(t, every_feature, n);
        for (int k = 1 + (int)(xrand() % 4); k > 0; k--) {
            size_t at = xrand() % len;
            uint64_t op = xrand() % 3;
            if (op == 0)
                t[at] = (char)(xrand() % 256);
            else if (op == 1 && len < n + 60) {
                memmove(t + at + 1, t + at, len - at);
                static const char syntax[] = "{}[],:\"0-.e\\\n";
                t[at] = syntax[xrand() % (sizeof syntax - 1)];
                len++;
            } else if (len > 1) {
                memmove(t + at, t + at + 1, len - at - 1);
                len--;
            }
        }
        t[len] = 0; /* a NUL put in by a flip just ends the text early */
        yerr err;
        coco *d = parse(t, 1 + xrand() % 50, &o, &err);
        ybuf out = {0};
        if (d)
            parsed++;
        if (d ? dump(d, &out) < 0 : err.code != YOLO_EINPUT || !strstr(err.msg, "<test>: "))
            bad++;
        ybuf_free(&out);
        coco_free(d);
    }
    CHECK(bad == 0, "3000 mutated documents, fed in random chunks: records or bad input, "
                    "nothing else (%d parsed, %d wrong)", parsed, bad);
    free(t);
}

/* ---- 2. numbers ---------------------------------------------------------- */

/* A random JSON number: sign, 0-17 integer digits, fraction, exponent. */
static void random_number(char *buf, size_t n, int allow_negative)
{
    size_t k = 0;
    if (allow_negative && xrand() % 3 == 0)
        buf[k++] = '-';
    int idig = (int)(xrand() % 10);
    if (xrand() % 8 == 0)
        idig = 12 + (int)(xrand() % 6);
    buf[k++] = (char)('0' + (idig ? 1 + xrand() % 9 : 0));
    for (int i = 1; i < idig; i++)
        buf[k++] = (char)('0' + xrand() % 10);
    int fdig = (int)(xrand() % 4 == 0 ? 0 : xrand() % 25);
    if (fdig) {
        buf[k++] = '.';
        for (int i = 0; i < fdig; i++)
            buf[k++] = (char)('0' + xrand() % 10);
    }
    if (xrand() % 10 == 0)
        k += (size_t)snprintf(buf + k, n - k, "e%d", (int)(xrand() % 40) - 20);
    buf[k] = 0;
}

static void test_numbers(void)
{
    enum { N = 3000 };
    ybuf j = {0};
    char (*xs)[64] = malloc(N * sizeof *xs), (*ws)[64] = malloc(N * sizeof *ws);
    if (!xs || !ws) {
        CHECK(0, "memory for the numbers test");
        free(xs);
        free(ws);
        return;
    }
    ybuf_puts(&j, "{\"images\":[{\"id\":1,\"file_name\":\"a\",\"width\":9,\"height\":9}],"
                  "\"categories\":[{\"id\":1,\"name\":\"c\"}],\"annotations\":[");
    for (int i = 0; i < N; i++) {
        random_number(xs[i], sizeof xs[i], 1);
        random_number(ws[i], sizeof ws[i], 0);
        char a[256];
        snprintf(a, sizeof a,
                 "%s{\"image_id\":1,\"category_id\":1,\"bbox\":[%s,0,%s,0],\"area\":%s}",
                 i ? "," : "", xs[i], ws[i], xs[i]);
        ybuf_puts(&j, a);
    }
    ybuf_puts(&j, "]}");
    ybuf_putc(&j, 0);
    coco_opts o = {0};
    yerr err;
    coco *d = parse((char *)j.p, 0, &o, &err);
    CHECK(d != NULL, "3000 random numbers parse");
    rec r;
    rec_init(&r);
    objlist l = {0};
    if (d && objects_of(d, 0, &r, &l) == 0 && l.n == N) {
        int bad = 0;
        for (int i = 0; i < N; i++) {
            double x = strtod(xs[i], NULL), w = strtod(ws[i], NULL);
            if (bits(l.v[i].bbox.x1) != bits(x) || bits(l.v[i].bbox.x2) != bits(x + w) ||
                bits(l.v[i].area) != bits(x)) {
                if (bad++ < 3)
                    printf("# %s + %s: got %.17g %.17g\n", xs[i], ws[i], l.v[i].bbox.x1,
                           l.v[i].bbox.x2);
            }
        }
        CHECK(bad == 0, "every number is what strtod reads, bit for bit (%d differ)", bad);
    } else {
        CHECK(0, "the 3000 objects come back");
    }
    objlist_free(&l);
    rec_free(&r);
    coco_free(d);
    ybuf_free(&j);
    free(xs);
    free(ws);
}

/* ---- 3. ids ------------------------------------------------------------------ */

static void test_ids(void)
{
    enum { N = 20000 };
    int64_t *ids = malloc(N * sizeof *ids);
    if (!ids) {
        CHECK(0, "memory for the ids test");
        return;
    }
    ybuf j = {0};
    char s[256];
    ybuf_puts(&j, "{\"categories\":[{\"id\":-5,\"name\":\"c\"}],\"annotations\":[");
    for (int i = 0; i < N; i++) {
        ids[i] = (int64_t)xrand();
        if (i < 4)
            ids[i] = (int64_t[]){INT64_MIN, INT64_MAX, 0, (1ll << 32) + 1}[i];
    }
    /* annotations first, in an order of their own: x of the box = image index */
    for (int k = 0; k < 2 * N; k++) {
        int i = (int)((uint64_t)k * 7919 % N);
        snprintf(s, sizeof s, "%s{\"image_id\":%lld,\"category_id\":-5,\"bbox\":[%d,0,1,1]}",
                 k ? "," : "", (long long)ids[i], i);
        ybuf_puts(&j, s);
    }
    ybuf_puts(&j, "],\"images\":[");
    for (int i = 0; i < N; i++) {
        snprintf(s, sizeof s, "%s{\"id\":%lld,\"file_name\":\"f\",\"width\":5,\"height\":5}",
                 i ? "," : "", (long long)ids[i]);
        ybuf_puts(&j, s);
    }
    ybuf_puts(&j, "]}");
    ybuf_putc(&j, 0);
    coco_opts o = {0};
    yerr err;
    coco *d = parse((char *)j.p, 0, &o, &err);
    CHECK(d && coco_count(d) == N, "20000 images with ids all over int64");
    int bad = 0;
    rec r;
    rec_init(&r);
    objlist l = {0};
    for (int i = 0; d && i < N; i++) {
        int64_t cid = 0;
        if (objects_of(d, (size_t)i, &r, &l) < 0 || l.n != 2 || l.v[0].bbox.x1 != i ||
            l.v[1].bbox.x1 != i || rec_get_i64(&r, "coco_id", &cid, &err) != 1 || cid != ids[i])
            bad++;
    }
    CHECK(d && bad == 0, "each image gets its own 2 annotations and its exact id (%d wrong)", bad);
    objlist_free(&l);
    rec_free(&r);
    coco_free(d);
    ybuf_free(&j);
    free(ids);
}

/* ---- 4. bounds, warnings, strict ---------------------------------------------- */

static void test_bounds(void)
{
    const char *four = "{\"images\":[{\"id\":1,\"file_name\":\"a\",\"width\":1,\"height\":1},"
                       "{\"id\":2,\"file_name\":\"a\",\"width\":1,\"height\":1},"
                       "{\"id\":3,\"file_name\":\"a\",\"width\":1,\"height\":1},"
                       "{\"id\":4,\"file_name\":\"a\",\"width\":1,\"height\":1}],"
                       "\"annotations\":[{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1]},"
                       "{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1]},"
                       "{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1]}],"
                       "\"categories\":[{\"id\":1,\"name\":\"x\"}]}";
    yerr err;
    coco_opts o = {.max_images = 3};
    coco *d = parse(four, 0, &o, &err);
    CHECK(!d && err.code == YOLO_EINPUT && strstr(err.msg, "images[3] (id 4): more than 3 images"),
          "more images than the bound: an error naming the entry (%s)", d ? "" : err.msg);
    coco_free(d);
    o = (coco_opts){.max_annotations = 2};
    d = parse(four, 0, &o, &err);
    CHECK(!d && err.code == YOLO_EINPUT && strstr(err.msg, "more than 2 annotations") &&
              strstr(err.msg, "byte offset"),
          "more annotations than the bound: an error with the byte offset (%s)", d ? "" : err.msg);
    coco_free(d);
    o = (coco_opts){.max_images = 4, .max_annotations = 3};
    d = parse(four, 0, &o, &err);
    CHECK(d && coco_count(d) == 4, "exactly at the bounds is fine");
    coco_free(d);
}

static void test_warnings(void)
{
    ybuf j = {0};
    ybuf_puts(&j, "{\"images\":[{\"id\":1,\"file_name\":\"a\",\"width\":1,\"height\":1}],"
                  "\"categories\":[{\"id\":1,\"name\":\"x\"}],\"annotations\":[");
    for (int i = 0; i < 15; i++) {
        char s[128];
        snprintf(s, sizeof s, "%s{\"id\":%d,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,-1,1]}",
                 i ? "," : "", i);
        ybuf_puts(&j, s);
    }
    ybuf_puts(&j, ",{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1]}]}");
    ybuf_putc(&j, 0);
    warned w = {0};
    coco_opts o = {.warn = on_warn, .warn_ctx = &w};
    yerr err;
    coco *d = parse((char *)j.p, 0, &o, &err);
    char sum[256] = "";
    CHECK(d && coco_summary(d, sum, sizeof sum) == 15, "15 problems counted");
    CHECK(w.shown == COCO_WARN_SHOWN, "%d of them shown", COCO_WARN_SHOWN);
    CHECK(strstr(w.last, "annotations[9] (id 9): bbox [0, 0, -1, 1] has a negative size: "
                         "skipped") &&
              strstr(w.last, "counted, not shown"),
          "the last one shown says the rest are counted (%s)", w.last);
    CHECK(strstr(sum, "15 problems: 0 images, 15 annotations and 0 categories skipped") != NULL,
          "the summary (%s)", sum);
    ybuf out = {0};
    CHECK(d && dump(d, &out) == 0 && strstr((char *)out.p, "\"objects\":[{") &&
              !strstr((char *)out.p, "},{"),
          "the good annotation is kept, the bad ones not");
    ybuf_free(&out);
    coco_free(d);
    o.strict = 1;
    d = parse((char *)j.p, 0, &o, &err);
    CHECK(!d && err.code == YOLO_EINPUT && strstr(err.msg, "annotations[0] (id 0): bbox") &&
              strstr(err.msg, "strict"),
          "strict: the first problem is an error (%s)", d ? "" : err.msg);
    coco_free(d);
    ybuf_free(&j);
}

/* ---- 5. classes -------------------------------------------------------------- */

static void test_classes(void)
{
    const char *t = "{\"categories\":[{\"id\":90,\"name\":\"z\"},{\"id\":0,\"name\":\"a\"},"
                    "{\"id\":5,\"name\":\"m\"}],\"images\":[{\"id\":1,\"file_name\":\"a\","
                    "\"width\":1,\"height\":1}],\"annotations\":["
                    "{\"image_id\":1,\"category_id\":90,\"bbox\":[0,0,1,1]},"
                    "{\"image_id\":1,\"category_id\":0,\"bbox\":[0,0,1,1]},"
                    "{\"image_id\":1,\"category_id\":5,\"bbox\":[0,0,1,1]}]}";
    coco_opts o = {0};
    yerr err;
    coco *d = parse(t, 0, &o, &err);
    rec r;
    rec_init(&r);
    objlist l = {0};
    int ok = d && objects_of(d, 0, &r, &l) == 0 && l.n == 3;
    CHECK(ok && l.v[0].cls == 2 && l.v[1].cls == 0 && l.v[2].cls == 1,
          "class = rank of the category id (90, 0, 5 -> 2, 0, 1)");
    CHECK(ok && l.v[0].name_len == 1 && l.v[0].name[0] == 'z', "names follow the categories");
    objlist_free(&l);
    rec_free(&r);
    coco_free(d);
}

int main(void)
{
    test_chunking();
    test_cuts();
    test_mutations();
    test_numbers();
    test_ids();
    test_bounds();
    test_warnings();
    test_classes();
    return check_done();
}
