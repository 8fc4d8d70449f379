/* Unit tests for eval-map's arithmetic and matching (common/post/evalmap.c), on
 * cases small enough to work out by hand:
 *   1. the three AP formulas on one precision/recall curve
 *   2. COCO's IoU thresholds are numpy's linspace values
 *   3. VOC: difficult truths neither TP nor FP, duplicates FP, IoU > 0.5
 *      strictly; COCO: IoU >= threshold
 *   4. crowd truths: matched by intersection over the detection's area,
 *      many times, ignored (COCO); like difficult with plain IoU (VOC)
 *   5. COCO size ranges from the annotation's area, maxDets per image and class
 *   6. ties in score follow stream order
 *   7. classes without truth, records skipped, bad input */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/evalmap.h"

#include "check.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-12)

/* ---- building records ------------------------------------------------------ */

typedef struct tdet {
    int cls;
    double score;
    box b;
} tdet;

/* A record as a stage reads it: written to memory and read back, so
 * messages name "<mem>: record 0". Lives until the next call. */
typedef struct src {
    char *bytes;
    rec_reader *rd;
    rec r;
} src;

static void src_free(src *s)
{
    rec_reader_free(s->rd);
    free(s->bytes);
    rec_free(&s->r);
    memset(s, 0, sizeof *s);
}

static const char *const cls_names[] = {"cat", "dog", "car"};

static void pack_dets(rec *r, const tdet *d, size_t n)
{
    msgpack_packer *pk = rec_set_begin(r, "detections");
    msgpack_pack_array(pk, n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_map(pk, 4);
        msgpack_pack_str_with_body(pk, "class", 5);
        msgpack_pack_int(pk, d[i].cls);
        msgpack_pack_str_with_body(pk, "name", 4);
        msgpack_pack_str_with_body(pk, cls_names[d[i].cls], strlen(cls_names[d[i].cls]));
        msgpack_pack_str_with_body(pk, "score", 5);
        msgpack_pack_double(pk, d[i].score);
        msgpack_pack_str_with_body(pk, "bbox", 4);
        msgpack_pack_array(pk, 4);
        msgpack_pack_double(pk, d[i].b.x1);
        msgpack_pack_double(pk, d[i].b.y1);
        msgpack_pack_double(pk, d[i].b.x2);
        msgpack_pack_double(pk, d[i].b.y2);
    }
}

/* Adds one image to d (objects o[0, no), or no key when no < 0; detections
 * t[0, nt), or no key when nt < 0); returns eval_add_record's result. */
static int add_image(eval_data *d, const yobj *o, int no, const tdet *t, int nt, yerr *err)
{
    src s = {0};
    rec w;
    rec_init(&w);
    rec_init(&s.r);
    int rc = rec_set_cstr(&w, "id", "x", err);
    if (no >= 0)
        rc |= rec_set_objects(&w, o, (size_t)no, err);
    if (nt >= 0) {
        pack_dets(&w, t, (size_t)nt);
        rc |= rec_set_end(&w, err);
    }
    size_t len = 0;
    FILE *f = open_memstream(&s.bytes, &len);
    rec_writer wr;
    rec_writer_init(&wr, f, "<mem>");
    rc |= rec_write(&wr, &w, err);
    fclose(f);
    rec_free(&w);
    s.rd = rec_reader_new_mem(s.bytes, len, "<mem>", err);
    if (rc || !s.rd || rec_read(s.rd, &s.r, err) != 1)
        rc = -9;
    else
        rc = eval_add_record(d, &s.r, err);
    src_free(&s);
    return rc;
}

static yobj truth(int cls, box b)
{
    return (yobj){.cls = cls, .name = cls_names[cls], .name_len = strlen(cls_names[cls]), .bbox = b};
}

static const eval_params all = {.metrics = EVAL_ALL, .voc_iou = 0.5, .max_dets = 100};

/* ---- 1, 2: the formulas ----------------------------------------------------- */

