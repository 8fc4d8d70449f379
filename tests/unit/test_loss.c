/* Unit tests for the YOLO losses (common/loss/loss.c):
 *   1. the default weights of each version
 *   2. hand-computed v1 and v3 cases, exactly
 *   3. every gradient element against central finite differences of the
 *      loss (plan fixed, as the loss treats it), to 1e-4 relative, on random
 *      outputs and targets: v1 (with and without softmax), v2 seed, v2
 *      darknet with and without the warm-up, v3; several truths in a cell,
 *      boxes at the border, images without objects
 *   4. the plan: assigned counts, IoUs, the no-object mask really masks
 *   (label smoothing: by hand for v3 and v2, and in the finite differences)
 *   5. target checks */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/data/box.h"
#include "yolo/loss/loss.h"
#include "yolo/base/rng.h"

#include "check.h"

#define MAXN 12

typedef struct tcase {
    loss_head h;
    double anchors[8];
    double out[4096], tgt[4096], grad[4096];
    double truth[5 * MAXN];
    size_t ntruth;
} tcase;

static loss_params defaults(int version, int variant)
{
    loss_cfg c = {.variant = variant, .given = {NAN, NAN, NAN, NAN, NAN}, .ignore_thresh = NAN};
    return loss_params_for(&c, version);
}

static void test_defaults(void)
{
    loss_params p = defaults(LOSS_V1, 0);
    CHECK(p.coord == 5 && p.obj == 1 && p.noobj == 0.5 && p.cls == 1, "v1: coord 5, noobj .5");
    p = defaults(LOSS_V2, LOSS_SEED);
    CHECK(p.coord == 1 && p.obj == 5 && p.noobj == 1 && p.cls == 1 && p.thresh == 0.6,
          "v2: yolov2-voc.cfg's scales, thresh .6");
    p = defaults(LOSS_V3, 0);
    CHECK(p.coord == 1 && p.obj == 1 && p.noobj == 1 && p.thresh == 0.7,
          "v3: ignore_thresh .7 (yolov3.cfg)");
    loss_cfg c = {.given = {2, NAN, NAN, NAN, 0.5}, .ignore_thresh = 0.3};
    p = loss_params_for(&c, LOSS_V3);
    CHECK(p.coord == 2 && p.obj == 1 && p.thresh == 0.3, "given values override the defaults");
    p = loss_params_for(&c, LOSS_V2);
    CHECK(p.thresh == 0.5 && loss_params_for(&c, LOSS_V1).thresh == 0,
          "--thresh is v2's, --ignore-thresh v3's");
}

static double run(tcase *c, loss_plan *pl, loss_terms *t)
{
    yerr err;
    memset(t, 0, sizeof *t);
    if (loss_plan_make(&c->h, c->out, c->tgt, c->truth, c->ntruth, pl, &err) < 0)
        return NAN;
    loss_apply(&c->h, pl, c->out, c->tgt, c->grad, t);
    return loss_total(t);
}

