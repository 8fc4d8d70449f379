/* One file per layer type under common/net/layers/: X_make reads the section's
 * keys and sets the layer's output shape and counts; X_forward runs it.
 *
 * Before X_make is called, the builder has set l->type, line, batch and the
 * input shape (c, h, w, inputs) from the previous layer; `net` holds the
 * layers before `index` (route and shortcut look back). X_make sets out_c,
 * out_h, out_w, outputs, the parameter counts, nout, nwork and bflops; the
 * builder then points params/biases/.../out into the network's block.
 *
 * X_forward reads `in` ([batch, c, h, w], the previous layer's output, or
 * the network input) and writes l->out.
 *
 * X_backward (training networks only) runs after the layers above it: l->delta
 * holds dL/d out, complete. It ADDS dL/d in into din ([batch, c, h, w], the
 * previous layer's delta; NULL for the first layer, whose input needs none),
 * dL/d params into l->grads, and (route, shortcut) into the deltas of the
 * layers it read. It may overwrite l->delta (the activation's derivative is
 * applied in place, as darknet does). `in` is what forward read. The names carry a per-file prefix,
 * not darknet's make_X_layer, because libdarknet exports those and the
 * test harness links both. */
#ifndef YOLO_LAYERS_H
#define YOLO_LAYERS_H

#include <math.h>

#include "yolo/net/network.h"
#include "yolo/net/winograd.h"

#define LAYER_API(name)                                                                     \
    int name##_make(layer *l, cfg *c, cfg_section *s, const network *net, int index,        \
                    yerr *err);                                                             \
    void name##_forward(const layer *l, const network *net, const float *in);               \
    void name##_backward(const layer *l, const network *net, const float *in, float *din);

LAYER_API(conv)
LAYER_API(maxpool)
LAYER_API(route)
LAYER_API(reorg)
LAYER_API(shortcut)
LAYER_API(upsample)
LAYER_API(connected)
LAYER_API(dropout)
LAYER_API(local)
LAYER_API(avgpool)
LAYER_API(softmax)
LAYER_API(region)
LAYER_API(yolo)
LAYER_API(detection)

#undef LAYER_API

/* darknet's in-place head activations (head_activate dispatches). */
void region_activate(const layer *l, float *x);
void yolo_activate(const layer *l, float *x);
void detection_activate(const layer *l, float *x);

/* Reads the activation key (default def) into l->act. */
int layer_activation(layer *l, cfg *c, cfg_section *s, const char *def, yerr *err);
/* Fails if the section sets the number key to anything but def (an
 * option this project does not implement; AlexeyAB's mostly). */
int layer_default_only(cfg *c, cfg_section *s, const char *key, float def, yerr *err);
/* Fails if the section sets key at all (a darknet option this project does
 * not implement). */
int layer_unsupported(cfg *c, cfg_section *s, const char *key, yerr *err);

/* im2col as darknet lays it out: col[(ch*size + ky)*size + kx][oy*out_w + ox]
 * from im [ch, h, w], zero outside the image. */
void layer_im2col(const float *im, int ch, int h, int w, int size, int stride, int pad,
                  int out_h, int out_w, float *col);

/* The same for the output rows [oy0, oy1) only: col [ch*size*size,
 * (oy1 - oy0) * out_w]. */
void layer_im2col_rows(const float *im, int ch, int h, int w, int size, int stride, int pad,
                       int out_w, int oy0, int oy1, float *col);

/* im2col_rows' adjoint: adds col [ch*size*size, (oy1 - oy0) * out_w] back
 * into im [ch, h, w] where each element was read from. */
void layer_col2im_rows(const float *col, int ch, int h, int w, int size, int stride, int pad,
                       int out_w, int oy0, int oy1, float *im);

/* The output positions [*lo, *hi) of a window tap at offset k (stride,
 * leading pad) that land inside an input of n positions. */
void layer_inside(int n, int out_n, int k, int stride, int pad, int *lo, int *hi);

/* Inference batch norm, in place on x [l->batch, n, spatial], with l's
 * rolling statistics, scales and biases: x = (x - mean) * layer_bn_inv(var)
 * * scale + bias. */
void layer_batchnorm(const layer *l, float *x, int n, int spatial);
/* 1 / (sqrt(var) + 1e-6) as pjreddie's darknet, or 1 / sqrt(var + 1e-5) as
 * AlexeyAB's (l->bn_ab: a cfg in its dialect). */
float layer_bn_inv(const layer *l, float var);
/* conv: folds batch norm into weights and biases (net_fold_bn). */
void conv_fold(layer *l);
/* conv: 1 and cv (the layer at its current batch) when Winograd suits its
 * shape (3x3, stride 1, pad 1, one group) and runs it faster
 * (wino_worth_it), else 0. */
int conv_wino_shape(const layer *l, wino_conv *cv);
/* A first layer (conv_few's shape, bias and activation fused) and the 2x2
 * stride-2 [maxpool] after it, run as one: each pair of conv rows is pooled
 * as it is made, so the conv's output is never written (inference, when the
 * pool is its only reader). The bits of conv_forward then maxpool_forward.
 * 0, or -1 when the pair does not qualify or scratch memory is short (the
 * caller runs the two layers). */
