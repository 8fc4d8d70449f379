/* The YOLO losses and their gradients (include/yolo/loss/loss.h; every formula
 * is written out in docs/losses.md, with the same names as here). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/data/box.h"
#include "yolo/loss/loss.h"

#define LOSS_PI 3.14159265358979323846

/* ---- parameters ---------------------------------------------------------- */

loss_params loss_params_for(const loss_cfg *cfg, int version)
{
    /* v1: yolov1.cfg and the paper; v2: yolov2-voc.cfg (the seed uses the
     * same scales); v3: yolov3.cfg (every [yolo] has ignore_thresh = .7). */
    loss_params p = {.coord = 1, .obj = 5, .noobj = 1, .cls = 1, .thresh = 0.6};
    if (version == LOSS_V1)
        p = (loss_params){.coord = 5, .obj = 1, .noobj = 0.5, .cls = 1, .thresh = 0};
    else if (version == LOSS_V3)
        p = (loss_params){.coord = 1, .obj = 1, .noobj = 1, .cls = 1, .thresh = 0.7};
    const loss_params *g = &cfg->given;
    if (!isnan(g->coord))
        p.coord = g->coord;
    if (!isnan(g->obj))
        p.obj = g->obj;
    if (!isnan(g->noobj))
        p.noobj = g->noobj;
    if (!isnan(g->cls))
        p.cls = g->cls;
    double th = version == LOSS_V3 ? cfg->ignore_thresh : version == LOSS_V2 ? g->thresh : NAN;
    if (!isnan(th))
        p.thresh = th;
    return p;
}

double loss_total(const loss_terms *t) { return t->xy + t->wh + t->obj + t->noobj + t->cls; }

int loss_box_kind(const char *word)
{
    static const char *const words[] = {"mse", "iou", "giou", "diou", "ciou"};
    for (int k = 0; k < (int)(sizeof words / sizeof *words); k++)
        if (!strcmp(word, words[k]))
            return k;
    return -1;
}

size_t loss_head_preds(const loss_head *h) { return (size_t)h->na * h->h * h->w; }

size_t loss_head_size(const loss_head *h)
{
    size_t cells = (size_t)h->h * h->w;
    if (h->version == LOSS_V1)
        return cells * ((size_t)h->na * 5 + h->classes);
    return loss_head_preds(h) * (5 + (size_t)h->classes);
}

/* ---- small maths ------------------------------------------------------------ */

static double sigm(double x) { return x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)); }
/* log(sigm(x)), without overflow; log(1 - sigm(x)) is log_sigm(-x). */
static double log_sigm(double x) { return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x)); }
/* Binary entropy of a target in [0, 1] (0 log 0 = 0): the least BCE(., g). */
static double entropy(double g)
{
    if (!(g > 0 && g < 1))
        return 0;
    return -g * log(g) - (1 - g) * log(1 - g);
}

static box centre_box(double cx, double cy, double w, double h)
{
    return (box){cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2};
}

/* Softmax cross-entropy of logits z[k*stride] against the one-hot q (the
 * same layout) smoothed by eps, q' = q (1 - eps) + eps / n: returns
 * -sum q' log softmax(z) and adds s * (softmax - q') to g (q' sums to 1). */
static double softmax_ce(const double *z, const double *q, double eps, double *g, int n,
                         size_t stride, double s)
{
    double m = z[0];
    for (int k = 1; k < n; k++)
        m = fmax(m, z[k * stride]);
    double sum = 0;
    for (int k = 0; k < n; k++)
        sum += exp(z[k * stride] - m);
    double lse = m + log(sum), ce = 0;
    for (int k = 0; k < n; k++) {
        size_t i = k * stride;
        double qs = q[i] * (1 - eps) + eps / n;
        ce -= qs * (z[i] - lse);
        g[i] += s * (exp(z[i] - lse) - qs);
    }
    return ce;
}

/* ---- region and yolo heads (v2, v3) ------------------------------------------ */

/* Flat index of entry k of anchor a at cell (cell = y*W + x). */
static size_t gidx(const loss_head *h, int a, int k, size_t cell)
{
    size_t hw = (size_t)h->h * h->w;
    return ((size_t)a * (5 + h->classes) + k) * hw + cell;
}

