/* Unit tests for suppression (common/post/nms.c):
 *   1. greedy, per class and agnostic, against a brute-force transcription
 *      of darknet's do_nms_sort on random boxes (ties and duplicates
 *      included), with and without max_det
 *   2. ties: equal scores go by input order, whatever the input order
 *   3. soft-NMS, linear and Gaussian, against values worked out by hand
 *   4. IoU exactly at the threshold is kept (darknet's >) */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/post/nms.h"

#include "check.h"
#include "testutil.h"

/* Darknet's do_nms_sort, quadratic and plain: per class, rank by score
 * (ties: input order), drop every later entry whose IoU with a live one is
 * > iou. out gets the kept input positions ordered by score, then input
 * position; returns their number. */
static size_t reference(const ydet *v, size_t n, double iou, int agnostic, size_t *out)
{
    size_t *rank = malloc((n + 1) * sizeof *rank), k = 0;
    char *dead = calloc(n + 1, 1);
    for (size_t i = 0; i < n; i++)
        rank[i] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort: stable, by score descending */
        for (size_t j = i; j > 0 && v[rank[j]].score > v[rank[j - 1]].score; j--) {
            size_t t = rank[j];
            rank[j] = rank[j - 1], rank[j - 1] = t;
        }
    for (size_t a = 0; a < n; a++) {
        if (dead[rank[a]])
            continue;
        for (size_t b = a + 1; b < n; b++) {
            const ydet *p = &v[rank[a]], *q = &v[rank[b]];
            if ((agnostic || p->cls == q->cls) && box_iou(p->bbox, q->bbox) > iou)
                dead[rank[b]] = 1;
        }
    }
    for (size_t a = 0; a < n; a++)
        if (!dead[rank[a]])
            out[k++] = rank[a];
    free(rank);
    free(dead);
    return k;
}

static ydet random_det(void)
{
    ydet d = {0};
    d.cls = (int)(xrand() % 4);
    d.score = (double)(xrand() % 20) / 20; /* coarse: many ties */
    double x = (double)(xrand() % 60), y = (double)(xrand() % 60);
    d.bbox = (box){x, y, x + 5 + (double)(xrand() % 40), y + 5 + (double)(xrand() % 40)};
    return d;
}

static void test_against_reference(void)
{
    nms_work w = {0};
    int all_ok = 1, runs = 0;
    long total_kept = 0, total = 0;
    for (int t = 0; t < 300; t++) {
        size_t n = (size_t)(xrand() % 200);
        ydet *v = malloc((n + 1) * sizeof *v);
        size_t *want = malloc((n + 1) * sizeof *want);
        for (size_t i = 0; i < n; i++) {
            v[i] = random_det();
            if (i > 0 && xrand() % 8 == 0)
                v[i] = v[xrand() % i]; /* duplicates: the same box and score */
        }
        nms_cfg c = {.method = NMS_GREEDY, .iou = (double)(xrand() % 10) / 10,
                     .agnostic = t % 3 == 0, .max_det = LONG_MAX};
        size_t k = reference(v, n, c.iou, c.agnostic, want);
        long m = nms_run(&c, v, n, 1, 1, &w);
        int ok = m == (long)k;
        for (size_t i = 0; ok && i < k; i++)
            ok = w.kept[i].i == want[i] && w.kept[i].score == v[want[i]].score;
        c.max_det = 3; /* the first three of the same */
        m = nms_run(&c, v, n, 1, 1, &w);
        ok = ok && m == (long)(k < 3 ? k : 3);
        for (long i = 0; ok && i < m; i++)
            ok = w.kept[i].i == want[i];
        all_ok &= ok;
        runs++;
        total += (long)n;
        total_kept += (long)k;
        free(v);
        free(want);
    }
    CHECK(all_ok, "greedy = brute-force do_nms_sort on %d random sets (%ld entries, %ld kept; "
                  "per class and agnostic, --max-det 3)",
          runs, total, total_kept);
    nms_work_free(&w);
}

