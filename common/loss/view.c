/* The picture of one record under --mosaic, --mixup and --affine, and its
 * truth boxes (include/yolo/loss/view.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/loss/view.h"

/* ---- the draws ------------------------------------------------------------------ */

/* One picture of d's record from the streams of vs (the picture's seed);
 * own is its own source. */
static void draw_pic(const view_draw *d, uint64_t vs, size_t own, view_pic *p)
{
    const uint64_t k = d->number;
    yrng r;
    memset(p, 0, sizeof *p);
    aug_record_rng(&r, vs, k);   /* for the first picture, the stream encode-targets always used */
    p->place = aug_sample(d->aug, &r);
    p->src[0] = own;
    if (d->opts.mosaic > 0 && d->npool > 0) {
        aug_record_rng(&r, vs ^ VIEW_MOSAIC_STREAM, k);
        if (rng_uniform(&r) < d->opts.mosaic) {
            size_t other[3];
            for (int i = 0; i < 3; i++)
                other[i] = (size_t)rng_below(&r, d->npool);
            p->mosaic = 1;
            p->m = aug_mosaic_sample(d->aug, d->w, d->h, &r);
            for (int q = 0, i = 0; q < 4; q++)
                p->src[q] = q == p->m.own ? own : other[i++];
        }
    }
    if (d->opts.affine) {
        aug_record_rng(&r, vs ^ VIEW_AFFINE_STREAM, k);
        p->affine = 1;
        p->A = aug_affine_sample(d->aug, d->w, d->h, &r);
        if (p->mosaic)   /* twice the picture's size: a shrinking map brings in more of it */
            p->m.mx = d->w / 2, p->m.my = d->h / 2;
    }
}

void view_plan_draw(const view_draw *d, view_plan *p)
{
    memset(p, 0, sizeof *p);
    draw_pic(d, d->seed, VIEW_OWN, &p->pic[0]);
    p->npic = 1;
    if (d->opts.mixup > 0 && d->npool > 0) {
        yrng r;
        aug_record_rng(&r, d->seed ^ VIEW_MIXUP_STREAM, d->number);
        if (rng_uniform(&r) < d->opts.mixup) {
            size_t partner = (size_t)rng_below(&r, d->npool);
            p->weight = rng_beta(&r, VIEW_BETA, VIEW_BETA);
            draw_pic(d, d->seed ^ VIEW_PARTNER_SEED, partner, &p->pic[1]);
            p->npic = 2;
        }
    }
}

/* ---- placing the sources ------------------------------------------------------------ */

static int nuses(const view_pic *p) { return p->mosaic ? 4 : 1; }

/* The pixels a mosaic is made in: its frame and margins, only the part the
 * affine map will sample (a map that enlarges needs less than the frame). */
static void mosaic_reach(const view_pic *p, int w, int h, int r[4])
{
    r[0] = -p->m.mx, r[1] = -p->m.my, r[2] = w + p->m.mx, r[3] = h + p->m.my;
    if (!p->affine)
        return;
    int a[4];
    aug_affine_reach(&p->A, w, h, a);
    r[0] = a[0] > r[0] ? a[0] : r[0], r[1] = a[1] > r[1] ? a[1] : r[1];
    r[2] = a[2] < r[2] ? a[2] : r[2], r[3] = a[3] < r[3] ? a[3] : r[3];
    if (r[2] <= r[0] || r[3] <= r[1])   /* nothing of it sampled: one grey pixel */
        r[2] = r[0] + 1, r[3] = r[1] + 1;
}

int view_begin(view *v, const view_plan *p, int w, int h, yerr *err)
{
    memset(v, 0, sizeof *v);
    v->p = p;
    v->w = w, v->h = h;
    for (int i = 0; i < 2; i++)
        v->cv[i] = (aug_canvas){.net_w = w, .net_h = h};
    for (int i = 0; i < p->npic; i++) {
        int r[4];
        if (!p->pic[i].mosaic)
            continue;
        mosaic_reach(&p->pic[i], w, h, r);
        if (img_alloc(&v->cv[i].im, r[2] - r[0], r[3] - r[1], 3, err) < 0)
            return -1;
        v->cv[i].x0 = r[0], v->cv[i].y0 = r[1];
        for (size_t j = 0; j < (size_t)(r[2] - r[0]) * (r[3] - r[1]) * 3; j++)
            v->cv[i].im.data[j] = AUG_GREY;
        v->made[i] = 1;
    }
    return 0;
}