static void test_hand_v1(void)
{
    /* S = 1, B = 1, C = 2: [class0, class1, conf, x, y, w, h]; sqrt w, h. */
    tcase c = {.h = {.version = LOSS_V1, .classes = 2, .na = 1, .h = 1, .w = 1, .sqrt_wh = 1,
                     .p = defaults(LOSS_V1, 0)}};
    double out[7] = {0.5, 0.1, 0.2, 0.5, 0.4, 0.5, 0.5};
    double tgt[7] = {1, 0.5, 0.5, 0.25, 0.25, 1, 0};
    memcpy(c.out, out, sizeof out);
    memcpy(c.tgt, tgt, sizeof tgt);
    loss_plan pl = {0};
    loss_terms t;
    double L = run(&c, &pl, &t);
    /* pred box centre (0.5, 0.4) size 0.25: IoU with the truth (0.5, 0.5,
     * 0.25, 0.25) is 0.15*0.25 / (2*0.0625 - 0.0375) = 0.428571... */
    double u = 0.15 * 0.25 / (2 * 0.0625 - 0.15 * 0.25);
    CHECK(fabs(t.xy - 5 * 0.01) < 1e-12 && t.wh == 0, "v1: xy 5 * 0.1^2, wh 0 (sqrt target)");
    CHECK(fabs(t.obj - (0.2 - u) * (0.2 - u)) < 1e-12, "v1: obj (C - IoU)^2");
    CHECK(fabs(t.cls - (0.25 + 0.01)) < 1e-12 && t.noobj == 0, "v1: class squared error");
    CHECK(fabs(L - (0.05 + (0.2 - u) * (0.2 - u) + 0.26)) < 1e-12, "v1: total");
    CHECK(fabs(c.grad[2] - 2 * (0.2 - u)) < 1e-12 && fabs(c.grad[4] - 10 * -0.1) < 1e-12 &&
              fabs(c.grad[0] + 1) < 1e-12 && c.grad[5] == 0,
          "v1: gradients 2 (C - IoU), 2 lambda (y - ty), 2 (p - q)");
    CHECK(t.count == 1 && fabs(t.iou_sum - u) < 1e-12 && t.recall50 == 0, "v1: count, IoU");
    loss_plan_free(&pl);
}

static void test_hand_v3(void)
{
    /* 1 x 1 grid, 1 anchor, 1 class, no truth: only BCE of objectness to 0. */
    tcase c = {.h = {.version = LOSS_V3, .classes = 1, .na = 1, .h = 1, .w = 1, .net_w = 32,
                     .net_h = 32, .p = defaults(LOSS_V3, 0), .scale_xy = 1, .iou_norm = 1,
                     .cls_norm = 1}};
    c.anchors[0] = c.anchors[1] = 16;
    c.h.anchors = c.anchors;
    loss_plan pl = {0};
    loss_terms t;
    double L = run(&c, &pl, &t);
    CHECK(fabs(L - log(2)) < 1e-12 && fabs(t.noobj - log(2)) < 1e-12, "v3, no objects: ln 2");
    CHECK(c.grad[4] == 0.5 && c.grad[0] == 0 && c.grad[5] == 0, "v3: grad sigm(0) - 0");
    /* now a box exactly in the cell centre, anchor size: xy BCE minus its
     * entropy is 0 at sigm = 0.5, wh 0 at raw 0. */
    double tg[6] = {0.5, 0.5, 0.5, 0.5, 1, 1};
    memcpy(c.tgt, tg, sizeof tg);
    L = run(&c, &pl, &t);
    CHECK(fabs(t.xy) < 1e-12 && t.wh == 0 && t.noobj == 0, "v3: perfect box, xy and wh 0");
    CHECK(fabs(t.obj - log(2)) < 1e-12 && fabs(t.cls - log(2)) < 1e-12, "v3: obj, class BCE");
    CHECK(c.grad[4] == -0.5 && c.grad[5] == -0.5 && fabs(t.iou_sum - 1) < 1e-12,
          "v3: grads sigm - 1, IoU 1");
    (void)L;
    loss_plan_free(&pl);
}

/* Label smoothing by hand, a box in a 1 x 1 grid, one anchor. v3, 2 classes,
 * eps .2, class 0 true: targets .9 and .1 (AlexeyAB's q (1 - eps) + eps/2),
 * the grad sigm(z) - target, minus his delta. v2 (softmax), 3 classes:
 * targets .8 + .2/3 and .2/3, the grad softmax(z) - target. */
