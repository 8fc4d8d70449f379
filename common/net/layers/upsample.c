/* [upsample]: nearest-neighbour by an integer stride, times scale. A
 * negative stride makes it darknet's "downsample": each output is the SUM
 * (times scale) of its stride x stride block, not the mean. */
#include <string.h>

#include "yolo/net/layers.h"

int upsample_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    int st = 2;
    if (cfg_int(c, s, "stride", 2, -64, 64, &st, err) < 0 ||
        cfg_float(c, s, "scale", 1, -1e6f, 1e6f, &l->scale, err) < 0)
        return -1;
    if (st == 0)
        return cfg_fail(c, s, "stride", err, "stride 0");
    l->reverse = st < 0;
    l->stride = st < 0 ? -st : st;
    if (!l->reverse && (long long)l->h * l->w * l->stride * l->stride > 1 << 28)
        return cfg_fail(c, s, "stride", err, "upsampling %dx%d by %d is too large", l->w, l->h,
                        l->stride);
    l->out_c = l->c;
    l->out_h = l->reverse ? l->h / l->stride : l->h * l->stride;
    l->out_w = l->reverse ? l->w / l->stride : l->w * l->stride;
    if (l->out_h == 0 || l->out_w == 0)
        return cfg_fail(c, s, "stride", err, "downsampling %dx%d by %d leaves nothing", l->w,
                        l->h, l->stride);
    l->nout = (size_t)l->out_c * l->out_h * l->out_w;
    return 0;
}

void upsample_forward(const layer *l, const network *net, const float *in)
{
    (void)net;
    int st = l->stride, planes = l->batch * l->c;
    /* the small side is [sh, sw], the large one [sh*st, sw*st] */
    int sh = l->reverse ? l->out_h : l->h, sw = l->reverse ? l->out_w : l->w;
    /* the large side's row length: a downsampled input whose size does not
     * divide by the stride has columns no block covers (they are cropped) */
    size_t lw = (size_t)(l->reverse ? l->w : l->out_w);
    if (l->reverse)
        memset(l->out, 0, (size_t)l->batch * l->outputs * sizeof *l->out);
#pragma omp parallel for schedule(static) if ((long)planes * sh * sw * st * st > 65536)
    for (int p = 0; p < planes; p++) {
        const float *src = in + (size_t)p * l->h * l->w;            /* [h, w] */
        float *dst = l->out + (size_t)p * l->out_h * l->out_w;      /* [out_h, out_w] */
        for (int j = 0; j < sh * st; j++)
            for (int i = 0; i < sw * st; i++) {
                size_t small = (size_t)(j / st) * sw + i / st, large = (size_t)j * lw + i;
                if (l->reverse)
                    dst[small] += l->scale * src[large];
                else
                    dst[large] = l->scale * src[small];
            }
    }
}

/* The adjoint: upsampling's delta is summed over each block (times scale);
 * downsampling's is spread back to each element of its block. */
void upsample_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    if (!din)
        return;
    int st = l->stride, planes = l->batch * l->c;
    int sh = l->reverse ? l->out_h : l->h, sw = l->reverse ? l->out_w : l->w;
    size_t lw = (size_t)(l->reverse ? l->w : l->out_w);
#pragma omp parallel for schedule(static) if ((long)planes * sh * sw * st * st > 65536)
    for (int p = 0; p < planes; p++) {
        const float *d = l->delta + (size_t)p * l->out_h * l->out_w;  /* [out_h, out_w] */
        float *dst = din + (size_t)p * l->h * l->w;                     /* [h, w] */
        for (int j = 0; j < sh * st; j++)
            for (int i = 0; i < sw * st; i++) {
                size_t small = (size_t)(j / st) * sw + i / st, large = (size_t)j * lw + i;
                if (l->reverse)
                    dst[large] += l->scale * d[small];
                else
                    dst[small] += l->scale * d[large];
            }
    }
}
