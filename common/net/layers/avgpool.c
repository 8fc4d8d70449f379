/* [avgpool]: the mean of each channel: [c, h, w] -> [c, 1, 1]. */
#include "yolo/net/layers.h"

int avgpool_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)c, (void)s, (void)net, (void)index, (void)err;
    l->out_c = l->c, l->out_h = 1, l->out_w = 1;
    l->nout = (size_t)l->c;
    return 0;
}

void avgpool_forward(const layer *l, const network *net, const float *in)
{
    (void)net;
    int spatial = l->h * l->w;
    for (int p = 0; p < l->batch * l->c; p++) {
        const float *x = in + (size_t)p * spatial;     /* [h*w] one channel */
        float sum = 0;
        for (int i = 0; i < spatial; i++)
            sum += x[i];
        l->out[p] = sum / spatial;
    }
}

void avgpool_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    if (!din)
        return;
    int spatial = l->h * l->w;
    for (int p = 0; p < l->batch * l->c; p++) {
        float *dx = din + (size_t)p * spatial;     /* [h*w] one channel */
        for (int i = 0; i < spatial; i++)
            dx[i] += l->delta[p] / spatial;
    }
}
