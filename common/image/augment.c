/* Detection augmentation (include/yolo/image/augment.h), after darknet's
 * load_data_detection, place_image and random_distort_image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/image/augment.h"

aug_config aug_defaults(void)
{
    return (aug_config){.enabled = 1, .jitter = 0.2, .scale_lo = 1, .scale_hi = 1, .hue = 0,
                        .saturation = 1, .exposure = 1, .flip = 1, .affine_scale = 0,
                        .affine_translate = 0, .degrees = 0};
}

void aug_record_rng(yrng *r, uint64_t seed, uint64_t record)
{
    yrng base;
    rng_seed(&base, seed);
    /* an odd multiplier spreads neighbouring record numbers apart before
     * splitmix mixes them, so streams of neighbours are not shifted copies */
    rng_seed(r, rng_u64(&base) ^ (record * 0xd1b54a32d192ed03ull));
}

/* darknet's rand_scale: s or 1/s, s drawn in [1, max]. */
static double rand_scale(yrng *r, double max)
{
    double s = rng_range(r, 1, max);
    return rng_below(r, 2) ? s : 1 / s;
}

aug_draw aug_sample(const aug_config *a, yrng *r)
{
    aug_draw d;
    double jw = rng_range(r, -a->jitter, a->jitter), jh = rng_range(r, -a->jitter, a->jitter);
    d.aspect = (1 + jw) / (1 + jh);
    d.scale = rng_range(r, a->scale_lo, a->scale_hi);
    d.ux = rng_uniform(r);
    d.uy = rng_uniform(r);
    d.dhue = rng_range(r, -a->hue, a->hue);
    d.dsat = rand_scale(r, a->saturation);
    d.dexp = rand_scale(r, a->exposure);
    d.flip = (int)rng_below(r, 2) && a->flip;
    return d;
}

/* ---- colour ---------------------------------------------------------------- */

static float max3(float a, float b, float c) { return a > b ? (a > c ? a : c) : (b > c ? b : c); }
static float min3(float a, float b, float c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }

void aug_rgb_to_hsv(img *im)
{
    size_t n = (size_t)im->w * im->h;
    float *R = im->data, *G = R + n, *B = G + n;   /* [n] each, become H, S, V */
    for (size_t i = 0; i < n; i++) {
        float r = R[i], g = G[i], b = B[i], mx = max3(r, g, b), d = mx - min3(r, g, b), h = 0;
        if (d > 0) {
            h = r == mx ? (g - b) / d : g == mx ? 2 + (b - r) / d : 4 + (r - g) / d;
            if (h < 0)
                h += 6;
            h /= 6;
        }
        R[i] = h;
        G[i] = mx > 0 ? d / mx : 0;
        B[i] = mx;
    }
}

void aug_hsv_to_rgb(img *im)
{
    size_t n = (size_t)im->w * im->h;
    float *H = im->data, *S = H + n, *V = S + n;   /* [n] each, become R, G, B */
    double rgb[3];
    for (size_t i = 0; i < n; i++) {
        img_hsv_to_rgb(H[i], S[i], V[i], 1, rgb);
        H[i] = (float)rgb[0], S[i] = (float)rgb[1], V[i] = (float)rgb[2];
    }
}

static float clamp01(float v) { return v < 0 ? 0 : v > 1 ? 1 : v; }

void aug_distort(img *im, double dhue, double dsat, double dexp)
{
    size_t n = (size_t)im->w * im->h;
    aug_rgb_to_hsv(im);
    for (size_t i = 0; i < n; i++) {
        float h = im->data[i] + (float)dhue;
        im->data[i] = h > 1 ? h - 1 : h < 0 ? h + 1 : h;
        im->data[n + i] *= (float)dsat;
        im->data[2 * n + i] *= (float)dexp;
    }
    aug_hsv_to_rgb(im);
    for (size_t i = 0; i < 3 * n; i++)
        im->data[i] = clamp01(im->data[i]);
}

