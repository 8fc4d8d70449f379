/* [maxpool]: darknet's padding is the TOTAL padding (default size-1), of
 * which pad/2 goes before the image; what falls outside never wins. So a
 * size=2 stride=1 pool keeps the shape, padding only right and bottom.
 * In a training network the forward pass also keeps where each max is
 * (l->indexes), and the backward pass sends each delta there.
 * AlexeyAB's maxpool_depth=1 pools across channels instead: output channel
 * g at each position is the max of input channels g, g + out_channels,
 * g + 2*out_channels, ...; in training it keeps which input channel's
 * value won, and the backward pass sends the delta there. */
#include <float.h>

#include "yolo/net/isa.h"
#include "yolo/net/layers.h"

/* AlexeyAB's options this project does not implement: only their defaults
 * (stride_x and stride_y: the stride). */
static int maxpool_ab_defaults(layer *l, cfg *c, cfg_section *s, yerr *err)
{
    int sx, sy;
    if (cfg_int(c, s, "stride_x", l->stride, 1, 64, &sx, err) < 0 ||
        cfg_int(c, s, "stride_y", l->stride, 1, 64, &sy, err) < 0)
        return -1;
    if (sx != l->stride || sy != l->stride)
        return cfg_fail(c, s, sx != l->stride ? "stride_x" : "stride_y", err,
                        "a stride other than stride=%d is not supported by this project",
                        l->stride);
    static const char *const keys[] = {"antialiasing", "maxpool_zero_nonmax"};
    for (int k = 0; k < 2; k++) {
        int v;
        if (cfg_int(c, s, keys[k], 0, 0, 1 << 16, &v, err) < 0)
            return -1;
        if (v)
            return cfg_fail(c, s, keys[k], err, "not supported by this project");
    }
    return 0;
}

/* maxpool_depth: the shape stays, out_channels channels. */
static int depth_make(layer *l, cfg *c, cfg_section *s, yerr *err)
{
    if (cfg_int(c, s, "out_channels", 1, 1, 1 << 16, &l->out_c, err) < 0)
        return -1;
    if (l->out_c > l->c)
        return cfg_fail(c, s, "out_channels", err, "%d output channels from %d input channels",
                        l->out_c, l->c);
    l->out_h = l->h, l->out_w = l->w;
    l->nout = (size_t)l->out_c * l->out_h * l->out_w;
    return 0;
}

int maxpool_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    if (cfg_int(c, s, "stride", 1, 1, 64, &l->stride, err) < 0 ||
        cfg_int(c, s, "size", l->stride, 1, 64, &l->size, err) < 0 ||
        cfg_int(c, s, "padding", l->size - 1, 0, 64, &l->pad, err) < 0 ||
        cfg_int(c, s, "maxpool_depth", 0, 0, 1, &l->depth, err) < 0 ||
        maxpool_ab_defaults(l, c, s, err) < 0)
        return -1;
    if (l->depth)
        return depth_make(l, c, s, err);
    if (cfg_has(s, "out_channels"))
        return cfg_fail(c, s, "out_channels", err, "only with maxpool_depth=1");
    if (l->h + l->pad < l->size || l->w + l->pad < l->size)
        return cfg_fail(c, s, "size", err, "window %d larger than the %dx%d input", l->size,
                        l->w, l->h);
    l->out_h = (l->h + l->pad - l->size) / l->stride + 1;
    l->out_w = (l->w + l->pad - l->size) / l->stride + 1;
    l->out_c = l->c;
    l->nout = (size_t)l->out_c * l->out_h * l->out_w;
    return 0;
}

/* The max of the window at (y0, x0); what falls outside never wins, nor
 * does NaN (darknet's `v > max` from -FLT_MAX). */
ISA_INLINE float window_max(const layer *l, const float *src, int y0, int x0, int checked)
{
    float best = -FLT_MAX;
    for (int ky = 0; ky < l->size; ky++)
        for (int kx = 0; kx < l->size; kx++) {
            int y = y0 + ky, x = x0 + kx;
            if (checked && (y < 0 || y >= l->h || x < 0 || x >= l->w))
                continue;
            float v = src[y * l->w + x];
            best = v > best ? v : best;
        }
    return best;
}