/* The centre's offset in its cell from the logit t: sigm(t), or with
 * AlexeyAB's scale_x_y s (v3), s sigm(t) - (s - 1) / 2. */
static double centre_offset(const loss_head *h, double t)
{
    double s = h->version == LOSS_V3 ? h->scale_xy : 1;
    return s * sigm(t) - (s - 1) / 2;
}

/* The prediction's box (centre x, y and size w, h), fractions of the
 * network input, into c[4]. Anchors are grid cells for v2 and network
 * pixels for v3. */
static void grid_pred_xywh(const loss_head *h, const double *out, int a, size_t cell, double c[4])
{
    int x = (int)(cell % h->w), y = (int)(cell / h->w);
    double sw = h->version == LOSS_V2 ? h->w : h->net_w;
    double sh = h->version == LOSS_V2 ? h->h : h->net_h;
    c[0] = (x + centre_offset(h, out[gidx(h, a, 0, cell)])) / h->w;
    c[1] = (y + centre_offset(h, out[gidx(h, a, 1, cell)])) / h->h;
    c[2] = h->anchors[2 * a] * exp(out[gidx(h, a, 2, cell)]) / sw;
    c[3] = h->anchors[2 * a + 1] * exp(out[gidx(h, a, 3, cell)]) / sh;
}

static box grid_pred(const loss_head *h, const double *out, int a, size_t cell)
{
    double c[4];
    grid_pred_xywh(h, out, a, cell, c);
    return centre_box(c[0], c[1], c[2], c[3]);
}

static box grid_target(const loss_head *h, const double *tgt, int a, size_t cell)
{
    return centre_box(tgt[gidx(h, a, 0, cell)], tgt[gidx(h, a, 1, cell)],
                      tgt[gidx(h, a, 2, cell)], tgt[gidx(h, a, 3, cell)]);
}

static double best_truth_iou(box b, const double *truth, size_t n)
{
    double best = 0;
    for (size_t i = 0; i < n; i++) {
        const double *t = truth + 5 * i;
        double u = box_iou(b, centre_box(t[0], t[1], t[2], t[3]));
        if (u > best)
            best = u;
    }
    return best;
}

static void plan_count(loss_plan *p, double iou)
{
    p->count++;
    p->iou_sum += iou;
    p->recall50 += iou >= 0.5;
}

/* Objectness of an assigned prediction with IoU u: target and weight. */
static void plan_assigned(const loss_head *h, loss_plan *p, size_t i, double u)
{
    plan_count(p, u);
    p->conf_t[i] = h->version == LOSS_V3 ? 1 : u;  /* v2 rescores (target = IoU) */
    p->conf_w[i] = h->variant == LOSS_SEED && h->version == LOSS_V2 ? h->p.obj * u : h->p.obj;
}

/* The no-object weight of an unassigned prediction whose best IoU with any
 * truth box is best. The seed keeps the penalty where best < thresh;
 * darknet drops it where best > thresh. */
static double noobj_weight(const loss_head *h, double best)
{
    int keep = h->version == LOSS_V2 && h->variant == LOSS_SEED ? best < h->p.thresh
                                                                 : !(best > h->p.thresh);
    return keep ? h->p.noobj : 0;
}

/* ---- IoU box losses (v3, AlexeyAB's iou_loss) ------------------------------ */

/* A value and its gradient over the predicted box's (x, y, w, h). */
typedef struct dval {
    double v, d[4];
} dval;

static dval dv_const(double v) { return (dval){v, {0, 0, 0, 0}}; }
static dval dv_add(dval a, dval b, double kb)
{
    for (int i = 0; i < 4; i++)
        a.d[i] += kb * b.d[i];
    a.v += kb * b.v;
    return a;
}
static dval dv_mul(dval a, dval b)
{
    dval r = {a.v * b.v, {0}};
    for (int i = 0; i < 4; i++)
        r.d[i] = a.d[i] * b.v + a.v * b.d[i];
    return r;
}
static dval dv_div(dval a, dval b)
{
    dval r = {a.v / b.v, {0}};
    for (int i = 0; i < 4; i++)
        r.d[i] = (a.d[i] * b.v - a.v * b.d[i]) / (b.v * b.v);
    return r;
}
/* min(a, b) / max(a, b): the chosen one's gradient (a on a tie) */
static dval dv_min(dval a, dval b) { return a.v <= b.v ? a : b; }
static dval dv_max(dval a, dval b) { return a.v >= b.v ? a : b; }