/* The boxes of l kept for use u (original pixels). */
static int keep_boxes(view_use *u, const objlist *l, yerr *err)
{
    u->b = malloc((l->n + 1) * sizeof *u->b);
    u->cls = malloc((l->n + 1) * sizeof *u->cls);
    if (!u->b || !u->cls)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (size_t i = 0; i < l->n; i++)
        u->b[i] = l->v[i].bbox, u->cls[i] = l->v[i].cls;
    u->n = l->n;
    return 0;
}

/* im into picture i, use q. */
static int place_one(view *v, int i, int q, const img *im, const objlist *l, yerr *err)
{
    const view_pic *p = &v->p->pic[i];
    view_use *u = &v->use[i][q];
    if (p->mosaic) {
        if (aug_tile(&p->m, q, im, &v->cv[i], &u->t, err) < 0)
            return -1;
        aug_quadrant(&p->m, q, v->w, v->h, u->rect);
    } else {
        if (aug_apply(&p->place, im, v->w, v->h, &v->cv[i].im, &u->t, err) < 0)
            return -1;
        v->made[i] = 1;
        u->rect[0] = u->rect[1] = 0, u->rect[2] = v->w, u->rect[3] = v->h;
    }
    u->placed = 1;
    return keep_boxes(u, l, err);
}

int view_place(view *v, size_t s, const img *im, const objlist *l, yerr *err)
{
    for (int i = 0; i < v->p->npic; i++)
        for (int q = 0; q < nuses(&v->p->pic[i]); q++)
            if (v->p->pic[i].src[q] == s && place_one(v, i, q, im, l, err) < 0)
                return -1;
    return 0;
}

/* ---- boxes ---------------------------------------------------------------------------- */

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* A box in picture pixels: [x1, x2] x [y1, y2]. */
typedef struct pbox {
    double x1, y1, x2, y2;
} pbox;

static pbox cut(pbox b, double x0, double y0, double x1, double y1)
{
    return (pbox){clampd(b.x1, x0, x1), clampd(b.y1, y0, y1), clampd(b.x2, x0, x1),
                  clampd(b.y2, y0, y1)};
}

/* The box around b's four corners under A. */
static pbox through(const aug_affine *A, pbox b)
{
    const double *m = A->m, xs[4] = {b.x1, b.x2, b.x1, b.x2}, ys[4] = {b.y1, b.y1, b.y2, b.y2};
    pbox o = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int k = 0; k < 4; k++) {
        double x = m[0] * xs[k] + m[1] * ys[k] + m[2], y = m[3] * xs[k] + m[4] * ys[k] + m[5];
        o.x1 = fmin(o.x1, x), o.x2 = fmax(o.x2, x), o.y1 = fmin(o.y1, y), o.y2 = fmax(o.y2, y);
    }
    return o;
}

/* The truth row of box j of use u under the remnant rule: 1 kept, 0
 * nothing left (dropped), -1 too small a remnant. */
static int remnant_row(const view *v, const view_pic *p, const view_use *u, size_t j,
                       tgt_box *out)
{
    const img_transform *t = &u->t;
    box o = u->b[j];
    pbox b = {t->sx * o.x1 + t->dx, t->sy * o.y1 + t->dy, t->sx * o.x2 + t->dx,
              t->sy * o.y2 + t->dy};
    if (b.x1 > b.x2) {   /* a mirror swaps the sides */
        double s = b.x1;
        b.x1 = b.x2, b.x2 = s;
    }
    double full = (b.x2 - b.x1) * (b.y2 - b.y1);
    b = cut(b, u->rect[0], u->rect[1], u->rect[2], u->rect[3]);
    if (p->affine && b.x2 > b.x1 && b.y2 > b.y1) {
        b = cut(through(&p->A, b), 0, 0, v->w, v->h);
        full *= p->A.scale * p->A.scale;
    }
    double w = b.x2 - b.x1, h = b.y2 - b.y1;
    if (!(w > 0 && h > 0))
        return 0;
    if (!(w >= VIEW_KEEP_PX && h >= VIEW_KEEP_PX && w * h >= VIEW_KEEP_AREA * full &&
          w >= TGT_MIN_SIDE * v->w && h >= TGT_MIN_SIDE * v->h))
        return -1;
    *out = (tgt_box){(float)((b.x1 + b.x2) / 2 / v->w), (float)((b.y1 + b.y2) / 2 / v->h),
                     (float)(w / v->w), (float)(h / v->h), u->cls[j]};
    return 1;
}

