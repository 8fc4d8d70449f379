/* Unit tests for decoding (common/post/rescale.c), each against numbers worked
 * out by hand:
 *   1. a v2 region head: one live cell of a 2x2 grid, softmax classes,
 *      letterbox transform
 *   2. a v3 yolo head: a masked anchor in network pixels, logistic
 *      multi-label classes, and the prediction index after another head
 *   3. a v1 detection head: darknet's tensor order, squared w and h, a
 *      stretch transform
 *   4. rescale_unmap with a mirror (negative sx)
 *   5. records: the `detections` round trip, pass-through, errors naming
 *      the record and key */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/rescale.h"

#include "check.h"
#include "testutil.h"

/* the raw values are float32: ln 3 and ln 2 carry ~1e-7 relative error */
#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)

static void pk_key(msgpack_packer *pk, const char *k)
{
    msgpack_pack_str_with_body(pk, k, strlen(k));
}

static void pk_int(msgpack_packer *pk, const char *k, long v)
{
    pk_key(pk, k);
    msgpack_pack_long(pk, v);
}

static void pk_f64(msgpack_packer *pk, const char *k, double v)
{
    pk_key(pk, k);
    msgpack_pack_double(pk, v);
}

/* {type, tensor f32 [d0(, d1, d2)], anchors, mask, classes, coords 4, num,
 * side, softmax, sqrt, net_w, net_h}: fields with a 0 / NULL are left out. */
typedef struct head_spec {
    const char *type;
    const float *x;
    int ndim;
    int64_t shape[3];
    const double *anchors;
    int nanchors;          /* numbers */
    const int *mask;
    int nmask;
    int classes, num, side, softmax, sqrt_wh, net_w, net_h;
} head_spec;

static void pack_head(msgpack_packer *pk, const head_spec *h)
{
    int n = 7 + (h->anchors != NULL) + (h->mask != NULL) + (h->side > 0) + 2;
    msgpack_pack_map(pk, (size_t)n);
    pk_key(pk, "type");
    msgpack_pack_str_with_body(pk, h->type, strlen(h->type));
    tensor_view t = {.dtype = TENSOR_F32, .data = (const uint8_t *)h->x};
    const char *why;
    tensor_set_shape(&t, h->ndim, h->shape, &why);
    pk_key(pk, "tensor");
    tensor_pack(pk, &t);
    if (h->anchors) {
        pk_key(pk, "anchors");
        msgpack_pack_array(pk, (size_t)h->nanchors);
        for (int k = 0; k < h->nanchors; k++)
            msgpack_pack_double(pk, h->anchors[k]);
    }
    if (h->mask) {
        pk_key(pk, "mask");
        msgpack_pack_array(pk, (size_t)h->nmask);
        for (int k = 0; k < h->nmask; k++)
            msgpack_pack_int(pk, h->mask[k]);
    }
    pk_int(pk, "classes", h->classes);
    pk_int(pk, "coords", 4);
    pk_int(pk, "num", h->num);
    if (h->side > 0)
        pk_int(pk, "side", h->side);
    pk_key(pk, "softmax");
    h->softmax ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    pk_key(pk, "sqrt");
    h->sqrt_wh ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
    pk_int(pk, "net_w", h->net_w);
    pk_int(pk, "net_h", h->net_h);
}

/* A record {id, transform, output: heads} read back as a reader would. */
typedef struct one_rec {
    pbuf pb;
    rec_reader *rd;
    rec r;
} one_rec;

static int make_record(one_rec *o, const double *xf, const head_spec *heads, int nheads)
{
    pb_init(&o->pb);
    msgpack_packer *pk = &o->pb.pk;
    msgpack_pack_map(pk, xf ? 3 : 2);
    pk_key(pk, "id");
    msgpack_pack_str_with_body(pk, "r", 1);
    if (xf) {
        pk_key(pk, "transform");
        msgpack_pack_map(pk, 6);
        pk_int(pk, "net_w", (long)xf[0]);
        pk_int(pk, "net_h", (long)xf[1]);
        pk_f64(pk, "sx", xf[2]);
        pk_f64(pk, "sy", xf[3]);
        pk_f64(pk, "dx", xf[4]);
        pk_f64(pk, "dy", xf[5]);
    }
    pk_key(pk, "output");
    msgpack_pack_array(pk, (size_t)nheads);
    for (int i = 0; i < nheads; i++)
        pack_head(pk, &heads[i]);
    yerr err;
    rec_init(&o->r);
    o->rd = rec_reader_new_mem(o->pb.sb.data, o->pb.sb.size, "<mem>", &err);
    return o->rd && rec_read(o->rd, &o->r, &err) == 1 ? 0 : -1;
}