static void test_hand_smooth(void)
{
    tcase c = {.h = {.version = LOSS_V3, .classes = 2, .na = 1, .h = 1, .w = 1, .net_w = 32,
                     .net_h = 32, .p = defaults(LOSS_V3, 0), .scale_xy = 1, .iou_norm = 1,
                     .cls_norm = 1, .smooth = .2}};
    c.anchors[0] = c.anchors[1] = 16;
    c.h.anchors = c.anchors;
    double out[7] = {0, 0, 0, 0, 0, 2, -1}, tg[7] = {.5, .5, .5, .5, 1, 1, 0};
    memcpy(c.out, out, sizeof out);
    memcpy(c.tgt, tg, sizeof tg);
    loss_plan pl = {0};
    loss_terms t;
    run(&c, &pl, &t);
    double s2 = 1 / (1 + exp(-2.)), s1 = 1 / (1 + exp(1.));
    double want = -.9 * log(s2) - .1 * log(1 - s2) - .1 * log(s1) - .9 * log(1 - s1);
    CHECK(fabs(t.cls - want) < 1e-12, "v3, eps .2: class BCE against .9 and .1 (got %.12g, "
                                      "want %.12g)", t.cls, want);
    CHECK(fabs(c.grad[5] - (s2 - .9)) < 1e-12 && fabs(c.grad[6] - (s1 - .1)) < 1e-12,
          "v3, eps .2: grads sigm(z) - .9 and sigm(z) - .1");
    c.h = (loss_head){.version = LOSS_V2, .variant = LOSS_DARKNET, .classes = 3, .na = 1,
                      .h = 1, .w = 1, .net_w = 32, .net_h = 32, .p = defaults(LOSS_V2, 1),
                      .seen = LOSS_WARMUP_IMAGES, .anchors = c.anchors, .smooth = .2};
    double out2[8] = {0, 0, 0, 0, 0, 1, 0, -1}, tg2[8] = {.5, .5, .5, .5, 1, 1, 0, 0};
    memcpy(c.out, out2, sizeof out2);
    memcpy(c.tgt, tg2, sizeof tg2);
    run(&c, &pl, &t);
    double z = exp(1.) + 1 + exp(-1.), p[3] = {exp(1.) / z, 1 / z, exp(-1.) / z};
    double q[3] = {.8 + .2 / 3, .2 / 3, .2 / 3};
    want = -(q[0] * log(p[0]) + q[1] * log(p[1]) + q[2] * log(p[2]));
    CHECK(fabs(t.cls - want) < 1e-12, "v2, eps .2: softmax cross-entropy against .8 + .2/3 and "
                                      ".2/3 (got %.12g, want %.12g)", t.cls, want);
    int ok = 1;
    for (int k = 0; k < 3; k++)
        ok &= fabs(c.grad[5 + k] - (p[k] - q[k])) < 1e-12;
    CHECK(ok, "v2, eps .2: grads softmax(z) - target");
    loss_plan_free(&pl);
}

/* IoU box losses by hand: prediction (.5, .5, .2, .2) (raw 0, 0, log .4, log
 * .4 on a 1 x 1 grid, anchor 16 of 32), truth (.6, .5, .2, .2): IoU 1/3,
 * the hull .3 x .2 (GIoU 1/3 too), centre distance^2 .01 over the hull's
 * diagonal^2 .13; the same aspect ratio, so CIoU's v is 0. */
