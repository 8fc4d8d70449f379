/* [softmax]: over each of `groups` equal slices of the flattened input. */
#include "yolo/net/layers.h"

int softmax_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    int noloss = 0, spatial = 0;
    if (cfg_int(c, s, "groups", 1, 1, 1 << 24, &l->groups, err) < 0 ||
        cfg_float(c, s, "temperature", 1, 1e-6f, 1e6f, &l->temperature, err) < 0 ||
        cfg_int(c, s, "noloss", 0, 0, 1, &noloss, err) < 0 ||
        cfg_int(c, s, "spatial", 0, 0, 0, &spatial, err) < 0 ||
        layer_unsupported(c, s, "tree", err) < 0)
        return -1;
    if (l->inputs % l->groups)
        return cfg_fail(c, s, "groups", err, "%d groups do not divide %d inputs", l->groups,
                        l->inputs);
    /* darknet keeps the input's shape on the layer but outputs a flat vector */
    l->out_c = l->inputs, l->out_h = 1, l->out_w = 1;
    l->nout = (size_t)l->inputs;
    return 0;
}

void softmax_forward(const layer *l, const network *net, const float *in)
{
    (void)net;
    int n = l->inputs / l->groups;
    for (int b = 0; b < l->batch; b++)
        for (int g = 0; g < l->groups; g++) {
            size_t off = (size_t)b * l->inputs + (size_t)g * n;
            layer_softmax(in + off, n, 1, l->temperature, l->out + off);
        }
}

/* y = softmax(x / T): dx_i = y_i (d_i - sum_j d_j y_j) / T, the whole
 * Jacobian (darknet passes the delta straight through, which is right only
 * under its own cross-entropy cost). */
void softmax_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    if (!din)
        return;
    int n = l->inputs / l->groups;
    for (int b = 0; b < l->batch; b++)
        for (int g = 0; g < l->groups; g++) {
            size_t off = (size_t)b * l->inputs + (size_t)g * n;
            const float *y = l->out + off, *d = l->delta + off;   /* [n] each */
            double dot = 0;
            for (int i = 0; i < n; i++)
                dot += (double)d[i] * y[i];
            for (int i = 0; i < n; i++)
                din[off + i] += y[i] * (d[i] - (float)dot) / l->temperature;
        }
}
