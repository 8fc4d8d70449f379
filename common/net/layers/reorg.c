/* [reorg]: darknet's space-to-depth, which is NOT the textbook one. Its
 * loop walks the OUTPUT as if it had the input's shape [c, h, w] and, for
 * element (k, j, i), reads the input as if it had the shape
 * [c/s^2, h*s, w*s]: channel k % (c/s^2), row j*s + (k / (c/s^2)) / s,
 * column i*s + (k / (c/s^2)) % s. The declared output shape [c*s^2, h/s,
 * w/s] has the same size, so the layer is a fixed permutation; yolov2's
 * weights were trained with it, so we reproduce it. reverse=1 is the
 * inverse permutation. */
#include "yolo/net/layers.h"

int reorg_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    if (cfg_int(c, s, "stride", 1, 1, 64, &l->stride, err) < 0 ||
        cfg_int(c, s, "reverse", 0, 0, 1, &l->reverse, err) < 0 ||
        layer_unsupported(c, s, "flatten", err) < 0 || layer_unsupported(c, s, "extra", err) < 0)
        return -1;
    int st = l->stride, s2 = st * st;
    if (l->reverse) {
        if (l->c % s2 || (long long)l->h * l->w * s2 > 1 << 28)
            return cfg_fail(c, s, "stride", err, "%d channels do not divide by %d, or the "
                            "output is too large", l->c, s2);
        l->out_c = l->c / s2, l->out_h = l->h * st, l->out_w = l->w * st;
    } else {
        if (l->h % st || l->w % st || l->c % s2)
            return cfg_fail(c, s, "stride", err, "input %dx%dx%d does not divide by stride %d",
                            l->w, l->h, l->c, st);
        l->out_c = l->c * s2, l->out_h = l->h / st, l->out_w = l->w / st;
    }
    l->nout = (size_t)l->out_c * l->out_h * l->out_w;
    return 0;
}

/* The permutation on x of shape [c, h, w] (darknet's argument order): for
 * gather, out[k,j,i] = x[wide(k,j,i)]; else out[wide(k,j,i)] = x[k,j,i].
 * With add, += instead of = (backward's accumulation). */
static void permute(const float *x, int c, int h, int w, int st, int gather, int add,
                    float *out)
{
    int wide_c = c / (st * st);
#pragma omp parallel for schedule(static) if ((long)c * h * w > 65536)
    for (int k = 0; k < c; k++) {
        int c2 = k % wide_c, off = k / wide_c;
        for (int j = 0; j < h; j++)
            for (int i = 0; i < w; i++) {
                size_t narrow = (size_t)i + (size_t)w * (j + (size_t)h * k);
                size_t wide = (size_t)(i * st + off % st) +
                              (size_t)w * st * ((size_t)(j * st + off / st) + (size_t)h * st * c2);
                size_t to = gather ? narrow : wide, from = gather ? wide : narrow;
                out[to] = add ? out[to] + x[from] : x[from];
            }
    }
}

void reorg_forward(const layer *l, const network *net, const float *in)
{
    (void)net;
    for (int b = 0; b < l->batch; b++) {
        const float *x = in + (size_t)b * l->inputs;        /* [c, h, w] */
        float *out = l->out + (size_t)b * l->outputs;       /* [out_c, out_h, out_w] */
        permute(x, l->c, l->h, l->w, l->stride, !l->reverse, 0, out);
    }
}

/* A permutation: its delta goes back through the inverse one. */
void reorg_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    if (!din)
        return;
    for (int b = 0; b < l->batch; b++)
        permute(l->delta + (size_t)b * l->outputs, l->c, l->h, l->w, l->stride, l->reverse, 1,
                din + (size_t)b * l->inputs);
}