static void test_hand_iou(void)
{
    tcase c = {.h = {.version = LOSS_V3, .classes = 1, .na = 1, .h = 1, .w = 1, .net_w = 32,
                     .net_h = 32, .p = defaults(LOSS_V3, 0), .scale_xy = 1, .iou_norm = 1,
                     .cls_norm = 1}};
    c.anchors[0] = c.anchors[1] = 16;
    c.h.anchors = c.anchors;
    double out[6] = {0, 0, log(.4), log(.4), 0, 0}, tg[6] = {.6, .5, .2, .2, 1, 1};
    memcpy(c.out, out, sizeof out);
    memcpy(c.tgt, tg, sizeof tg);
    const double want[4] = {2. / 3, 2. / 3, 2. / 3 + .01 / .13, 2. / 3 + .01 / .13};
    const char *names[4] = {"iou", "giou", "diou", "ciou"};
    loss_plan pl = {0};
    loss_terms t;
    for (int k = 0; k < 4; k++) {
        c.h.box = LOSS_BOX_IOU + k;
        c.h.iou_norm = .5;
        run(&c, &pl, &t);
        CHECK(fabs(t.xy - .5 * want[k]) < 1e-12 && t.wh == 0,
              "%s by hand: xy = iou_normalizer .5 x %.6f (got %.12g)", names[k], want[k], t.xy);
    }
    /* scale_x_y 2: raw 0 still puts the centre at .5; the mse term's target
     * in sigmoid space is (.6 + .5) / 2 */
    c.h.box = LOSS_BOX_MSE, c.h.iou_norm = 1, c.h.scale_xy = 2;
    run(&c, &pl, &t);
    CHECK(fabs(c.grad[0] - (2 * .5 - .5 - .6) * (2 - .04)) < 1e-12,
          "scale_x_y 2, mse: d/dt_x = k (s sigm - (s-1)/2 - g) = (2 - wh)(1 - .5 - .6) (%.6g)",
          c.grad[0]);
    loss_plan_free(&pl);
}

/* ---- random cases -------------------------------------------------------------- */

/* Truth rows: ordinary, at the border, next to the previous (same cell). */
static void make_truth(yrng *r, tcase *c, size_t n)
{
    c->ntruth = n;
    for (size_t i = 0; i < n; i++) {
        double *t = c->truth + 5 * i;
        int kind = (int)(i % 3);
        if (kind == 0 || i == 0) {
            t[0] = rng_range(r, 0.05, 0.95);
            t[1] = rng_range(r, 0.05, 0.95);
        } else if (kind == 1) {
            t[0] = rng_uniform(r) < 0.5 ? 0.003 : 0.997;
            t[1] = rng_uniform(r);
        } else {
            t[0] = fmin(fmax(t[-5] + 0.01 * rng_normal(r), 0.001), 0.999);
            t[1] = fmin(fmax(t[-4] + 0.01 * rng_normal(r), 0.001), 0.999);
        }
        t[2] = rng_range(r, 0.02, 0.8);
        t[3] = rng_range(r, 0.02, 0.8);
        t[4] = (double)rng_below(r, (uint64_t)c->h.classes);
    }
}

static size_t gi(const loss_head *h, int a, int k, int y, int x)
{
    return (((size_t)a * (5 + h->classes) + k) * h->h + y) * h->w + x;
}

/* Each box to its cell and the head anchor of best shape; the later wins.
 * Half the boxes get every anchor of their cell fitted to them, so that
 * unassigned predictions overlap truth (the no-object mask matters). */
static void encode_grid(yrng *r, tcase *c)
{
    loss_head *h = &c->h;
    double sw = h->version == LOSS_V2 ? h->w : h->net_w;
    double sh = h->version == LOSS_V2 ? h->h : h->net_h;
    memset(c->tgt, 0, loss_head_size(h) * sizeof *c->tgt);
    for (size_t i = 0; i < loss_head_size(h); i++)
        c->out[i] = 1.2 * rng_normal(r);
    for (size_t n = 0; n < c->ntruth; n++) {
        const double *t = c->truth + 5 * n;
        int x = (int)(t[0] * h->w), y = (int)(t[1] * h->h), best = 0;
        double bu = -1;
        for (int a = 0; a < h->na; a++) {
            double u = box_iou_wh(t[2] * sw, t[3] * sh, c->anchors[2 * a], c->anchors[2 * a + 1]);
            if (u > bu)
                bu = u, best = a;
            if (n % 2 == 0) {
                c->out[gi(h, a, 2, y, x)] = log(t[2] * sw / c->anchors[2 * a]);
                c->out[gi(h, a, 3, y, x)] = log(t[3] * sh / c->anchors[2 * a + 1]);
                double fx = fmin(fmax(t[0] * h->w - x, 0.02), 0.98);
                double fy = fmin(fmax(t[1] * h->h - y, 0.02), 0.98);
                c->out[gi(h, a, 0, y, x)] = log(fx / (1 - fx));
                c->out[gi(h, a, 1, y, x)] = log(fy / (1 - fy));
                /* an IoU loss has kinks where edges meet: not exactly on them */
                for (int k = 0; h->box != LOSS_BOX_MSE && k < 4; k++)
                    c->out[gi(h, a, k, y, x)] += .1 * rng_normal(r);
            }
        }
        for (int k = 0; k < 5 + h->classes; k++)
            c->tgt[gi(h, best, k, y, x)] = k < 4 ? t[k] : 0;
        c->tgt[gi(h, best, 4, y, x)] = 1;
        c->tgt[gi(h, best, 5 + (int)t[4], y, x)] = 1;
    }
}

