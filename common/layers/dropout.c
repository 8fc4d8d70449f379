/* [dropout]: identity at inference (darknet scales at training time), so
 * its output is its input: no memory, no work. */
#include "yolo/layers.h"

int dropout_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    float p; /* only training uses it; checked so a bad value is caught now */
    if (cfg_float(c, s, "probability", .5f, 0, .999999f, &p, err) < 0)
        return -1;
    l->out_c = l->c, l->out_h = l->h, l->out_w = l->w;
    l->nout = 0;
    return 0;
}

void dropout_forward(const layer *l, const network *net, const float *in)
{
    (void)l, (void)net, (void)in;
}