/* One axis of the predicted box (centre c, size s at gradient slots ic,
 * is) and of the truth (centre g, size gs): the intersection's and the
 * enclosing box's extents. */
static void axis_extents(double c, double s, int ic, int is, double g, double gs, dval *inter,
                         dval *hull)
{
    dval lo = dv_const(c - s / 2), hi = dv_const(c + s / 2);
    lo.d[ic] = hi.d[ic] = 1;
    lo.d[is] = -.5, hi.d[is] = .5;
    dval glo = dv_const(g - gs / 2), ghi = dv_const(g + gs / 2);
    *inter = dv_add(dv_min(hi, ghi), dv_max(lo, glo), -1);
    if (inter->v <= 0)
        *inter = dv_const(0);
    *hull = dv_add(dv_max(hi, ghi), dv_min(lo, glo), -1);
}

/* CIoU's aspect term v = 4/pi^2 (atan(gw/gh) - atan(w/h))^2. */
static dval ciou_v(const double p[4], const double g[4])
{
    double k = 4 / (LOSS_PI * LOSS_PI), e = atan(g[2] / g[3]) - atan(p[2] / p[3]);
    double q = p[2] * p[2] + p[3] * p[3];
    dval v = dv_const(k * e * e);
    v.d[2] = -2 * k * e * p[3] / q;    /* d atan(w/h)/dw = h / (w^2 + h^2) */
    v.d[3] = 2 * k * e * p[2] / q;
    return v;
}

/* The box loss of prediction p against truth g (centre x, y, size w, h,
 * fractions): 1 - IoU, 1 - GIoU, 1 - DIoU or 1 - DIoU + alpha v (CIoU,
 * alpha given: held constant), with its exact gradient over p's x, y, w, h
 * (a subgradient where a min or max ties or the boxes just touch). *iou:
 * the plain IoU. */
static dval box_loss(int kind, const double p[4], const double g[4], double alpha, double *iou)
{
    dval iw, ih, cw, ch;
    axis_extents(p[0], p[2], 0, 2, g[0], g[2], &iw, &cw);
    axis_extents(p[1], p[3], 1, 3, g[1], g[3], &ih, &ch);
    dval inter = dv_mul(iw, ih), area = dv_const(p[2] * p[3]);
    area.d[2] = p[3], area.d[3] = p[2];
    dval uni = dv_add(dv_add(area, dv_const(g[2] * g[3]), 1), inter, -1);
    dval u = dv_div(inter, uni), loss = dv_add(dv_const(1), u, -1);
    *iou = u.v;
    if (kind == LOSS_BOX_GIOU)     /* 1 - IoU + (C - U) / C = 2 - IoU - U / C */
        return dv_add(dv_add(loss, dv_const(1), 1), dv_div(uni, dv_mul(cw, ch)), -1);
    if (kind == LOSS_BOX_DIOU || kind == LOSS_BOX_CIOU) {
        dval dx = dv_const(p[0] - g[0]), dy = dv_const(p[1] - g[1]);
        dx.d[0] = 1, dy.d[1] = 1;
        dval rho2 = dv_add(dv_mul(dx, dx), dv_mul(dy, dy), 1);
        dval c2 = dv_add(dv_mul(cw, cw), dv_mul(ch, ch), 1);
        loss = dv_add(loss, dv_div(rho2, c2), 1);
        if (kind == LOSS_BOX_CIOU)
            loss = dv_add(loss, ciou_v(p, g), alpha);
    }
    return loss;
}

/* CIoU's alpha = v / (1 - IoU + v) at the plan's point (0 where both are 0). */
static double ciou_alpha(const double p[4], const double g[4])
{
    double iou;
    dval l = box_loss(LOSS_BOX_IOU, p, g, 0, &iou), v = ciou_v(p, g);
    return l.v + v.v > 0 ? v.v / (l.v + v.v) : 0;
}