static void free_record(one_rec *o)
{
    rec_free(&o->r);
    rec_reader_free(o->rd);
    pb_free(&o->pb);
}

/* Decodes o's record; its detections read back into l. 1, or -1 (err). */
static int run(one_rec *o, double thresh, rescale_work *w, detlist *l, yerr *err)
{
    rescale_cfg cfg = {.thresh = thresh};
    int rc = rescale_record(&o->r, &cfg, w, err);
    if (rc <= 0)
        return rc;
    return rec_get_detections(&o->r, l, err);
}

/* v2: 2x2 grid, one anchor (1.5, 0.5 cells), 2 classes: [125 -> 1*(4+1+2)=7, 2, 2].
 * Live cell (col 1, row 0): tx = ty = 0, tw = ln 2, th = 0, to = 0,
 * classes (ln 3, 0) through a softmax: (3/4, 1/4). Others: to = -30.
 * Network 64x64; image 128x112 letterboxed: s = 0.5, dx = 0, dy = 4. */
static void test_region(void)
{
    float x[7 * 4];
    for (int i = 0; i < 4; i++)
        x[4 * 4 + i] = -30; /* objectness, all cells */
    for (int k = 0; k < 7; k++)
        if (k != 4)
            for (int i = 0; i < 4; i++)
                x[k * 4 + i] = 0;
    int cell = 0 * 2 + 1;
    x[2 * 4 + cell] = (float)log(2.0);
    x[4 * 4 + cell] = 0;
    x[5 * 4 + cell] = (float)log(3.0);
    double anchors[2] = {1.5, 0.5}, xf[6] = {64, 64, 0.5, 0.5, 0, 4};
    head_spec h = {.type = "region", .x = x, .ndim = 3, .shape = {7, 2, 2}, .anchors = anchors,
                   .nanchors = 2, .classes = 2, .num = 1, .softmax = 1, .net_w = 64, .net_h = 64};
    one_rec o;
    rescale_work w = {0};
    detlist l = {0};
    yerr err;
    CHECK(make_record(&o, xf, &h, 1) == 0, "region: record made");
    CHECK(run(&o, 0.1, &w, &l, &err) == 1 && l.n == 2, "region: two classes over 0.1 (%zu)", l.n);
    /* centre (1.5/2*64, 0.5/2*64) = (48, 16); size (2*1.5/2*64, 0.5/2*64) = (96, 16);
     * network box [0, 8, 96, 24] -> image ((x - 0)/0.5, (y - 4)/0.5) = [0, 8, 192, 40] */
    const ydet *d = l.v;
    CHECK(l.n == 2 && d[0].cls == 0 && NEAR(d[0].score, 0.5 * 0.75) && NEAR(d[0].objectness, 0.5),
          "region: class 0 score = 1/2 x 3/4");
    CHECK(l.n == 2 && d[1].cls == 1 && NEAR(d[1].score, 0.5 * 0.25), "region: class 1 = 1/2 x 1/4");
    CHECK(l.n == 2 && NEAR(d[0].bbox.x1, 0) && NEAR(d[0].bbox.y1, 8) && NEAR(d[0].bbox.x2, 192) &&
              NEAR(d[0].bbox.y2, 40),
          "region: box [0, 8, 192, 40] (%g %g %g %g)", d[0].bbox.x1, d[0].bbox.y1, d[0].bbox.x2,
          d[0].bbox.y2);
    CHECK(l.n == 2 && d[0].pred == 1 && d[1].pred == 1, "region: prediction (a*H + y)*W + x = 1");
    CHECK(l.n == 2 && d[0].name_len == 1 && d[0].name[0] == '0',
          "region: 2 classes, no --names: name is the class number");
    free_record(&o);
    CHECK(make_record(&o, xf, &h, 1) == 0 && run(&o, 0.125, &w, &l, &err) == 1 && l.n == 1,
          "region: score must exceed thresh (0.125 is not > 0.125)");
    free_record(&o);
    h.softmax = 0; /* logistic classes: (0.75, 0.5) */
    CHECK(make_record(&o, xf, &h, 1) == 0 && run(&o, 0.1, &w, &l, &err) == 1 && l.n == 2 &&
              NEAR(l.v[0].score, 0.5 * 0.75) && NEAR(l.v[1].score, 0.5 * 0.5),
          "region without softmax: logistic classes");
    free_record(&o);
    detlist_free(&l);
    rescale_work_free(&w);
}