/* Picture i's rows appended to out (at most max in all), counted. */
static void rows_of(const view *v, int i, int max, view_out *out, tgt_counts *cnt)
{
    const view_pic *p = &v->p->pic[i];
    int plain = !p->mosaic && !p->affine;
    for (int q = 0; q < nuses(p); q++) {
        const view_use *u = &v->use[i][q];
        for (size_t j = 0; u->placed && j < u->n; j++) {
            tgt_box tb;
            int rc = plain ? tgt_truth(&u->t, u->b[j], u->cls[j], &tb)
                           : remnant_row(v, p, u, j, &tb);
            if (rc == 0)
                cnt->dropped++;
            else if (rc < 0)
                cnt->remnants++;
            else if (out->n == max)
                cnt->over++;
            else
                out->b[out->n++] = tb;
        }
    }
}

/* The record's own image into picture 0: its use's transform, then the
 * affine map's scale and shift (its rotation left out). */
static img_transform own_transform(const view *v)
{
    const view_pic *p = &v->p->pic[0];
    img_transform t = v->use[0][p->mosaic ? p->m.own : 0].t;
    if (p->affine) {
        const double s = p->A.scale, cx = v->w / 2.0, cy = v->h / 2.0;
        /* x' = s (x - cx) + cx + shift, the shift being where the centre goes */
        double ex = p->A.m[0] * cx + p->A.m[1] * cy + p->A.m[2] - cx;
        double ey = p->A.m[3] * cx + p->A.m[4] * cy + p->A.m[5] - cy;
        t.sx *= s, t.sy *= s;
        t.dx = s * (t.dx - cx) + cx + ex;
        t.dy = s * (t.dy - cy) + cy + ey;
    }
    return t;
}

int view_finish(view *v, int max_boxes, view_out *out, tgt_counts *cnt, yerr *err)
{
    const view_plan *p = v->p;
    memset(out, 0, sizeof *out);
    size_t n = 1;
    for (int i = 0; i < p->npic; i++)
        for (int q = 0; q < 4; q++)
            n += v->use[i][q].n;
    if (!(out->b = malloc(n * sizeof *out->b)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (int i = 0; i < p->npic; i++) {
        const view_pic *pi = &p->pic[i];
        img warped = {0};
        if (!v->made[i] || !pi->affine)
            continue;
        if (aug_warp(&v->cv[i], &pi->A, &warped, err) < 0)
            return -1;
        img_free(&v->cv[i].im);
        v->cv[i] = (aug_canvas){warped, 0, 0, v->w, v->h};
    }
    out->blended = p->npic == 2 && v->made[1];
    rows_of(v, 0, max_boxes, out, cnt);
    if (out->blended) {
        aug_blend(&v->cv[0].im, &v->cv[1].im, p->weight);
        rows_of(v, 1, max_boxes, out, cnt);
    }
    cnt->boxes += out->n;
    out->t = own_transform(v);
    out->im = v->cv[0].im;
    v->cv[0].im = (img){0};
    return 0;
}

void view_free(view *v)
{
    for (int i = 0; i < 2; i++) {
        img_free(&v->cv[i].im);
        for (int q = 0; q < 4; q++) {
            free(v->use[i][q].b);
            free(v->use[i][q].cls);
        }
    }
    memset(v, 0, sizeof *v);
}