int conv_pool_forward(const layer *l, const layer *pool, const float *in);

/* x [batch, n, spatial] = act(x + biases[n]), one pass. */
void layer_bias_act(float *x, int batch, int n, int spatial, const float *biases, act_type a);
/* Activation of one value (act_apply's formula). */
float act_one(float x, act_type a);
/* delta [n] *= the activation's derivative, given its output y [n] (darknet
 * computes it from the output; exact for every activation it has). */
void act_backward(const float *y, float *delta, size_t n, act_type a);
/* act_apply and act_backward on the calling thread only: the inner loop of
 * callers that parallelise over something else (fused batch norm). */
void act_span(float *x, size_t n, act_type a);
void act_grad_span(const float *y, float *delta, size_t n, act_type a);
/* Their bodies, inlined into each kernel family's copy of a caller
 * (include/yolo/net/isa.h's ISA_CLONES): leaky and linear vectorise there. */
static inline __attribute__((always_inline)) void act_span_inline(float *x, size_t n, act_type a)
{
    if (a == ACT_LINEAR)
        return;
    if (a == ACT_LEAKY) {
        /* max(x, .1 x): x * 1 or x * .1 to the bit (NaN and -0 too), a
         * compare-and-select every family vectorises */
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            float small = .1f * x[i];
            x[i] = x[i] > small ? x[i] : small;
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = act_one(x[i], a);
}
/* delta [n] *= the derivative of a at the outputs y [n]. */
float act_slope(float y, act_type a);
/* The derivative of a at the input x (mish, swish, hard_mish need it:
 * act_needs_input), and delta [n] *= it at the inputs x [n]. */
float act_slope_in(float x, act_type a);
void act_grad_in_span(const float *x, float *delta, size_t n, act_type a);
static inline __attribute__((always_inline)) void act_grad_span_inline(const float *restrict y,
                                                                      float *restrict delta,
                                                                      size_t n, act_type a)
{
    if (a == ACT_LINEAR)
        return;
    if (a == ACT_LEAKY) {
        /* slope 1 or .1 without a branch (.1f + .9f is 1.0f exactly) and
         * with a quiet compare (isgreater: NaN raises nothing, so the
         * compiler may if-convert it), so that every family vectorises it */
#pragma omp simd
        for (size_t i = 0; i < n; i++)
            delta[i] *= .1f + .9f * (float)isgreater(y[i], 0.0f);
        return;
    }
    for (size_t i = 0; i < n; i++)
        delta[i] *= act_slope(y[i], a);
}

/* Training batch norm on x [batch, n, spatial], in place: with the batch's
 * mean and unbiased variance (darknet's variance_cpu), written to mean and
 * var [n]; x_norm [batch, n, spatial] keeps the normalised values; then
 * y = x_norm * scales + biases. The rolling statistics move .01 towards the
 * batch's (darknet's CPU forward). */
void layer_batchnorm_train(const layer *l, float *x, int n, int spatial);
/* The same followed by the activation l->act, fused: x = act(y). One pass
 * over x for the statistics and one for the rest (per channel, in parallel
 * over channels; each channel's sums in a fixed order). */
void layer_batchnorm_act_train(const layer *l, float *x, int n, int spatial);
/* Its backward: l->delta [batch, n, spatial] holds dL/dy (activation done);
 * adds dL/d scales and dL/d biases into l->grads and turns delta into dL/dx
 * in place, the exact derivative of the forward above. */
void layer_batchnorm_backward(const layer *l, float *delta, int n, int spatial);
/* The backward of layer_batchnorm_act_train: delta holds dL/d act(y); the
 * activation's derivative (from y [batch, n, spatial], the forward's
 * output) is applied on the way, then as layer_batchnorm_backward. */
void layer_batchnorm_act_backward(const layer *l, const float *y, float *delta, int n,
                                  int spatial);
/* layer_batchnorm_act_train and _act_backward (a ACT_LINEAR: the plain
 * ones) with the batch statistics and backward's per-channel sums of every
 * process of a data-parallel run added together through s (network.h's
 * net_sync), so that each process computes what one process with all their
 * images in its batch would. */
void layer_batchnorm_sync_train(const layer *l, float *x, int n, int spatial, act_type a,
                                const net_sync *s);
void layer_batchnorm_sync_backward(const layer *l, const float *y, float *delta, int n,
                                   int spatial, act_type a, const net_sync *s);
/* din [batch, outputs] += l->delta: backward of a layer whose output is its
 * input (the heads). */
void layer_delta_through(const layer *l, float *din);
/* grads[n] += the sum of delta [batch, n, spatial] over batch and spatial. */
void layer_bias_backward(float *grads, const float *delta, int batch, int n, int spatial);

/* x [batch, n, spatial] += biases[n] */
void layer_add_bias(float *x, int batch, int n, int spatial, const float *biases);

/* softmax of n values at x[0], x[stride], ... into y (same places), with
 * darknet's temperature. */
void layer_softmax(const float *x, int n, int stride, float temp, float *y);

#endif