void aug_flip(img *im)
{
    for (int k = 0; k < im->c; k++)
        for (int y = 0; y < im->h; y++) {
            float *row = im->data + ((size_t)k * im->h + y) * im->w;   /* [w] */
            for (int a = 0, b = im->w - 1; a < b; a++, b--) {
                float t = row[a];
                row[a] = row[b];
                row[b] = t;
            }
        }
}

/* ---- placement --------------------------------------------------------------- */

/* src copied onto dst with its top-left corner at (ox, oy); what falls
 * outside dst is cut off. Same channel count. */
static void paste(const img *src, img *dst, int ox, int oy)
{
    int x0 = ox < 0 ? -ox : 0, y0 = oy < 0 ? -oy : 0;
    int x1 = src->w < dst->w - ox ? src->w : dst->w - ox;
    int y1 = src->h < dst->h - oy ? src->h : dst->h - oy;
    if (x1 <= x0)
        return;
    for (int k = 0; k < src->c; k++)
        for (int y = y0; y < y1; y++)
            memcpy(dst->data + ((size_t)k * dst->h + oy + y) * dst->w + ox + x0,
                   src->data + ((size_t)k * src->h + y) * src->w + x0,
                   (size_t)(x1 - x0) * sizeof *dst->data);
}

/* The size src is placed at: darknet's, the longer side (by the new aspect)
 * spanning scale * the network's; *nw, *nh exact, *iw, *ih truncated to whole
 * pixels (at least 1). */
typedef struct placed {
    double nw, nh;
    int iw, ih;
} placed;

static placed placed_size(const aug_draw *d, const img *src, int net_w, int net_h)
{
    placed p;
    double ar = (double)src->w / src->h * d->aspect;
    if (ar < 1)
        p.nh = d->scale * net_h, p.nw = p.nh * ar;
    else
        p.nw = d->scale * net_w, p.nh = p.nw / ar;
    p.iw = p.nw < 1 ? 1 : (int)p.nw, p.ih = p.nh < 1 ? 1 : (int)p.nh;
    return p;
}

static int colour_changes(const img *im, const aug_draw *d)
{
    return im->c == 3 && (d->dhue != 0 || d->dsat != 1 || d->dexp != 1);
}

int aug_apply(const aug_draw *d, const img *src, int net_w, int net_h, img *dst, img_transform *t,
              yerr *err)
{
    /* darknet: sizes and offsets truncated to whole pixels */
    placed p = placed_size(d, src, net_w, net_h);
    double nw = p.nw, nh = p.nh;
    int iw = p.iw, ih = p.ih;
    int ox = (int)(d->ux * (net_w - nw)), oy = (int)(d->uy * (net_h - nh));
    img sized = {0};
    if (img_resize(src, iw, ih, &sized, err) < 0)
        return -1;
    if (img_alloc(dst, net_w, net_h, src->c, err) < 0) {
        img_free(&sized);
        return -1;
    }
    for (size_t i = 0; i < (size_t)net_w * net_h * src->c; i++)
        dst->data[i] = AUG_GREY;
    paste(&sized, dst, ox, oy);
    img_free(&sized);
    if (colour_changes(dst, d))
        aug_distort(dst, d->dhue, d->dsat, d->dexp);
    *t = (img_transform){net_w, net_h, (double)iw / src->w, (double)ih / src->h, ox, oy};
    if (d->flip) {
        aug_flip(dst);
        t->sx = -t->sx;
        t->dx = net_w - t->dx;
    }
    return 0;
}

int aug_image(const aug_config *a, const img *src, int net_w, int net_h, yrng *r, img *dst,
              img_transform *t, yerr *err)
{
    if (a->enabled) {
        aug_draw d = aug_sample(a, r);
        return aug_apply(&d, src, net_w, net_h, dst, t, err);
    }
    if (!a->resize)
        return img_letterbox(src, net_w, net_h, dst, t, err);
    if (img_resize(src, net_w, net_h, dst, err) < 0)
        return -1;
    *t = img_resize_transform(src->w, src->h, net_w, net_h);
    return 0;
}

