/* [dropout]: identity at inference, so its output is its input (no memory,
 * no work). Training (as darknet): each input is dropped with the
 * probability p and the rest scaled by 1/(1-p); the factors are drawn from
 * net->rng (none given: no dropout, for gradient checks) and kept for
 * backward. */
#include "yolo/net/layers.h"
#include "yolo/base/rng.h"

int dropout_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)index;
    if (cfg_float(c, s, "probability", .5f, 0, .999999f, &l->probability, err) < 0)
        return -1;
    l->out_c = l->c, l->out_h = l->h, l->out_w = l->w;
    l->nout = net->train ? (size_t)l->inputs : 0;
    return 0;
}

void dropout_forward(const layer *l, const network *net, const float *in)
{
    if (!net->train)
        return;
    size_t n = (size_t)l->batch * l->inputs;
    float keep = 1.0f / (1.0f - l->probability);
    for (size_t i = 0; i < n; i++) {
        float f = 1;
        if (net->rng)
            f = rng_uniform(net->rng) < l->probability ? 0 : keep;
        l->drop[i] = f;
        l->out[i] = in[i] * f;
    }
}

void dropout_backward(const layer *l, const network *net, const float *in, float *din)
{
    (void)net, (void)in;
    if (!din)
        return;
    size_t n = (size_t)l->batch * l->inputs;
    for (size_t i = 0; i < n; i++)
        din[i] += l->delta[i] * l->drop[i];
}