/* v3: two heads; the second is 2x2 with mask [2] of anchors (10,10, 20,20,
 * 30,40) px, 2 classes: [1*(4+1+2), 2, 2]. Live cell (col 0, row 1): tx =
 * ty = tw = 0, th = ln 2, to = ln 4 (0.8), classes (0, ln 3): (1/2, 3/4).
 * The first head (1x1, one anchor, all objectness -30) numbers predictions
 * 0; the second's start at 1. Identity transform, network 64x64. */
static void test_yolo(void)
{
    float a[7] = {0, 0, 0, 0, -30, 0, 0}, b[7 * 4] = {0};
    for (int i = 0; i < 4; i++)
        b[4 * 4 + i] = -30;
    int cell = 1 * 2 + 0;
    b[3 * 4 + cell] = (float)log(2.0);
    b[4 * 4 + cell] = (float)log(4.0);
    b[6 * 4 + cell] = (float)log(3.0);
    double anchors[6] = {10, 10, 20, 20, 30, 40}, xf[6] = {64, 64, 1, 1, 0, 0};
    int m0[1] = {0}, m1[1] = {2};
    head_spec h[2] = {
        {.type = "yolo", .x = a, .ndim = 3, .shape = {7, 1, 1}, .anchors = anchors, .nanchors = 6,
         .mask = m0, .nmask = 1, .classes = 2, .num = 3, .net_w = 64, .net_h = 64},
        {.type = "yolo", .x = b, .ndim = 3, .shape = {7, 2, 2}, .anchors = anchors, .nanchors = 6,
         .mask = m1, .nmask = 1, .classes = 2, .num = 3, .net_w = 64, .net_h = 64},
    };
    one_rec o;
    rescale_work w = {0};
    detlist l = {0};
    yerr err;
    CHECK(make_record(&o, xf, h, 2) == 0 && run(&o, 0.3, &w, &l, &err) == 1 && l.n == 2,
          "yolo: both classes of the live cell (multi-label)");
    /* centre (0.5/2*64, 1.5/2*64) = (16, 48), size (30, 2*40) -> [1, 8, 31, 88] */
    const ydet *d = l.v;
    CHECK(l.n == 2 && NEAR(d[0].score, 0.8 * 0.5) && NEAR(d[1].score, 0.8 * 0.75) &&
              NEAR(d[0].objectness, 0.8),
          "yolo: scores 0.8 x 1/2, 0.8 x 3/4");
    CHECK(l.n == 2 && NEAR(d[1].bbox.x1, 1) && NEAR(d[1].bbox.y1, 8) && NEAR(d[1].bbox.x2, 31) &&
              NEAR(d[1].bbox.y2, 88),
          "yolo: masked anchor (30, 40) px: box [1, 8, 31, 88]");
    CHECK(l.n == 2 && d[0].pred == 1 + 2 && d[1].pred == 3,
          "yolo: prediction index continues after the first head (1 + 2)");
    free_record(&o);
    detlist_free(&l);
    rescale_work_free(&w);
}

/* v1: side 2, num 2, 3 classes, sqrt: 4*(2*5 + 3) = 52 values. Cell 3 (col
 * 1, row 1): classes (0.1, 0.6, 0.3) at 9..11; box 1's confidence 0.5 at
 * 12 + 3*2 + 1 = 19; its box at 20 + (3*2 + 1)*4 = 48: (0.5, 0.25, 0.5,
 * 0.3). Network 100x100; a 50x50 image stretched: sx = sy = 2. */