/* ---- mosaic ------------------------------------------------------------------ */

aug_mosaic aug_mosaic_sample(const aug_config *a, int net_w, int net_h, yrng *r)
{
    aug_mosaic m;
    m.own = (int)rng_below(r, 4);
    m.mx = m.my = 0;
    m.cx = (int)rng_range(r, AUG_MOSAIC_MARGIN * net_w, (1 - AUG_MOSAIC_MARGIN) * net_w);
    m.cy = (int)rng_range(r, AUG_MOSAIC_MARGIN * net_h, (1 - AUG_MOSAIC_MARGIN) * net_h);
    for (int q = 0; q < 4; q++)
        m.tile[q] = aug_sample(a, r);
    return m;
}

void aug_quadrant(const aug_mosaic *m, int q, int net_w, int net_h, int rect[4])
{
    rect[0] = q & 1 ? m->cx : -m->mx;
    rect[1] = q & 2 ? m->cy : -m->my;
    rect[2] = q & 1 ? net_w + m->mx : m->cx;
    rect[3] = q & 2 ? net_h + m->my : m->cy;
}

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

int aug_tile(const aug_mosaic *m, int q, const img *src, aug_canvas *cv, img_transform *t,
             yerr *err)
{
    const aug_draw *d = &m->tile[q];
    int net_w = cv->net_w, net_h = cv->net_h;
    placed p = placed_size(d, src, net_w, net_h);
    /* a top quadrant's image goes one row lower: its last row, which
     * darknet's resize may darken (img_resize), falls under the quadrant
     * below instead of drawing a line along the centre */
    int ox = q & 1 ? m->cx : m->cx - p.iw, oy = q & 2 ? m->cy : m->cy - p.ih + 1, quad[4];
    *t = (img_transform){net_w, net_h, (double)p.iw / src->w, (double)p.ih / src->h, ox, oy};
    if (d->flip) {   /* the image mirrored in its own place */
        t->sx = -t->sx;
        t->dx = ox + p.iw;
    }
    aug_quadrant(m, q, net_w, net_h, quad);
    /* the part shown (picture pixels): the image in its quadrant, where cv has pixels */
    int x0 = imax(imax(ox, quad[0]), cv->x0), y0 = imax(imax(oy, quad[1]), cv->y0);
    int x1 = imin(imin(ox + p.iw, quad[2]), cv->x0 + cv->im.w);
    int y1 = imin(imin(oy + p.ih, quad[3]), cv->y0 + cv->im.h);
    if (x1 <= x0 || y1 <= y0)
        return 0;
    /* the part shown, in the resized image's columns before the mirror */
    int win[4] = {x0 - ox, y0 - oy, x1 - ox, y1 - oy};
    if (d->flip)
        win[0] = ox + p.iw - x1, win[2] = ox + p.iw - x0;
    img part = {0};
    if (img_resize_window(src, p.iw, p.ih, win, &part, err) < 0)
        return -1;
    if (d->flip)
        aug_flip(&part);
    if (colour_changes(&part, d))
        aug_distort(&part, d->dhue, d->dsat, d->dexp);
    paste(&part, &cv->im, x0 - cv->x0, y0 - cv->y0);
    img_free(&part);
    return 0;
}

/* ---- affine ------------------------------------------------------------------ */

aug_affine aug_affine_sample(const aug_config *a, int net_w, int net_h, yrng *r)
{
    double s = rng_range(r, 1 - a->affine_scale, 1 + a->affine_scale);
    double th = rng_range(r, -a->degrees, a->degrees) * 3.14159265358979323846 / 180;
    double tx = rng_range(r, -a->affine_translate, a->affine_translate) * net_w;
    double ty = rng_range(r, -a->affine_translate, a->affine_translate) * net_h;
    double c = s * cos(th), sn = s * sin(th), mx = net_w / 2.0, my = net_h / 2.0;
    /* p' = s R (p - centre) + centre + shift */
    return (aug_affine){{c, -sn, mx - c * mx + sn * my + tx, sn, c, my - sn * mx - c * my + ty},
                        s};
}