static void plan_grid(const loss_head *h, const double *out, const double *tgt,
                      const double *truth, size_t ntruth, loss_plan *p)
{
    size_t hw = (size_t)h->h * h->w, np = loss_head_preds(h);
    int darknet2 = h->version == LOSS_V2 && h->variant == LOSS_DARKNET;
    long weighted = 0;
    for (size_t i = 0; i < np; i++) {
        int a = (int)(i / hw);
        size_t cell = i % hw;
        box pb = grid_pred(h, out, a, cell);
        p->conf_t[i] = p->conf_w[i] = p->noobj_w[i] = p->alpha[i] = 0;
        p->warm[i] = 0;
        if (tgt[gidx(h, a, 4, cell)] == 1) {
            plan_assigned(h, p, i, box_iou(pb, grid_target(h, tgt, a, cell)));
            if (h->version == LOSS_V3 && h->box == LOSS_BOX_CIOU) {
                double pc[4], gc[4] = {tgt[gidx(h, a, 0, cell)], tgt[gidx(h, a, 1, cell)],
                                       tgt[gidx(h, a, 2, cell)], tgt[gidx(h, a, 3, cell)]};
                grid_pred_xywh(h, out, a, cell, pc);
                p->alpha[i] = ciou_alpha(pc, gc);
            }
        } else {
            p->noobj_w[i] = noobj_weight(h, best_truth_iou(pb, truth, ntruth));
            p->warm[i] = darknet2 && h->seen < LOSS_WARMUP_IMAGES;
        }
        weighted += (p->conf_w[i] > 0) + (p->noobj_w[i] > 0);
    }
    /* The seed divides its sums by their number of terms + 1e-6; max(n, 1)
     * differs from that by 1e-6 relative, and gives 0 as well for no terms. */
    p->n_coord = p->count > 0 ? (double)p->count : 1;
    p->n_conf = weighted > 0 ? (double)weighted : 1;
}

/* v2 seed: box in grid units, squared error; softmax classes. */
static void apply_seed(const loss_head *h, const loss_plan *p, const double *o,
                       const double *tgt, double *g, int a, size_t cell, loss_terms *t)
{
    int x = (int)(cell % h->w), y = (int)(cell / h->w);
    double kc = h->p.coord / p->n_coord;
    size_t ix = gidx(h, a, 0, cell), iy = gidx(h, a, 1, cell);
    size_t iw = gidx(h, a, 2, cell), ih = gidx(h, a, 3, cell);
    double sx = sigm(o[ix]), sy = sigm(o[iy]);
    double dx = sx + x - tgt[ix] * h->w, dy = sy + y - tgt[iy] * h->h;
    t->xy += kc / 2 * (dx * dx + dy * dy);
    g[ix] += kc * dx * sx * (1 - sx);
    g[iy] += kc * dy * sy * (1 - sy);
    double bw = h->anchors[2 * a] * exp(o[iw]), bh = h->anchors[2 * a + 1] * exp(o[ih]);
    double dw = bw - tgt[iw] * h->w, dh = bh - tgt[ih] * h->h;
    t->wh += kc / 2 * (dw * dw + dh * dh);
    g[iw] += kc * dw * bw;
    g[ih] += kc * dh * bh;
    size_t ic = gidx(h, a, 5, cell), hw = (size_t)h->h * h->w;
    double kk = h->p.cls / p->n_coord;
    t->cls += kk * softmax_ce(o + ic, tgt + ic, h->smooth, g + ic, h->classes, hw, kk);
}

/* v3's x or y term: k s [BCE(t, q) - H(q)] with q = (c + (s - 1)/2) / s, the
 * cell offset c taken back through scale_x_y s; its gradient k (s sigm(t) -
 * (s - 1)/2 - c) is darknet's (and AlexeyAB's) step. s = 1: BCE on c. */
static void apply_v3_centre(const loss_head *h, double k, double o, double c, double *term,
                            double *g)
{
    double s = h->scale_xy, q = (c + (s - 1) / 2) / s;
    *term += k * s * (-q * log_sigm(o) - (1 - q) * log_sigm(-o) - entropy(q));
    *g += k * (s * sigm(o) - (s - 1) / 2 - c);
}

/* v3 with an IoU box loss: k (1 - IoU etc.) of the decoded boxes, into xy;
 * the gradient through x = (i + s sigm(t_x) - (s - 1)/2) / W and w =
 * p_w e^{t_w} / net_w. */