static void test_ties(void)
{
    /* three identical boxes, equal scores, classes equal: the first is kept */
    ydet v[3] = {{.cls = 1, .score = 0.5, .bbox = {0, 0, 10, 10}},
                 {.cls = 1, .score = 0.5, .bbox = {0, 0, 10, 10}},
                 {.cls = 1, .score = 0.5, .bbox = {20, 20, 30, 30}}};
    nms_cfg c = {.method = NMS_GREEDY, .iou = 0.45, .max_det = LONG_MAX};
    nms_work w = {0};
    long k = nms_run(&c, v, 3, 1, 1, &w);
    CHECK(k == 2 && w.kept[0].i == 0 && w.kept[1].i == 2,
          "ties: the earlier of two equals is kept, output in input order");
    c.iou = 0.5;
    ydet e[2] = {{.cls = 0, .score = 0.9, .bbox = {0, 0, 10, 10}},
                 {.cls = 0, .score = 0.8, .bbox = {0, 0, 10, 5}}}; /* IoU exactly 0.5 */
    CHECK(nms_run(&c, e, 2, 1, 1, &w) == 2, "IoU equal to --iou is not suppressed");
    c.iou = 0.49;
    CHECK(nms_run(&c, e, 2, 1, 1, &w) == 1, "IoU above --iou is");
    CHECK(nms_run(&c, e, 0, 1, 1, &w) == 0, "no entries, none kept");
    nms_work_free(&w);
}

/* A [0,0,10,10] 0.9, B [5,0,15,10] 0.8 (IoU(A,B) = 50/150 = 1/3), C = A's
 * box at 0.7 (IoU(A,C) = 1, IoU(B,C) = 1/3). */
static void test_soft(void)
{
    ydet v[3] = {{.cls = 2, .score = 0.9, .bbox = {0, 0, 10, 10}},
                 {.cls = 2, .score = 0.8, .bbox = {5, 0, 15, 10}},
                 {.cls = 2, .score = 0.7, .bbox = {0, 0, 10, 10}}};
    nms_work w = {0};
    nms_cfg c = {.method = NMS_LINEAR, .iou = 0.3, .sigma = 0.5, .score_thresh = 0.001,
                 .max_det = LONG_MAX};
    /* linear: A; B *= 1 - 1/3; C *= 1 - 1 = 0, dropped */
    long k = nms_run(&c, v, 3, 1, 1, &w);
    CHECK(k == 2 && w.kept[0].i == 0 && w.kept[0].score == 0.9 && w.kept[1].i == 1 &&
              fabs(w.kept[1].score - 0.8 * 2 / 3) < 1e-12,
          "soft linear: B = 0.8 x 2/3, C at 0 dropped");
    c.iou = 0.4; /* IoU 1/3 is not above it: B keeps its score */
    k = nms_run(&c, v, 3, 1, 1, &w);
    CHECK(k == 2 && w.kept[1].score == 0.8, "soft linear: no decay at IoU <= --iou");
    /* gaussian: B = 0.8 e^(-(1/9)/0.5); C = 0.7 e^(-1/0.5), then e^(-(1/9)/0.5) again */
    c.method = NMS_GAUSSIAN;
    k = nms_run(&c, v, 3, 1, 1, &w);
    double b = 0.8 * exp(-2.0 / 9), cc = 0.7 * exp(-2.0) * exp(-2.0 / 9);
    CHECK(k == 3 && w.kept[1].i == 1 && fabs(w.kept[1].score - b) < 1e-12 && w.kept[2].i == 2 &&
              fabs(w.kept[2].score - cc) < 1e-12,
          "soft gaussian: B = %.6f (want %.6f), C = %.6f (want %.6f)", w.kept[1].score, b,
          w.kept[2].score, cc);
    c.score_thresh = 0.1;
    CHECK(nms_run(&c, v, 3, 1, 1, &w) == 2, "soft gaussian: C (%.4f) under --score-thresh 0.1 dropped",
          cc);
    c.max_det = 1;
    CHECK(nms_run(&c, v, 3, 1, 1, &w) == 1 && w.kept[0].i == 0, "soft: --max-det 1 keeps the best");
    v[2].cls = 3; /* another class: untouched by A */
    c.max_det = LONG_MAX, c.score_thresh = 0.001;
    k = nms_run(&c, v, 3, 1, 1, &w);
    CHECK(k == 3 && w.kept[1].i == 2 && w.kept[1].score == 0.7,
          "soft: per class, C in its own class keeps 0.7 (and ranks second)");
    nms_work_free(&w);
}

int main(void)
{
    test_against_reference();
    test_ties();
    test_soft();
    return check_done();
}