static void encode_v1(yrng *r, tcase *c)
{
    loss_head *h = &c->h;
    size_t cells = (size_t)h->h * h->w, per = 5 + (size_t)h->classes;
    memset(c->tgt, 0, cells * per * sizeof *c->tgt);
    for (size_t i = 0; i < loss_head_size(h); i++)
        c->out[i] = i < cells * (h->classes + h->na) ? rng_normal(r) : rng_range(r, 0.1, 0.9);
    /* cell 0: tiny boxes away from a small truth: every IoU 0, the nearest
     * (box 1) is responsible */
    for (int k = 0; k < 4 * h->na; k++)
        c->out[cells * (h->classes + h->na) + k] = k % 4 >= 2 ? 0.01 : 0.9 - 0.3 * (k / 4);
    if (c->ntruth) {
        double small[4] = {0.04, 0.05, 0.05, 0.06};
        memcpy(c->truth, small, sizeof small);
    }
    for (size_t n = 0; n < c->ntruth; n++) {
        const double *t = c->truth + 5 * n;
        double *g = c->tgt + ((size_t)(t[1] * h->h) * h->w + (size_t)(t[0] * h->w)) * per;
        memset(g, 0, per * sizeof *g);
        g[0] = 1;
        memcpy(g + 1, t, 4 * sizeof *t);
        g[5 + (int)t[4]] = 1;
    }
}

/* Largest mismatch of grad against central differences of the loss with the
 * plan fixed, as a ratio to the tolerance 1e-4 * max(|g|, |fd|) + 1e-8. */
static double fd_worst(tcase *c, loss_plan *pl)
{
    size_t n = loss_head_size(&c->h);
    static double g[4096], scratch[4096];
    memcpy(g, c->grad, n * sizeof *g);
    double worst = 0;
    for (size_t k = 0; k < n; k++) {
        double x = c->out[k], e = 1e-6 * fmax(1, fabs(x)), lp, lm;
        loss_terms t = {0};
        c->out[k] = x + e;
        loss_apply(&c->h, pl, c->out, c->tgt, scratch, &t);
        lp = loss_total(&t);
        memset(&t, 0, sizeof t);
        c->out[k] = x - e;
        loss_apply(&c->h, pl, c->out, c->tgt, scratch, &t);
        lm = loss_total(&t);
        c->out[k] = x;
        double fd = (lp - lm) / (2 * e);
        double r = fabs(fd - g[k]) / (1e-4 * fmax(fabs(fd), fabs(g[k])) + 1e-8);
        if (r > worst)
            worst = r;
    }
    return worst;
}

typedef struct fdspec {
    const char *name;
    int version, variant, softmax;
    long seen;
    int box;                 /* v3: LOSS_BOX_* */
    double scale_xy, iou_norm, cls_norm;   /* v3: 0 for 1 */
    double smooth;           /* v2, v3: label smoothing */
} fdspec;