static void apply_iou_box(const loss_head *h, const loss_plan *p, const double *o,
                          const double *tgt, double *g, int a, size_t cell, loss_terms *t)
{
    size_t idx[4], pred = (size_t)a * h->h * h->w + cell;
    double pc[4], gc[4], iou;
    for (int e = 0; e < 4; e++)
        idx[e] = gidx(h, a, e, cell), gc[e] = tgt[idx[e]];
    grid_pred_xywh(h, o, a, cell, pc);
    dval l = box_loss(h->box, pc, gc, p->alpha[pred], &iou);
    double k = h->p.coord * h->iou_norm;
    double sx = sigm(o[idx[0]]), sy = sigm(o[idx[1]]);
    double dpdt[4] = {h->scale_xy * sx * (1 - sx) / h->w, h->scale_xy * sy * (1 - sy) / h->h,
                      pc[2], pc[3]};
    t->xy += k * l.v;
    for (int e = 0; e < 4; e++)
        g[idx[e]] += k * l.d[e] * dpdt[e];
}

/* v2 darknet and v3: darknet's box targets tx = x*W - i, tw = log(w / anchor),
 * scaled by coord * (2 - w*h) (v3: times iou_normalizer). v2 squares
 * sigm(x) - tx; v3 uses BCE on it (apply_v3_centre). */
static void apply_dn_box(const loss_head *h, const double *o, const double *tgt, double *g,
                         int a, size_t cell, loss_terms *t)
{
    int x = (int)(cell % h->w), y = (int)(cell / h->w);
    size_t ix = gidx(h, a, 0, cell), iy = gidx(h, a, 1, cell);
    size_t iw = gidx(h, a, 2, cell), ih = gidx(h, a, 3, cell);
    double k = h->p.coord * (2 - tgt[iw] * tgt[ih]) * (h->version == LOSS_V3 ? h->iou_norm : 1);
    double gx = tgt[ix] * h->w - x, gy = tgt[iy] * h->h - y;
    double sx = sigm(o[ix]), sy = sigm(o[iy]);
    if (h->version == LOSS_V2) {
        t->xy += k / 2 * ((sx - gx) * (sx - gx) + (sy - gy) * (sy - gy));
        g[ix] += k * (sx - gx) * sx * (1 - sx);
        g[iy] += k * (sy - gy) * sy * (1 - sy);
    } else {
        apply_v3_centre(h, k, o[ix], gx, &t->xy, &g[ix]);
        apply_v3_centre(h, k, o[iy], gy, &t->xy, &g[iy]);
    }
    double sw = h->version == LOSS_V2 ? h->w : h->net_w;
    double sh = h->version == LOSS_V2 ? h->h : h->net_h;
    double dw = o[iw] - log(tgt[iw] * sw / h->anchors[2 * a]);
    double dh = o[ih] - log(tgt[ih] * sh / h->anchors[2 * a + 1]);
    t->wh += k / 2 * (dw * dw + dh * dh);
    g[iw] += k * dw;
    g[ih] += k * dh;
}

/* v3 classes: independent logistic units, BCE each (multi-label), against
 * the target smoothed as AlexeyAB's delta_yolo_class does: q (1 - ε) + ε/2
 * (1 to 1 - ε/2, 0 to ε/2). */
static void apply_v3_classes(const loss_head *h, const double *o, const double *tgt,
                             double *g, int a, size_t cell, loss_terms *t)
{
    double k = h->p.cls * h->cls_norm;
    for (int c = 0; c < h->classes; c++) {
        size_t i = gidx(h, a, 5 + c, cell);
        double q = tgt[i] * (1 - h->smooth) + h->smooth / 2;
        t->cls += k * (-q * log_sigm(o[i]) - (1 - q) * log_sigm(-o[i]));
        g[i] += k * (sigm(o[i]) - q);
    }
}

/* Objectness: squared error on sigm for v2 (the seed divides by n_conf),
 * BCE for v3. target q, weight w; into *term. */
static void apply_conf(const loss_head *h, const loss_plan *p, double o, double q, double w,
                       double *term, double *g)
{
    double s = sigm(o);
    if (h->version == LOSS_V3) {
        *term += -w * (q * log_sigm(o) + (1 - q) * log_sigm(-o));
        *g += w * (s - q);
        return;
    }
    double n = h->variant == LOSS_SEED ? p->n_conf : 1;
    *term += w / (2 * n) * (s - q) * (s - q);
    *g += w / n * (s - q) * s * (1 - s);
}