static void test_formulas(void)
{
    /* npos = 2; detections TP, FP, TP */
    double rec[3] = {0.5, 0.5, 1.0}, prec[3] = {1.0, 0.5, 2.0 / 3};
    double p2[3], p3[3];
    memcpy(p2, prec, sizeof prec);
    memcpy(p3, prec, sizeof prec);
    /* 11 points: recall 0 .. .5 reach precision 1 (6 points), .6 .. 1 reach 2/3 */
    CHECK(NEAR(eval_ap_voc07(rec, prec, 3), (6 + 5 * 2.0 / 3) / 11), "VOC07: 11-point AP (6 + 5 * 2/3) / 11");
    /* envelope [1, 2/3, 2/3]: 0.5 * 1 + 0.5 * 2/3 */
    CHECK(NEAR(eval_ap_voc10(rec, p2, 3), 0.5 + 0.5 * 2.0 / 3), "VOC10: area under the envelope 5/6");
    CHECK(NEAR(p2[1], 2.0 / 3) && NEAR(p2[0], 1), "VOC10: prec becomes the monotone envelope");
    /* 101 points: recall 0 .. .50 (51 points) at 1, .51 .. 1 (50) at 2/3 */
    CHECK(NEAR(eval_ap_coco101(rec, p3, 3), (51 + 50 * 2.0 / 3) / 101), "COCO: 101-point AP (51 + 50 * 2/3) / 101");
    double r0[1] = {0}, q0[1] = {0};
    CHECK(eval_ap_voc07(r0, q0, 0) == 0 && eval_ap_voc10(r0, q0, 0) == 0 &&
              eval_ap_coco101(r0, q0, 0) == 0,
          "no detection: AP 0 in all three");
    /* recall 0.3 exactly: numpy's 0.1 * 3 is 0.30000000000000004, above it */
    double r3[1] = {0.3}, q3[1] = {1};
    CHECK(NEAR(eval_ap_voc07(r3, q3, 1), 3.0 / 11), "VOC07: recall 0.3 reaches t = 0, .1, .2 only (as numpy's arange)");
    CHECK(eval_coco_iou(0) == 0.5 && eval_coco_iou(5) == 0.75 && eval_coco_iou(9) == 0.95 &&
              eval_coco_iou(8) == 0.5 + 8 * ((0.95 - 0.5) / 9),
          "COCO thresholds: .5, .75 and .95 exactly, the rest as linspace");
}

/* ---- 3: difficult, duplicates, thresholds -------------------------------------- */

static void test_difficult(void)
{
    eval_data d;
    eval_data_init(&d, NULL);
    yerr err;
    yobj o[2] = {truth(0, (box){0, 0, 10, 10}), truth(0, (box){20, 20, 30, 30})};
    o[1].difficult = 1;
    tdet t[4] = {
        {0, 0.95, {40, 40, 50, 50}},   /* FP: nothing there */
        {0, 0.9, {0, 0, 10, 10}},      /* TP */
        {0, 0.8, {20, 20, 30, 30}},    /* on the difficult truth: ignored */
        {0, 0.7, {0, 0, 10, 10}},      /* duplicate: FP */
    };
    CHECK(add_image(&d, o, 2, t, 4, &err) == 1, "difficult: record added");
    eval_result res;
    CHECK(eval_run(&d, &all, &res, &err) == 0, "difficult: evaluated");
    /* VOC: FP, TP, FP over npos 1: recall [0, 1, 1], precision [0, .5, 1/3] */
    CHECK(res.npos[0] == 1 && res.ntruth[0] == 2 && res.ndet[0] == 4, "counts: 1 of 2 truths count, 4 detections");
    CHECK(NEAR(res.voc10[0], 0.5) && NEAR(res.voc07[0], 0.5), "VOC: AP 0.5 (the difficult match is neither TP nor FP)");
    CHECK(fabs(res.coco[0] - 0.5) < 1e-12, "COCO: AP 0.5 (difficult ignored, exact box at every threshold)");
    CHECK(NEAR(res.voc10_map, res.voc10[0]) && NEAR(res.coco_ap, res.coco[0]), "one class: mAP is its AP");
    eval_result_free(&res);
    eval_data_free(&d);

    /* IoU exactly 0.5: VOC (voc_eval.py's >) misses, COCO (>=) matches */
    eval_data_init(&d, NULL);
    yobj h = truth(0, (box){0, 0, 10, 10});
    tdet half = {0, 0.9, {0, 0, 10, 20}};
    add_image(&d, &h, 1, &half, 1, &err);
    CHECK(eval_run(&d, &all, &res, &err) == 0, "IoU 0.5: evaluated");
    CHECK(res.voc10[0] == 0 && res.voc07[0] == 0, "IoU exactly 0.5: no VOC match");
    CHECK(NEAR(res.coco_ap50, 1) && NEAR(res.coco_ap75, 0) && NEAR(res.coco[0], 0.1),
          "IoU exactly 0.5: COCO matches at .50 only (AP50 1, AP75 0, AP 0.1)");
    eval_result_free(&res);
    eval_params strict = all;
    strict.voc_iou = 0.4;
    CHECK(eval_run(&d, &strict, &res, &err) == 0 && NEAR(res.voc10[0], 1), "--iou 0.4: now a VOC match");
    eval_result_free(&res);
    eval_data_free(&d);
}

/* ---- 4: crowd ----------------------------------------------------------------- */