static void test_fd(const fdspec *s)
{
    static const size_t counts[] = {0, 1, 4, 9, 12};
    yrng r;
    rng_seed(&r, 7 + (uint64_t)s->version * 10 + (uint64_t)s->variant);
    double worst = 0;
    long masked = 0, assigned = 0, nearest = 0;
    for (int rep = 0; rep < 5; rep++) {
        tcase *c = calloc(1, sizeof *c);
        if (!c)
            return;
        c->h = (loss_head){.version = s->version, .variant = s->variant, .classes = 3,
                           .na = s->version == LOSS_V1 ? 2 : 3, .h = 4, .w = 5, .net_w = 160,
                           .net_h = 128, .softmax = s->softmax, .sqrt_wh = 1,
                           .p = defaults(s->version, s->variant), .seen = s->seen,
                           .box = s->box, .scale_xy = s->scale_xy ? s->scale_xy : 1,
                           .iou_norm = s->iou_norm ? s->iou_norm : 1,
                           .cls_norm = s->cls_norm ? s->cls_norm : 1, .smooth = s->smooth};
        if (s->version == LOSS_V1)
            c->h.h = c->h.w = 3;
        double v2a[6] = {0.6, 0.9, 1.5, 1.2, 3, 2.5}, v3a[6] = {12, 20, 40, 30, 80, 60};
        memcpy(c->anchors, s->version == LOSS_V3 ? v3a : v2a, sizeof v2a);
        c->h.anchors = c->anchors;
        make_truth(&r, c, counts[rep]);
        if (s->version == LOSS_V1)
            encode_v1(&r, c);
        else
            encode_grid(&r, c);
        loss_plan pl = {0};
        loss_terms t;
        double L = run(c, &pl, &t);
        if (!isfinite(L)) {
            CHECK(0, "%s: finite loss", s->name);
            free(c);
            return;
        }
        for (size_t i = 0; i < loss_head_preds(&c->h); i++)
            masked += pl.conf_w[i] == 0 && pl.noobj_w[i] == 0;
        if (s->version == LOSS_V1 && counts[rep])
            nearest += pl.resp[0] == 1;
        assigned += t.count;
        if (counts[rep] == 0)
            CHECK(t.xy + t.wh + t.obj + t.cls == (s->seen < 12800 && s->variant ? t.xy + t.wh : 0)
                      && t.count == 0 && t.noobj > 0,
                  "%s, no objects: only the no-object term (and the warm-up)", s->name);
        double w = fd_worst(c, &pl);
        if (w > worst)
            worst = w;
        loss_plan_free(&pl);
        free(c);
    }
    CHECK(worst <= 1, "%s: every grad element = central difference to 1e-4 relative "
                      "(worst at %.3g of the tolerance)", s->name, worst);
    CHECK(assigned > 10, "%s: %ld boxes assigned over the cases", s->name, assigned);
    if (s->version == LOSS_V1)
        CHECK(nearest == 4, "%s: every IoU 0 in cell 0: the nearest box (1) is responsible",
              s->name);
    else
        CHECK(masked > 0, "%s: %ld unassigned predictions past the threshold (no penalty)",
              s->name, masked);
}

/* ---- target checks ----------------------------------------------------------------- */

