/* [connected]: out[b] = W in[b] + bias (or batch norm), then the
 * activation. W is [outputs, inputs] as darknet holds it in memory. */
#include <cblas.h>

#include "yolo/layers.h"

int connected_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    if (cfg_int(c, s, "output", 1, 1, 1 << 24, &l->n, err) < 0 ||
        cfg_int(c, s, "batch_normalize", 0, 0, 1, &l->batch_normalize, err) < 0 ||
        layer_activation(l, c, s, "logistic", err) < 0)
        return -1;
    /* darknet sees any input as a flat vector: [inputs, 1, 1] */
    l->c = l->inputs, l->h = 1, l->w = 1;
    l->out_c = l->n, l->out_h = 1, l->out_w = 1;
    l->nweights = (size_t)l->inputs * l->n;
    l->nbiases = l->n;
    l->nparams = l->nweights + l->nbiases * (l->batch_normalize ? 4 : 1);
    l->nout = (size_t)l->n;
    l->bflops = 2.0 * l->nweights / 1e9;
    return 0;
}

void connected_forward(const layer *l, const network *net, const float *in)
{
    (void)net;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, l->batch, l->n, l->inputs, 1.0f, in,
                l->inputs, l->weights, l->inputs, 0.0f, l->out, l->n);
    if (l->batch_normalize)
        layer_batchnorm(l->out, l->batch, l->n, 1, l->mean, l->var, l->scales, l->biases);
    else
        layer_add_bias(l->out, l->batch, l->n, 1, l->biases);
    act_apply(l->out, (size_t)l->batch * l->outputs, l->act);
}