static void test_crowd(void)
{
    eval_data d;
    eval_data_init(&d, NULL);
    yerr err;
    yobj o[2] = {truth(1, (box){0, 0, 100, 100}), truth(1, (box){200, 200, 210, 210})};
    o[0].iscrowd = 1;
    o[0].fields = OBJ_HAS_ISCROWD;   /* written only when asked */
    tdet t[3] = {
        {1, 0.9, {10, 10, 20, 20}},        /* inside the crowd: IoU .01, crowd overlap 1 */
        {1, 0.8, {30, 30, 40, 40}},        /* the crowd again */
        {1, 0.7, {200, 200, 210, 210}},    /* TP */
    };
    add_image(&d, o, 2, t, 3, &err);
    eval_result res;
    CHECK(eval_run(&d, &all, &res, &err) == 0, "crowd: evaluated");
    CHECK(res.npos[1] == 1, "crowd: not counted in npos");
    CHECK(NEAR(res.coco[1], 1), "COCO: both detections in the crowd matched to it and ignored: AP 1");
    /* VOC sees IoU 0.01 with the crowd box: FP, FP, TP */
    CHECK(NEAR(res.voc10[1], 1.0 / 3) && NEAR(res.voc07[1], 1.0 / 3), "VOC: plain IoU with the crowd box: FP, FP, TP, AP 1/3");
    eval_result_free(&res);
    eval_data_free(&d);
}

/* ---- 5: sizes and maxDets -------------------------------------------------------- */

static void test_sizes(void)
{
    eval_data d;
    eval_data_init(&d, NULL);
    yerr err;
    yobj o[2] = {truth(0, (box){0, 0, 10, 10}), truth(0, (box){100, 100, 200, 200})};
    o[1].area = 5000;            /* a segment smaller than its box: medium */
    o[1].fields = OBJ_HAS_AREA;
    tdet t[2] = {{0, 0.9, {0, 0, 10, 10}}, {0, 0.8, {100, 100, 200, 200}}};
    add_image(&d, o, 2, t, 2, &err);
    eval_result res;
    CHECK(eval_run(&d, &all, &res, &err) == 0, "sizes: evaluated");
    CHECK(NEAR(res.coco_small, 1) && NEAR(res.coco_medium, 1), "small and medium: AP 1 each");
    CHECK(isnan(res.coco_large), "large: no truth in range (annotation area 5000, box 10000): no AP");
    CHECK(NEAR(res.coco_ap, 1), "all sizes: AP 1");
    eval_result_free(&res);
    eval_params one = all;
    one.max_dets = 1;
    CHECK(eval_run(&d, &one, &res, &err) == 0, "max_dets 1: evaluated");
    /* only the best detection is kept: recall 0.5 at precision 1, 51 of 101 points */
    CHECK(NEAR(res.coco_ap, 51.0 / 101), "max_dets 1: COCO AP 51/101");
    CHECK(NEAR(res.voc10[0], 1), "max_dets does not touch VOC");
    eval_result_free(&res);
    eval_data_free(&d);
}

/* ---- 6: ties -------------------------------------------------------------------- */

/* Two images, one detection each with score 0.5: a FP on the image without
 * truth, a TP on the other; fp_first puts the FP's image first. */
static double tie_ap(int fp_first, double *coco)
{
    eval_data d;
    eval_data_init(&d, NULL);
    yerr err;
    yobj o = truth(0, (box){0, 0, 10, 10});
    tdet fp = {0, 0.5, {50, 50, 60, 60}}, tp = {0, 0.5, {0, 0, 10, 10}};
    if (fp_first) {
        add_image(&d, NULL, 0, &fp, 1, &err);
        add_image(&d, &o, 1, &tp, 1, &err);
    } else {
        add_image(&d, &o, 1, &tp, 1, &err);
        add_image(&d, NULL, 0, &fp, 1, &err);
    }
    eval_result res;
    double ap = NAN;
    if (eval_run(&d, &all, &res, &err) == 0) {
        ap = res.voc10[0];
        *coco = res.coco[0];
        eval_result_free(&res);
    }
    eval_data_free(&d);
    return ap;
}

static void test_ties(void)
{
    double c1 = NAN, c2 = NAN;
    CHECK(NEAR(tie_ap(1, &c1), 0.5) && fabs(c1 - 0.5) < 1e-12, "a tie: the FP first in the stream comes first (AP 0.5)");
    CHECK(NEAR(tie_ap(0, &c2), 1) && fabs(c2 - 1) < 1e-12, "a tie: the TP first in the stream comes first (AP 1)");
}

/* ---- 7: classes, skipping, errors ---------------------------------------------- */