/* Plane value at whole pixel (x, y), AUG_GREY off the picture. */
static float at(const float *plane, int w, int h, int x, int y)
{
    return x < 0 || y < 0 || x >= w || y >= h ? AUG_GREY : plane[(size_t)y * w + x];
}

/* The picture's point (x, y) under A's inverse. */
static void back(const aug_affine *A, double x, double y, double *bx, double *by)
{
    const double *m = A->m, det = m[0] * m[4] - m[1] * m[3], u = x - m[2], v = y - m[5];
    *bx = (m[4] * u - m[1] * v) / det;
    *by = (m[0] * v - m[3] * u) / det;
}

void aug_affine_reach(const aug_affine *A, int net_w, int net_h, int rect[4])
{
    double x0 = INFINITY, y0 = INFINITY, x1 = -INFINITY, y1 = -INFINITY;
    for (int k = 0; k < 4; k++) {
        double bx, by;
        back(A, k & 1 ? net_w : 0, k & 2 ? net_h : 0, &bx, &by);
        x0 = fmin(x0, bx), x1 = fmax(x1, bx), y0 = fmin(y0, by), y1 = fmax(y1, by);
    }
    rect[0] = (int)floor(x0) - 1, rect[1] = (int)floor(y0) - 1;
    rect[2] = (int)ceil(x1) + 1, rect[3] = (int)ceil(y1) + 1;
}

int aug_warp(const aug_canvas *cv, const aug_affine *A, img *dst, yerr *err)
{
    const img *src = &cv->im;
    const int w = cv->net_w, h = cv->net_h;
    img out = {0};
    if (img_alloc(&out, w, h, src->c, err) < 0)
        return -1;
    const int sw = src->w, sh = src->h;
    size_t n = (size_t)sw * sh, no = (size_t)w * h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            /* this pixel's centre mapped back, in src's pixel indices */
            double sx, sy;
            back(A, x + 0.5, y + 0.5, &sx, &sy);
            sx -= 0.5 + cv->x0, sy -= 0.5 + cv->y0;
            double fx0 = floor(sx), fy0 = floor(sy);
            if (!(fx0 > -2 && fx0 < sw && fy0 > -2 && fy0 < sh)) {
                for (int k = 0; k < src->c; k++)
                    out.data[k * no + (size_t)y * w + x] = AUG_GREY;
                continue;
            }
            int x0 = (int)fx0, y0 = (int)fy0;
            int inner = x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh;
            float fx = (float)(sx - fx0), fy = (float)(sy - fy0), nb[4];
            for (int k = 0; k < src->c; k++) {
                const float *p = src->data + k * n;
                if (inner) {   /* the four neighbours on the picture: no checks */
                    const float *q = p + (size_t)y0 * sw + x0;
                    nb[0] = q[0], nb[1] = q[1], nb[2] = q[sw], nb[3] = q[sw + 1];
                } else {
                    nb[0] = at(p, sw, sh, x0, y0), nb[1] = at(p, sw, sh, x0 + 1, y0);
                    nb[2] = at(p, sw, sh, x0, y0 + 1), nb[3] = at(p, sw, sh, x0 + 1, y0 + 1);
                }
                float top = (1 - fx) * nb[0] + fx * nb[1], bot = (1 - fx) * nb[2] + fx * nb[3];
                out.data[k * no + (size_t)y * w + x] = (1 - fy) * top + fy * bot;
            }
        }
    *dst = out;
    return 0;
}

/* ---- mixup ------------------------------------------------------------------- */

void aug_blend(img *a, const img *b, double wa)
{
    size_t n = (size_t)a->w * a->h * a->c;
    for (size_t i = 0; i < n; i++)
        a->data[i] = (float)(wa * a->data[i] + (1 - wa) * b->data[i]);
}