static void test_detection(void)
{
    float x[52] = {0};
    x[9] = 0.1f, x[10] = 0.6f, x[11] = 0.3f;
    x[19] = 0.5f;
    x[48] = 0.5f, x[49] = 0.25f, x[50] = 0.5f, x[51] = 0.3f;
    double xf[6] = {100, 100, 2, 2, 0, 0};
    head_spec h = {.type = "detection", .x = x, .ndim = 1, .shape = {52}, .classes = 3, .num = 2,
                   .side = 2, .sqrt_wh = 1, .net_w = 100, .net_h = 100};
    one_rec o;
    rescale_work w = {0};
    detlist l = {0};
    yerr err;
    CHECK(make_record(&o, xf, &h, 1) == 0 && run(&o, 0.1, &w, &l, &err) == 1 && l.n == 2,
          "detection: classes 1 and 2 over 0.1 (0.5 x 0.1 is not)");
    /* centre ((0.5+1)/2*100, (0.25+1)/2*100) = (75, 62.5), size (0.25*100, 0.09*100);
     * image: centre (37.5, 31.25), size (12.5, 4.5) */
    const ydet *d = l.v;
    CHECK(l.n == 2 && d[0].cls == 1 && fabs(d[0].score - 0.3) < 1e-7 && d[1].cls == 2 &&
              fabs(d[1].score - 0.15) < 1e-7,
          "detection: scores 0.5 x 0.6, 0.5 x 0.3");
    CHECK(l.n == 2 && fabs(d[0].bbox.x1 - 31.25) < 1e-6 && fabs(d[0].bbox.x2 - 43.75) < 1e-6 &&
              fabs(d[0].bbox.y1 - 29) < 1e-6 && fabs(d[0].bbox.y2 - 33.5) < 1e-6,
          "detection: squared w, h: box [31.25, 29, 43.75, 33.5] (%g %g %g %g)", d[0].bbox.x1,
          d[0].bbox.y1, d[0].bbox.x2, d[0].bbox.y2);
    CHECK(l.n == 2 && d[0].pred == 7, "detection: prediction cell*num + n = 7");
    free_record(&o);
    h.sqrt_wh = 0;
    CHECK(make_record(&o, xf, &h, 1) == 0 && run(&o, 0.1, &w, &l, &err) == 1 && l.n == 2 &&
              fabs(l.v[0].bbox.x2 - l.v[0].bbox.x1 - 25) < 1e-6,
          "detection without sqrt: w as it is (0.5 x 100 / 2)");
    free_record(&o);
    detlist_free(&l);
    rescale_work_free(&w);
}

static void test_unmap(void)
{
    rescale_xf m = {.net_w = 100, .net_h = 100, .sx = -1, .sy = 0.5, .dx = 100, .dy = 10};
    box b = rescale_unmap(&m, 10, 30, 4, 8);
    /* x: (8 - 100)/-1 = 92, (12 - 100)/-1 = 88, swapped; y: (26 - 10)/0.5, (34 - 10)/0.5 */
    CHECK(NEAR(b.x1, 88) && NEAR(b.x2, 92) && NEAR(b.y1, 32) && NEAR(b.y2, 48),
          "unmap: a mirror swaps x1 and x2 (%g %g %g %g)", b.x1, b.y1, b.x2, b.y2);
}

/* rescale_record on a record made of one msgpack map. */
static int record_rc(const void *bytes, size_t n, yerr *err)
{
    rec_reader *rd = rec_reader_new_mem(bytes, n, "<mem>", err);
    rec r;
    rec_init(&r);
    rescale_cfg cfg = {.thresh = 0.5};
    rescale_work w = {0};
    int rc = rd && rec_read(rd, &r, err) == 1 ? rescale_record(&r, &cfg, &w, err) : -9;
    rec_free(&r);
    rec_reader_free(rd);
    rescale_work_free(&w);
    return rc;
}