/* darknet v2, first 12800 images: unassigned predictions pulled towards
 * their cell's centre and their anchor's shape. */
static void apply_warm(const loss_head *h, const double *o, double *g, int a, size_t cell,
                       loss_terms *t)
{
    const double k = LOSS_WARMUP_SCALE;
    for (int e = 0; e < 4; e++) {
        size_t i = gidx(h, a, e, cell);
        if (e < 2) {
            double s = sigm(o[i]);
            t->xy += k / 2 * (s - 0.5) * (s - 0.5);
            g[i] += k * (s - 0.5) * s * (1 - s);
        } else {
            t->wh += k / 2 * o[i] * o[i];
            g[i] += k * o[i];
        }
    }
}

static void apply_grid(const loss_head *h, const loss_plan *p, const double *o,
                       const double *tgt, double *g, loss_terms *t)
{
    size_t hw = (size_t)h->h * h->w, np = loss_head_preds(h);
    for (size_t i = 0; i < np; i++) {
        int a = (int)(i / hw);
        size_t cell = i % hw, io = gidx(h, a, 4, cell);
        if (tgt[io] == 1) {
            if (h->version == LOSS_V2 && h->variant == LOSS_SEED) {
                apply_seed(h, p, o, tgt, g, a, cell, t);
            } else {
                if (h->version == LOSS_V3 && h->box != LOSS_BOX_MSE)
                    apply_iou_box(h, p, o, tgt, g, a, cell, t);
                else
                    apply_dn_box(h, o, tgt, g, a, cell, t);
                size_t ic = gidx(h, a, 5, cell);
                if (h->version == LOSS_V3)
                    apply_v3_classes(h, o, tgt, g, a, cell, t);
                else
                    t->cls += h->p.cls * softmax_ce(o + ic, tgt + ic, h->smooth, g + ic,
                                                    h->classes, hw, h->p.cls);
            }
            apply_conf(h, p, o[io], p->conf_t[i], p->conf_w[i], &t->obj, &g[io]);
            continue;
        }
        if (p->noobj_w[i] > 0)
            apply_conf(h, p, o[io], 0, p->noobj_w[i], &t->noobj, &g[io]);
        if (p->warm[i])
            apply_warm(h, o, g, a, cell, t);
    }
}

/* ---- detection heads (v1) ------------------------------------------------------ */

/* darknet's order: class scores of every cell, then confidences, then boxes. */
static size_t v1_conf(const loss_head *h, size_t pred)
{
    return (size_t)h->h * h->w * h->classes + pred;
}

static size_t v1_box(const loss_head *h, size_t pred)
{
    return (size_t)h->h * h->w * (h->classes + h->na) + pred * 4;
}

/* The prediction's box (centre, size), fractions of the input. */
static void v1_pred(const loss_head *h, const double *o, size_t cell, int b, double c[4])
{
    const double *r = o + v1_box(h, cell * h->na + b);
    c[0] = ((double)(cell % h->w) + r[0]) / h->w;
    c[1] = ((double)(cell / h->w) + r[1]) / h->h;
    c[2] = h->sqrt_wh ? r[2] * r[2] : r[2];
    c[3] = h->sqrt_wh ? r[3] * r[3] : r[3];
}

/* The responsible box of a cell: highest IoU with its truth (the first on a
 * tie); when every IoU is 0, the smallest distance between (x, y, w, h)
 * vectors, as darknet's detection layer does. Its IoU into *iou. */
static int v1_responsible(const loss_head *h, const double *o, size_t cell, const double *tb,
                          double *iou)
{
    box tbox = centre_box(tb[0], tb[1], tb[2], tb[3]);
    int best = 0;
    double best_iou = 0, best_d = INFINITY;
    for (int b = 0; b < h->na; b++) {
        double c[4];
        v1_pred(h, o, cell, b, c);
        double u = box_iou(centre_box(c[0], c[1], c[2], c[3]), tbox), d = 0;
        for (int k = 0; k < 4; k++)
            d += (c[k] - tb[k]) * (c[k] - tb[k]);
        if (best_iou > 0 || u > 0) {
            if (u > best_iou)
                best_iou = u, best = b;
        } else if (d < best_d) {
            best_d = d, best = b;
        }
    }
    *iou = best_iou;
    return best;
}