static void test_classes(void)
{
    eval_data d;
    eval_data_init(&d, NULL);
    yerr err;
    yobj o = truth(0, (box){0, 0, 10, 10});
    tdet t[2] = {{0, 0.9, {0, 0, 10, 10}}, {2, 0.8, {0, 0, 10, 10}}};
    add_image(&d, &o, 1, t, 2, &err);
    eval_result res;
    CHECK(eval_run(&d, &all, &res, &err) == 0 && res.ncls == 3, "classes 0..2 known");
    CHECK(isnan(res.voc07[2]) && isnan(res.voc10[2]) && isnan(res.coco[2]), "a class without truth: no AP");
    CHECK(NEAR(res.voc07_map, 1) && NEAR(res.coco_ap, 1), "... and left out of the means");
    char tmp[16];
    CHECK(!strcmp(eval_class_name(&d, 2, tmp, sizeof tmp), "car") &&
              !strcmp(eval_class_name(&d, 1, tmp, sizeof tmp), "1"),
          "names from the records; a class never named shows its index");
    ybuf b = {0};
    eval_json(&b, &d, &res, EVAL_VOC10);   /* VOC07 sums 11 elevenths: 1 + 2e-16 */
    const char *want = "{\"voc10\":{\"map\":1.0,\"ap\":{\"cat\":1.0,\"car\":null}}}\n";
    CHECK(b.len == strlen(want) && !memcmp(b.p, want, b.len),
          "JSON: only voc10, class 1 (no truth, no detection) left out, null for car (%.*s)", (int)b.len, (char *)b.p);
    ybuf_free(&b);
    eval_result_free(&res);
    eval_data_free(&d);
}

static void test_skips(void)
{
    eval_data d;
    eval_data_init(&d, NULL);
    yerr err;
    yobj o = truth(0, (box){0, 0, 10, 10});
    CHECK(add_image(&d, NULL, -1, NULL, 0, &err) == 2, "no objects key: 2 (not annotated)");
    CHECK(add_image(&d, &o, 1, NULL, -1, &err) == 1 && d.nt == 1 && d.nd == 0, "no detections key: an image with none");
    CHECK(d.images == 1, "only the annotated record counts as an image");
    eval_result res;
    CHECK(eval_run(&d, &all, &res, &err) == 0 && res.voc10[0] == 0 && res.coco[0] == 0, "a class never detected: AP 0");
    eval_result_free(&res);
    eval_data_free(&d);
}

static void test_errors(void)
{
    eval_data d;
    eval_data_init(&d, NULL);
    yerr err;
    yobj o = truth(0, (box){0, 0, 10, 10});
    tdet nan_score = {0, NAN, {0, 0, 1, 1}}, inv = {0, 0.5, {5, 0, 1, 1}}, big = {0, 1.5, {0, 0, 1, 1}};
    CHECK(add_image(&d, &o, 1, &nan_score, 1, &err) == -1 && err.code == YOLO_EINPUT &&
              strstr(err.msg, "<mem>: record 0: key 'detections[0]': 'score'"),
          "NaN score: error naming record and key (%s)", err.msg);
    CHECK(d.nt == 0 && d.images == 0, "nothing of the bad record is kept");
    CHECK(add_image(&d, &o, 1, &big, 1, &err) == 1 && d.nd == 1 && d.dets.n == 1,
          "score 1.5 (a v1 head's): taken, only ranked");
    CHECK(add_image(&d, &o, 1, &inv, 1, &err) == -1 && strstr(err.msg, "detections[0]': inverted bbox"),
          "inverted detection: error (%s)", err.msg);
    yobj bad = truth(0, (box){0, 5, 10, 1});
    CHECK(add_image(&d, &bad, 1, NULL, -1, &err) == -1 && strstr(err.msg, "objects[0]': inverted bbox"),
          "inverted truth: error (%s)", err.msg);
    yobj renamed = truth(0, (box){0, 0, 1, 1});
    renamed.name = "dog";
    renamed.name_len = 3;
    CHECK(add_image(&d, &o, 1, NULL, -1, &err) == 1, "a good record");
    CHECK(add_image(&d, &renamed, 1, NULL, -1, &err) == -1 &&
              strstr(err.msg, "name 'dog' for class 0, which is 'cat'"),
          "another name for a class: error (%s)", err.msg);
    eval_data_free(&d);

    names nm = {0};
    names_add(&nm, "cat", 3);
    eval_data_init(&d, &nm);
    yobj car = truth(2, (box){0, 0, 1, 1});
    CHECK(add_image(&d, &car, 1, NULL, -1, &err) == -1 &&
              strstr(err.msg, "class 2 is not in the --names list (1 classes)"),
          "--names: a class past the list is an error (%s)", err.msg);
    eval_data_free(&d);
}

int main(void)
{
    test_formulas();
    test_difficult();
    test_crowd();
    test_sizes();
    test_ties();
    test_classes();
    test_skips();
    test_errors();
    return check_done();
}