static void test_records(void)
{
    yerr err;
    /* {"id": "e", "error": "x", "output": 7} and {"id": "n"}: untouched */
    const uint8_t with_error[] = {0x83, 0xa2, 'i', 'd', 0xa1, 'e', 0xa5, 'e', 'r', 'r', 'o', 'r',
                                  0xa1, 'x', 0xa6, 'o', 'u', 't', 'p', 'u', 't', 0x07};
    const uint8_t no_output[] = {0x81, 0xa2, 'i', 'd', 0xa1, 'n'};
    CHECK(record_rc(with_error, sizeof with_error, &err) == 0, "a record with error: passed");
    CHECK(record_rc(no_output, sizeof no_output, &err) == 0, "no output: passed");
    float x[7 * 4] = {0};
    double anchors[2] = {1, 1}, xf[6] = {64, 64, 1, 1, 0, 0};
    head_spec h = {.type = "region", .x = x, .ndim = 3, .shape = {7, 2, 2}, .anchors = anchors,
                   .nanchors = 2, .classes = 2, .num = 1, .softmax = 1, .net_w = 64, .net_h = 64};
    one_rec o;
    CHECK(make_record(&o, NULL, &h, 1) == 0 &&
              rescale_record(&o.r, &(rescale_cfg){.thresh = 0.5}, &(rescale_work){0}, &err) < 0 &&
              err.code == YOLO_EINPUT && strstr(err.msg, "<mem>: record 0: key 'transform'"),
          "output without transform: an error naming the record and key (%s)", err.msg);
    free_record(&o);
    h.shape[0] = 8;
    float y[8 * 4] = {0};
    h.x = y;
    CHECK(make_record(&o, xf, &h, 1) == 0 &&
              rescale_record(&o.r, &(rescale_cfg){.thresh = 0.5}, &(rescale_work){0}, &err) < 0 &&
              strstr(err.msg, "key 'output[0].tensor': shape [8,2,2] is not [7, H, W]"),
          "a tensor that does not fit num x (coords + 1 + classes): %s", err.msg);
    free_record(&o);
    h.shape[0] = 7;
    h.x = x;
    names nm = {0};
    names_add(&nm, "a", 1);
    rescale_work w = {0};
    CHECK(make_record(&o, xf, &h, 1) == 0 &&
              rescale_record(&o.r, &(rescale_cfg){.thresh = 0.5, .nm = &nm}, &w, &err) < 0 &&
              strstr(err.msg, "the heads have 2 classes, --names gives 1"),
          "names of another length: %s", err.msg);
    free_record(&o);
    names_free(&nm);
    rescale_work_free(&w);
}

static void test_pack(void)
{
    ydet v[2] = {{.cls = 3, .name = "cat", .name_len = 3, .score = 0.25, .objectness = 0.5,
                  .bbox = {1, 2, 3, 4}, .pred = 9},
                 {.cls = 0, .name = "", .name_len = 0, .score = 1, .objectness = 1,
                  .bbox = {-1, -2, 5, 6}, .pred = 0}};
    pbuf pb;
    pb_init(&pb);
    msgpack_pack_map(&pb.pk, 1);
    pb_str(&pb, "detections");
    dets_pack(&pb.pk, v, 2);
    yerr err;
    rec_reader *rd = rec_reader_new_mem(pb.sb.data, pb.sb.size, "<mem>", &err);
    rec r;
    rec_init(&r);
    detlist l = {0};
    int ok = rd && rec_read(rd, &r, &err) == 1 && rec_get_detections(&r, &l, &err) == 1 && l.n == 2;
    for (size_t i = 0; ok && i < 2; i++)
        ok = l.v[i].cls == v[i].cls && l.v[i].name_len == v[i].name_len &&
             !memcmp(l.v[i].name, v[i].name, v[i].name_len) && l.v[i].score == v[i].score &&
             l.v[i].objectness == v[i].objectness && l.v[i].pred == v[i].pred &&
             !memcmp(&l.v[i].bbox, &v[i].bbox, sizeof(box)) && l.v[i].src;
    CHECK(ok, "detections: packed and read back equal");
    detlist_free(&l);
    rec_free(&r);
    rec_reader_free(rd);
    pb_free(&pb);
}

int main(void)
{
    test_region();
    test_yolo();
    test_detection();
    test_unmap();
    test_records();
    test_pack();
    return check_done();
}