static void plan_v1(const loss_head *h, const double *o, const double *tgt, loss_plan *p)
{
    size_t cells = (size_t)h->h * h->w, per = 5 + (size_t)h->classes;
    for (size_t cell = 0; cell < cells; cell++) {
        p->resp[cell] = -1;
        for (int b = 0; b < h->na; b++) {
            size_t i = cell * h->na + b;
            p->conf_t[i] = p->conf_w[i] = 0;
            p->noobj_w[i] = h->p.noobj;
            p->warm[i] = 0;
        }
        const double *tc = tgt + cell * per;
        if (tc[0] != 1)
            continue;
        double u;
        int r = v1_responsible(h, o, cell, tc + 1, &u);
        size_t i = cell * h->na + r;
        p->resp[cell] = r;
        plan_count(p, u);
        p->conf_t[i] = u;
        p->conf_w[i] = h->p.obj;
        p->noobj_w[i] = 0;
    }
    p->n_coord = p->n_conf = 1;
}

static void apply_v1_cell(const loss_head *h, const loss_plan *p, const double *o,
                          const double *tc, double *g, size_t cell, loss_terms *t)
{
    size_t pred = cell * h->na + p->resp[cell], ib = v1_box(h, pred), ic = v1_conf(h, pred);
    double k = h->p.coord;
    double gx = tc[1] * h->w - (double)(cell % h->w), gy = tc[2] * h->h - (double)(cell / h->w);
    double gw = h->sqrt_wh ? sqrt(tc[3]) : tc[3], gh = h->sqrt_wh ? sqrt(tc[4]) : tc[4];
    double d[4] = {o[ib] - gx, o[ib + 1] - gy, o[ib + 2] - gw, o[ib + 3] - gh};
    t->xy += k * (d[0] * d[0] + d[1] * d[1]);
    t->wh += k * (d[2] * d[2] + d[3] * d[3]);
    for (int e = 0; e < 4; e++)
        g[ib + e] += 2 * k * d[e];
    double dc = o[ic] - p->conf_t[pred];
    t->obj += p->conf_w[pred] * dc * dc;
    g[ic] += 2 * p->conf_w[pred] * dc;
    size_t iz = cell * h->classes;
    if (h->softmax) {
        t->cls += h->p.cls * softmax_ce(o + iz, tc + 5, 0, g + iz, h->classes, 1, h->p.cls);
        return;
    }
    for (int c = 0; c < h->classes; c++) {
        double dz = o[iz + c] - tc[5 + c];
        t->cls += h->p.cls * dz * dz;
        g[iz + c] += 2 * h->p.cls * dz;
    }
}

static void apply_v1(const loss_head *h, const loss_plan *p, const double *o,
                     const double *tgt, double *g, loss_terms *t)
{
    size_t cells = (size_t)h->h * h->w, per = 5 + (size_t)h->classes;
    for (size_t cell = 0; cell < cells; cell++)
        if (p->resp[cell] >= 0)
            apply_v1_cell(h, p, o, tgt + cell * per, g, cell, t);
    for (size_t i = 0; i < loss_head_preds(h); i++) {
        if (p->noobj_w[i] <= 0)
            continue;
        double c = o[v1_conf(h, i)];
        t->noobj += p->noobj_w[i] * c * c;
        g[v1_conf(h, i)] += 2 * p->noobj_w[i] * c;
    }
}

/* ---- plan and apply ------------------------------------------------------------ */

void loss_plan_free(loss_plan *p)
{
    free(p->conf_t);
    free(p->conf_w);
    free(p->noobj_w);
    free(p->alpha);
    free(p->warm);
    free(p->resp);
    memset(p, 0, sizeof *p);
}