static void test_check_target(void)
{
    tcase *c = calloc(1, sizeof *c);
    if (!c)
        return;
    c->h = (loss_head){.version = LOSS_V2, .classes = 2, .na = 1, .h = 2, .w = 2};
    size_t at, hw = 4;
    const char *why;
    CHECK(loss_check_target(&c->h, c->tgt, &at, &why) == 0, "all-zero target is valid");
    c->tgt[4 * hw + 3] = 0.5;
    CHECK(loss_check_target(&c->h, c->tgt, &at, &why) < 0 && at == 4 * hw + 3,
          "object entry 0.5: error at its index (%s)", why);
    c->tgt[4 * hw + 3] = 1;
    for (int k = 0; k < 4; k++)
        c->tgt[k * hw + 3] = 0.5;
    CHECK(loss_check_target(&c->h, c->tgt, &at, &why) < 0 && at == 5 * hw + 3,
          "assigned box without class: error at the first class entry");
    c->tgt[5 * hw + 3] = c->tgt[6 * hw + 3] = 1;
    CHECK(loss_check_target(&c->h, c->tgt, &at, &why) < 0, "v2: two classes refused (%s)", why);
    c->h.version = LOSS_V3;
    CHECK(loss_check_target(&c->h, c->tgt, &at, &why) == 0, "v3: two classes (multi-label)");
    c->tgt[3 * hw + 3] = 0;
    CHECK(loss_check_target(&c->h, c->tgt, &at, &why) < 0 && at == 3 * hw + 3,
          "h = 0: error at the h entry");
    c->h = (loss_head){.version = LOSS_V1, .classes = 2, .na = 1, .h = 1, .w = 2};
    memset(c->tgt, 0, 14 * sizeof *c->tgt);
    double row[7] = {1, 0.7, 0.5, 0.2, 0.2, 0, 2};
    memcpy(c->tgt + 7, row, sizeof row);
    CHECK(loss_check_target(&c->h, c->tgt, &at, &why) < 0 && at == 13,
          "v1: class entry 2 refused at its index (%s)", why);
    free(c);
}

int main(void)
{
    test_defaults();
    test_hand_v1();
    test_hand_v3();
    test_hand_iou();
    test_hand_smooth();
    static const fdspec specs[] = {
        {"v1", LOSS_V1, 0, 0, 0, 0, 0, 0, 0, 0},
        {"v1 softmax", LOSS_V1, 0, 1, 0, 0, 0, 0, 0, 0},
        {"v2 seed", LOSS_V2, LOSS_SEED, 1, 0, 0, 0, 0, 0, 0},
        {"v2 darknet", LOSS_V2, LOSS_DARKNET, 1, LOSS_WARMUP_IMAGES, 0, 0, 0, 0, 0},
        {"v2 darknet, warm-up", LOSS_V2, LOSS_DARKNET, 1, 100, 0, 0, 0, 0, 0},
        {"v3", LOSS_V3, 0, 0, 0, 0, 0, 0, 0, 0},
        {"v3 scale_x_y 1.2, iou_normalizer .5, cls_normalizer 2", LOSS_V3, 0, 0, 0,
         LOSS_BOX_MSE, 1.2, .5, 2, 0},
        {"v3 iou", LOSS_V3, 0, 0, 0, LOSS_BOX_IOU, 0, 0, 0, 0},
        {"v3 giou", LOSS_V3, 0, 0, 0, LOSS_BOX_GIOU, 1.1, 0, 0, 0},
        {"v3 diou", LOSS_V3, 0, 0, 0, LOSS_BOX_DIOU, 0, .3, 0, 0},
        {"v3 ciou (alpha held constant), scale_x_y 1.05, iou_normalizer .07", LOSS_V3, 0, 0, 0,
         LOSS_BOX_CIOU, 1.05, .07, 0, 0},
        {"v2 seed, label smoothing .1", LOSS_V2, LOSS_SEED, 1, 0, 0, 0, 0, 0, .1},
        {"v2 darknet, label smoothing .3", LOSS_V2, LOSS_DARKNET, 1, LOSS_WARMUP_IMAGES, 0, 0, 0,
         0, .3},
        {"v3, label smoothing .1, cls_normalizer 2", LOSS_V3, 0, 0, 0, 0, 0, 0, 2, .1},
        {"v3 ciou, label smoothing .05", LOSS_V3, 0, 0, 0, LOSS_BOX_CIOU, 0, 0, 0, .05},
    };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++)
        test_fd(&specs[i]);
    test_check_target();
    return check_done();
}
