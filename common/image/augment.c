/* Detection augmentation (include/yolo/image/augment.h), after darknet's
 * load_data_detection, place_image and random_distort_image. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/image/augment.h"

aug_config aug_defaults(void)
{
    return (aug_config){.enabled = 1, .jitter = 0.2, .scale_lo = 1, .scale_hi = 1, .hue = 0,
                        .saturation = 1, .exposure = 1, .flip = 1};
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

int aug_apply(const aug_draw *d, const img *src, int net_w, int net_h, img *dst, img_transform *t,
              yerr *err)
{
    /* darknet: the longer side (by the new aspect) spans scale * the network's,
     * sizes and offsets truncated to whole pixels */
    double ar = (double)src->w / src->h * d->aspect, nw, nh;
    if (ar < 1)
        nh = d->scale * net_h, nw = nh * ar;
    else
        nw = d->scale * net_w, nh = nw / ar;
    int iw = nw < 1 ? 1 : (int)nw, ih = nh < 1 ? 1 : (int)nh;
    int ox = (int)(d->ux * (net_w - nw)), oy = (int)(d->uy * (net_h - nh));
    img sized = {0};
    if (img_resize(src, iw, ih, &sized, err) < 0)
        return -1;
    if (img_alloc(dst, net_w, net_h, src->c, err) < 0) {
        img_free(&sized);
        return -1;
    }
    for (size_t i = 0; i < (size_t)net_w * net_h * src->c; i++)
        dst->data[i] = 0.5f;
    paste(&sized, dst, ox, oy);
    img_free(&sized);
    if (dst->c == 3 && (d->dhue != 0 || d->dsat != 1 || d->dexp != 1))
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