/* One output row of one plane: bounds checked at the edges only; the
 * common 2x2 stride-2 window written out. */
ISA_INLINE void pool_row(const layer *l, const float *src, int oy, float *dst)
{
    int off = -l->pad / 2, lo, hi, y0 = off + oy * l->stride;
    layer_inside(l->w - l->size + 1, l->out_w, 0, l->stride, -off, &lo, &hi);
    if (y0 < 0 || y0 + l->size > l->h)
        lo = hi = 0;                         /* the window leaves the rows */
    for (int ox = 0; ox < lo; ox++)
        dst[ox] = window_max(l, src, y0, off + ox * l->stride, 1);
    if (l->size == 2 && l->stride == 2)
        for (int ox = lo; ox < hi; ox++) {
            const float *a = src + y0 * l->w + off + 2 * ox, *b = a + l->w;   /* [2], [2] */
            float m = -FLT_MAX;
            m = a[0] > m ? a[0] : m;
            m = a[1] > m ? a[1] : m;
            m = b[0] > m ? b[0] : m;
            dst[ox] = b[1] > m ? b[1] : m;
        }
    else
        for (int ox = lo; ox < hi; ox++)
            dst[ox] = window_max(l, src, y0, off + ox * l->stride, 0);
    for (int ox = hi; ox < l->out_w; ox++)
        dst[ox] = window_max(l, src, y0, off + ox * l->stride, 1);
}

/* Where the window at (y0, x0) takes its max: the first largest inside
 * value, as `v > best` from -FLT_MAX finds it (darknet's index); -1 if no
 * value beats -FLT_MAX (all NaN). */
ISA_INLINE int window_argmax(const layer *l, const float *src, int y0, int x0)
{
    float best = -FLT_MAX;
    int at = -1;
    for (int ky = 0; ky < l->size; ky++)
        for (int kx = 0; kx < l->size; kx++) {
            int y = y0 + ky, x = x0 + kx;
            if (y < 0 || y >= l->h || x < 0 || x >= l->w || !(src[y * l->w + x] > best))
                continue;
            best = src[y * l->w + x];
            at = y * l->w + x;
        }
    return at;
}

/* Training: the max of the window at (y0, x0) into *dst and where it is
 * (window_argmax) into *at. */
ISA_INLINE void window_put(const layer *l, const float *src, int y0, int x0, float *dst, int *at)
{
    *at = window_argmax(l, src, y0, x0);
    *dst = *at >= 0 ? src[*at] : -FLT_MAX;
}

/* The 2x2 stride-2 windows of output columns [lo, hi), inside the plane,
 * of the row pair starting at src[row] ([2, w]): window_argmax's
 * comparisons in its order, as selects (vectorised), not branches. */
ISA_INLINE void row_put2(const float *src, int row, int w, int lo, int hi, float *dst, int *at)
{
#pragma omp simd
    for (int ox = lo; ox < hi; ox++) {
        int base = row + 2 * ox, where = -1, k;
        float m = -FLT_MAX, v;
        v = src[base], k = v > m, where = k ? base : where, m = k ? v : m;
        v = src[base + 1], k = v > m, where = k ? base + 1 : where, m = k ? v : m;
        v = src[base + w], k = v > m, where = k ? base + w : where, m = k ? v : m;
        v = src[base + w + 1], k = v > m, where = k ? base + w + 1 : where, m = k ? v : m;
        dst[ox] = m, at[ox] = where;
    }
}

/* One output row of one plane for training: pool_row's values and their
 * indexes at [out_w]. */
ISA_INLINE void pool_row_index(const layer *l, const float *src, int oy, float *dst, int *at)
{
    int off = -l->pad / 2, lo, hi, y0 = off + oy * l->stride;
    layer_inside(l->w - l->size + 1, l->out_w, 0, l->stride, -off, &lo, &hi);
    if (y0 < 0 || y0 + l->size > l->h || l->size != 2 || l->stride != 2)
        lo = hi = 0;                         /* every window the general way */
    for (int ox = 0; ox < lo; ox++)
        window_put(l, src, y0, off + ox * l->stride, dst + ox, at + ox);
    row_put2(src, y0 * l->w + off, l->w, lo, hi, dst, at);
    for (int ox = hi; ox < l->out_w; ox++)
        window_put(l, src, y0, off + ox * l->stride, dst + ox, at + ox);
}

