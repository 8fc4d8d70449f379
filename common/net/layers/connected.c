/* [connected]: out[b] = W in[b] + bias (or batch norm), then the
 * activation. W is [outputs, inputs] as darknet holds it in memory. */
#include "yolo/net/gemm.h"
#include "yolo/net/layers.h"

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
    gemm_f32(&(gemm_shape){.tb = 1, .m = l->batch, .n = l->n, .k = l->inputs, .alpha = 1,
                           .lda = l->inputs, .ldb = l->inputs, .ldc = l->n}, in, l->weights, l->out);
    if (l->batch_normalize && net->train && !l->frozen && net->sync.sum)
        layer_batchnorm_sync_train(l, l->out, l->n, 1, ACT_LINEAR, &net->sync);
    else if (l->batch_normalize && net->train && !l->frozen)
        layer_batchnorm_train(l, l->out, l->n, 1);
    else if (l->batch_normalize)
        layer_batchnorm(l, l->out, l->n, 1);
    else
        layer_add_bias(l->out, l->batch, l->n, 1, l->biases);
    act_apply(l->out, (size_t)l->batch * l->outputs, l->act);
}

/* dW [n, inputs] += delta^T [n, batch] . in [batch, inputs];
 * din [batch, inputs] += delta [batch, n] . W [n, inputs]. */
void connected_backward(const layer *l, const network *net, const float *in, float *din)
{
    act_backward(l->out, l->delta, (size_t)l->batch * l->outputs, l->act);
    if (l->batch_normalize && net->sync.sum)
        layer_batchnorm_sync_backward(l, NULL, l->delta, l->n, 1, ACT_LINEAR, &net->sync);
    else if (l->batch_normalize)
        layer_batchnorm_backward(l, l->delta, l->n, 1);
    else
        layer_bias_backward(l->bias_grads, l->delta, l->batch, l->n, 1);
    gemm_f32(&(gemm_shape){.ta = 1, .m = l->n, .n = l->inputs, .k = l->batch, .alpha = 1,
                           .beta = 1, .lda = l->n, .ldb = l->inputs, .ldc = l->inputs},
             l->delta, in, l->weight_grads);
    if (din)
        gemm_f32(&(gemm_shape){.m = l->batch, .n = l->inputs, .k = l->n, .alpha = 1, .beta = 1,
                               .lda = l->n, .ldb = l->inputs, .ldc = l->inputs},
                 l->delta, l->weights, din);
}