static int plan_reserve(loss_plan *p, size_t np, size_t cells, yerr *err)
{
    if (np > p->cap_p) {
        double *a = realloc(p->conf_t, np * sizeof *a);
        if (a)
            p->conf_t = a;
        double *b = a ? realloc(p->conf_w, np * sizeof *b) : NULL;
        if (b)
            p->conf_w = b;
        double *c = b ? realloc(p->noobj_w, np * sizeof *c) : NULL;
        if (c)
            p->noobj_w = c;
        double *e = c ? realloc(p->alpha, np * sizeof *e) : NULL;
        if (e)
            p->alpha = e;
        unsigned char *d = e ? realloc(p->warm, np) : NULL;
        if (!d)
            return yerr_set(err, YOLO_EIO, "out of memory");
        p->warm = d;
        p->cap_p = np;
    }
    if (cells > p->cap_cells) {
        int *r = realloc(p->resp, cells * sizeof *r);
        if (!r)
            return yerr_set(err, YOLO_EIO, "out of memory");
        p->resp = r;
        p->cap_cells = cells;
    }
    return 0;
}

int loss_plan_make(const loss_head *h, const double *out, const double *tgt,
                   const double *truth, size_t ntruth, loss_plan *p, yerr *err)
{
    size_t cells = (size_t)h->h * h->w;
    if (plan_reserve(p, loss_head_preds(h), cells, err) < 0)
        return -1;
    p->iou_sum = 0;
    p->recall50 = p->count = 0;
    if (h->version == LOSS_V1)
        plan_v1(h, out, tgt, p);
    else
        plan_grid(h, out, tgt, truth, ntruth, p);
    return 0;
}

void loss_apply(const loss_head *h, const loss_plan *p, const double *out, const double *tgt,
                double *grad, loss_terms *t)
{
    memset(grad, 0, loss_head_size(h) * sizeof *grad);
    if (h->version == LOSS_V1)
        apply_v1(h, p, out, tgt, grad, t);
    else
        apply_grid(h, p, out, tgt, grad, t);
    t->iou_sum += p->iou_sum;
    t->recall50 += p->recall50;
    t->count += p->count;
}

/* ---- target checks ---------------------------------------------------------------- */

/* An assigned target: box b[e*bs] (x, y, w, h) and classes q[c*qs]. Returns
 * -1 with *e the offending element (0-3 box, 4 + c class, or 4 when the
 * class count is wrong) and *why. */
static int check_assigned(const loss_head *h, const double *b, size_t bs, const double *q,
                          size_t qs, int *e, const char **why)
{
    for (*e = 0; *e < 4; (*e)++)
        if (!isfinite(b[*e * bs]) || (*e >= 2 && !(b[*e * bs] > 0)))
            return *why = "an assigned box needs finite x, y and w, h > 0", -1;
    int ones = 0;
    for (int c = 0; c < h->classes; c++) {
        if (q[c * qs] != 0 && q[c * qs] != 1)
            return *e = 4 + c, *why = "a class entry is neither 0 nor 1", -1;
        ones += q[c * qs] == 1;
    }
    *e = 4;
    if (ones == 0)
        return *why = "an assigned box has no class", -1;
    if (ones > 1 && h->version != LOSS_V3)
        return *why = "an assigned box has several classes (only v3 is multi-label)", -1;
    return 0;
}

int loss_check_target(const loss_head *h, const double *tgt, size_t *at, const char **why)
{
    size_t hw = (size_t)h->h * h->w;
    int e;
    if (h->version == LOSS_V1) {
        size_t per = 5 + (size_t)h->classes;
        for (size_t cell = 0; cell < hw; cell++) {
            const double *tc = tgt + cell * per;
            *at = cell * per;
            if (tc[0] != 0 && tc[0] != 1)
                return *why = "entry 0 (object) is neither 0 nor 1", -1;
            if (tc[0] == 1 && check_assigned(h, tc + 1, 1, tc + 5, 1, &e, why) < 0)
                return *at += 1 + (size_t)e, -1;
        }
        return 0;
    }
    for (size_t i = 0; i < loss_head_preds(h); i++) {
        int a = (int)(i / hw);
        size_t cell = i % hw;
        *at = gidx(h, a, 4, cell);
        if (tgt[*at] != 0 && tgt[*at] != 1)
            return *why = "entry 4 (object) is neither 0 nor 1", -1;
        if (tgt[*at] == 1 && check_assigned(h, tgt + gidx(h, a, 0, cell), hw,
                                            tgt + gidx(h, a, 5, cell), hw, &e, why) < 0)
            return *at = gidx(h, a, e < 4 ? e : e + 1, cell), -1;
    }
    return 0;
}