/* Plane p of maxpool_forward. */
ISA_INLINE void pool_plane_body(const layer *l,
                                                                 const float *in, int p)
{
    size_t per = (size_t)l->out_h * l->out_w;
    const float *src = in + (size_t)p * l->h * l->w;            /* [h, w] */
    float *dst = l->out + (size_t)p * per;                      /* [out_h, out_w] */
    for (int oy = 0; oy < l->out_h; oy++)
        if (l->indexes)                  /* training: backward reads them */
            pool_row_index(l, src, oy, dst + (size_t)oy * l->out_w,
                           l->indexes + (size_t)p * per + (size_t)oy * l->out_w);
        else
            pool_row(l, src, oy, dst + (size_t)oy * l->out_w);
}
ISA_CLONES(pool_plane, (const layer *l, const float *in, int p), (l, in, p))

/* maxpool_depth: out [batch, out_c, h, w], channel g the max over input
 * channels g + k*out_c (k >= 0) at each position; NaN never wins. In
 * training, indexes [batch, out_c, h, w] = where in the image's input
 * ([c, h, w]) the max is: the first largest channel, -1 if none beats
 * -FLT_MAX. */
static void depth_forward(const layer *l, const float *in)
{
    size_t hw = (size_t)l->h * l->w;
#pragma omp parallel for collapse(2) schedule(static) if ((long)l->batch * l->c * hw > 65536)
    for (int b = 0; b < l->batch; b++)
        for (int g = 0; g < l->out_c; g++) {
            size_t o = ((size_t)b * l->out_c + g) * hw;
            float *dst = l->out + o;                            /* [h, w] */
            int *at = l->indexes ? l->indexes + o : NULL;       /* [h, w] */
            for (size_t i = 0; i < hw; i++)
                dst[i] = -FLT_MAX;
            if (at)
                for (size_t i = 0; i < hw; i++)
                    at[i] = -1;
            for (int k = g; k < l->c; k += l->out_c) {
                const float *src = in + ((size_t)b * l->c + k) * hw;
                for (size_t i = 0; i < hw; i++) {
                    if (at && src[i] > dst[i])
                        at[i] = (int)((size_t)k * hw + i);
                    dst[i] = src[i] > dst[i] ? src[i] : dst[i];
                }
            }
        }
}

/* Each output's delta to the input channel its max came from. */
static void depth_backward(const layer *l, float *din)
{
    size_t hw = (size_t)l->h * l->w, per = (size_t)l->out_c * hw;
    for (int b = 0; b < l->batch; b++) {
        const float *d = l->delta + b * per;                    /* [out_c, h, w] */
        const int *at = l->indexes + b * per;
        float *dst = din + (size_t)b * l->inputs;               /* [c, h, w] */
        for (size_t o = 0; o < per; o++)
            if (at[o] >= 0)
                dst[at[o]] += d[o];
    }
}

void maxpool_forward(const layer *l, const network *net, const float *in)
{
    (void)net;
    if (l->depth) {
        depth_forward(l, in);
        return;
    }
    void (*plane)(const layer *, const float *, int) = ISA_PICK(isa_active(), pool_plane);
    int planes = l->batch * l->c;
#pragma omp parallel for schedule(static) if ((long)planes * l->out_h * l->out_w > 65536)
    for (int p = 0; p < planes; p++)
        plane(l, in, p);
}

/* Each output's delta goes to the input its max came from (the index the
 * forward pass kept). */
void maxpool_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    if (!din)
        return;
    if (l->depth) {
        depth_backward(l, din);
        return;
    }
    int planes = l->batch * l->c;
    size_t per = (size_t)l->out_h * l->out_w;
#pragma omp parallel for schedule(static) if ((long)planes * l->out_h * l->out_w > 65536)
    for (int p = 0; p < planes; p++) {
        const float *d = l->delta + (size_t)p * per;                    /* [out_h, out_w] */
        const int *at = l->indexes + (size_t)p * per;                   /* [out_h, out_w] */
        float *dst = din + (size_t)p * l->h * l->w;                     /* [h, w] */
        for (size_t o = 0; o < per; o++)
            if (at[o] >= 0)
                dst[at[o]] += d[o];
    }
}
