/* [convolutional]: im2col + GEMM per group, then batch norm (inference: the
 * rolling statistics; training: the batch's) or bias, then the activation.
 * Backward: the activation's and batch norm's derivatives, then per group
 * dW += delta . col^T and din += col2im(W^T . delta). */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "yolo/net/gemm.h"
#include "yolo/net/isa.h"
#include "yolo/net/layers.h"

/* AlexeyAB's convolution options that change its forward pass: only at
 * their defaults (the stride's for stride_x and stride_y). */
static int conv_ab_keys(const layer *l, cfg *c, cfg_section *s, yerr *err)
{
    static const char *const zero[] = {"antialiasing", "assisted_excitation", "bin_output",
                                       "coordconv", "reverse", "rotate", "stretch",
                                       "stretch_sway", "sway"};
    for (size_t k = 0; k < sizeof zero / sizeof zero[0]; k++)
        if (layer_default_only(c, s, zero[k], 0, err) < 0)
            return -1;
    return layer_default_only(c, s, "dilation", 1, err) < 0 ||
                   layer_default_only(c, s, "stride_x", (float)l->stride, err) < 0 ||
                   layer_default_only(c, s, "stride_y", (float)l->stride, err) < 0 ||
                   layer_unsupported(c, s, "share_index", err) < 0
               ? -1
               : 0;
}

static int conv_keys(layer *l, cfg *c, cfg_section *s, yerr *err)
{
    int padflag = 0;
    if (cfg_int(c, s, "filters", 1, 1, 1 << 16, &l->n, err) < 0 ||
        cfg_int(c, s, "size", 1, 1, 64, &l->size, err) < 0 ||
        cfg_int(c, s, "stride", 1, 1, 64, &l->stride, err) < 0 ||
        cfg_int(c, s, "pad", 0, 0, 1, &padflag, err) < 0 ||
        cfg_int(c, s, "padding", 0, 0, 64, &l->pad, err) < 0 ||
        cfg_int(c, s, "groups", 1, 1, 1 << 16, &l->groups, err) < 0 ||
        cfg_int(c, s, "batch_normalize", 0, 0, 1, &l->batch_normalize, err) < 0 ||
        cfg_int(c, s, "flipped", 0, 0, 1, &l->flipped, err) < 0 ||
        layer_activation(l, c, s, "logistic", err) < 0 ||
        layer_unsupported(c, s, "binary", err) < 0 || layer_unsupported(c, s, "xnor", err) < 0 ||
        layer_unsupported(c, s, "dot", err) < 0 || conv_ab_keys(l, c, s, err) < 0)
        return -1;
    /* pad=1 is a flag meaning "same" padding and overrides padding= */
    if (padflag)
        l->pad = l->size / 2;
    return 0;
}

/* Output rows per im2col tile: the tile [k, rows * out_w] stays near 2 MiB,
 * so it is still in cache when the GEMM reads it and the workspace stays
 * small, but it is never narrower than 4096 columns (or the whole output),
 * below which the GEMM loses speed. */
static int conv_tile_rows(const layer *l)
{
    long k = (long)l->c / l->groups * l->size * l->size;
    long rows = (1L << 19) / (k * l->out_w), min_rows = (4096 + l->out_w - 1) / l->out_w;
    if (rows < min_rows)
        rows = min_rows;
    return rows < l->out_h ? (int)rows : l->out_h;
}

int conv_make(layer *l, cfg *c, cfg_section *s, const network *net, int index, yerr *err)
{
    (void)net, (void)index;
    if (conv_keys(l, c, s, err) < 0)
        return -1;
    if (l->c % l->groups || l->n % l->groups)
        return cfg_fail(c, s, "groups", err, "%d groups do not divide %d channels and %d filters",
                        l->groups, l->c, l->n);
    /* darknet feeds a 1x1 kernel's input to the GEMM as is, which is only
     * right without stride or padding; refuse what it would get wrong */
    if (l->size == 1 && (l->stride != 1 || l->pad != 0))
        return cfg_fail(c, s, "size", err, "size=1 needs stride=1 and no padding");
    l->out_h = (l->h + 2 * l->pad - l->size) / l->stride + 1;
    l->out_w = (l->w + 2 * l->pad - l->size) / l->stride + 1;
    if (l->h + 2 * l->pad < l->size || l->w + 2 * l->pad < l->size)
        return cfg_fail(c, s, "size", err, "kernel %d larger than the %dx%d input", l->size,
                        l->w, l->h);
    l->out_c = l->n;
    l->nweights = (size_t)l->c / l->groups * l->n * l->size * l->size;
    l->nbiases = l->n;
    l->nparams = l->nbiases * (l->batch_normalize ? 4 : 1) + l->nweights;
    l->nout = (size_t)l->out_c * l->out_h * l->out_w;
    if (l->size != 1)
        l->nwork = (size_t)l->c / l->groups * l->size * l->size * conv_tile_rows(l) * l->out_w;
    l->bflops = 2.0 * l->nweights * l->out_h * l->out_w / 1e9;
    return 0;
}

/* One image, one group: out [m, spatial] = W [m, k] . col [k, spatial],
 * col made tile by tile (1x1: the input is col). */
static void conv_group(const layer *l, const float *w, const float *im, float *out, float *work)
{
    int m = l->n / l->groups, k = l->c / l->groups * l->size * l->size;
    int spatial = l->out_h * l->out_w;
    if (l->size == 1) {
        gemm_f32(&(gemm_shape){.m = m, .n = spatial, .k = k, .alpha = 1, .lda = k,
                               .ldb = spatial, .ldc = spatial}, w, im, out);
        return;
    }
    int step = conv_tile_rows(l);
    for (int oy = 0; oy < l->out_h; oy += step) {
        int end = oy + step < l->out_h ? oy + step : l->out_h, cols = (end - oy) * l->out_w;
        layer_im2col_rows(im, l->c / l->groups, l->h, l->w, l->size, l->stride, l->pad,
                          l->out_w, oy, end, work);                  /* [k, cols] */
        gemm_f32(&(gemm_shape){.m = m, .n = cols, .k = k, .alpha = 1, .lda = k, .ldb = cols,
                               .ldc = spatial}, w, work, out + (size_t)oy * l->out_w);
    }
}

int conv_wino_shape(const layer *l, wino_conv *cv)
{
    if (l->type != CFG_CONVOLUTIONAL || l->size != 3 || l->stride != 1 || l->pad != 1 ||
        l->groups != 1)
        return 0;
    *cv = (wino_conv){.batch = l->batch, .cin = l->c, .kout = l->n, .h = l->h, .w = l->w};
    return wino_worth_it(cv);
}

/* The convolution alone into l->out: im2col + GEMM per image and group. */
static void conv_direct(const layer *l, const network *net, const float *in)
{
    int m = l->n / l->groups;                            /* filters per group */
    int k = l->c / l->groups * l->size * l->size;        /* one filter's taps */
    int spatial = l->out_h * l->out_w;
    for (int b = 0; b < l->batch; b++)
        for (int g = 0; g < l->groups; g++) {
            const float *w = l->weights + (size_t)g * m * k;          /* [m, k] */
            const float *im = in + ((size_t)b * l->c + (size_t)g * (l->c / l->groups)) * l->h *
                                           l->w;              /* [c/groups, h, w] */
            float *out = l->out + ((size_t)b * l->n + (size_t)g * m) * spatial; /* [m, spatial] */
            conv_group(l, w, im, out, net->work);
        }
}

/* A first layer's shape: 3x3, stride 1, pad 1, one group, at most 4 input
 * channels. Its 27 or 36 taps make a poor GEMM (K tiny) behind an im2col
 * matrix 9x the input, written and read again: conv_few computes it
 * straight from the input rows instead. */
static int conv_few_shape(const layer *l)
{
    return l->size == 3 && l->stride == 1 && l->pad == 1 && l->groups == 1 && l->c <= 4;
}

/* Output row y of image b for filter f into o [w]: conv(in [batch, c, h,
 * w]), then, given bias [n], act(o + bias). Each output row (in L1)
 * gathers three taps of each input row at once. */
static inline __attribute__((always_inline)) void few_filter_row(const layer *l, const float *in,
                                                                const float *bias, int b, int y,
                                                                int f, float *o)
{
    int h = l->h, w = l->w, c = l->c;
    float b0 = bias ? bias[f] : 0;
#pragma omp simd
    for (int x = 0; x < w; x++)
        o[x] = b0;
    for (int ch = 0; ch < c; ch++)
        for (int ky = 0; ky < 3; ky++) {
            int r = y + ky - 1;
            if (r < 0 || r >= h)
                continue;
            const float *src = in + (((size_t)b * c + ch) * h + r) * w;   /* [w] */
            const float *k = l->weights + (((size_t)f * c + ch) * 3 + ky) * 3;
            float k0 = k[0], k1 = k[1], k2 = k[2];
            o[0] += k1 * src[0] + (w > 1 ? k2 * src[1] : 0);
#pragma omp simd
            for (int x = 1; x < w - 1; x++)
                o[x] += k0 * src[x - 1] + k1 * src[x] + k2 * src[x + 1];
            if (w > 1)
                o[w - 1] += k0 * src[w - 2] + k1 * src[w - 1];
        }
    if (bias)
        act_span(o, (size_t)w, l->act);
}

/* Output row y of image b, every filter, into l->out. */
static inline __attribute__((always_inline)) void few_row(const layer *l, const float *in,
                                                         const float *bias, int b, int y)
{
    for (int f = 0; f < l->n; f++)
        few_filter_row(l, in, bias, b, y, f,
                       l->out + (((size_t)b * l->n + f) * l->h + y) * l->w);
}

/* Pooled row py of image b: each filter's conv rows 2py and 2py + 1 into
 * rows [2, w], then the 2x2 stride-2 maxima into pool->out, compared as
 * maxpool's window_max compares them (from -FLT_MAX, `v > best`, row by
 * row), so the bits are conv_few's then maxpool's. */
static inline __attribute__((always_inline)) void few_pool_row(const layer *l, const layer *pool,
                                                              const float *in, int b, int py,
                                                              float *rows)
{
    int w = l->w, ow = pool->out_w;
    for (int f = 0; f < l->n; f++) {
        few_filter_row(l, in, l->biases, b, 2 * py, f, rows);
        few_filter_row(l, in, l->biases, b, 2 * py + 1, f, rows + w);
        float *o = pool->out + (((size_t)b * l->n + f) * pool->out_h + py) * ow;   /* [ow] */
        for (int px = 0; px < ow; px++) {
            const float v[4] = {rows[2 * px], rows[2 * px + 1], rows[w + 2 * px],
                                rows[w + 2 * px + 1]};
            float best = -FLT_MAX;
            for (int k = 0; k < 4; k++)
                best = v[k] > best ? v[k] : best;
            o[px] = best;
        }
    }
}

/* few_row over every row of the batch, in parallel; twice: AVX-512 (the
 * rest of the build is baseline x86-64, whose 4-wide vectors made this no
 * faster than im2col + the AVX-512 GEMM) and baseline. */
#define CONV_FEW(suffix, attr)                                                              \
    attr static void conv_few_##suffix(const layer *l, const float *in, const float *bias) \
    {                                                                                       \
        _Pragma("omp parallel for schedule(static)")                                        \
        for (long row = 0; row < (long)l->batch * l->h; row++)                              \
            few_row(l, in, bias, (int)(row / l->h), (int)(row % l->h));                     \
    }
CONV_FEW(avx512, ISA_TARGET_AVX512)
CONV_FEW(avx2, ISA_TARGET_AVX2)
CONV_FEW(base, )

/* few_pool_row over every pooled row of the batch, in parallel; scratch
 * [threads, 2, w], a thread's own part by its number. */
#define CONV_FEW_POOL(suffix, attr)                                                          \
    attr static void conv_few_pool_##suffix(const layer *l, const layer *pool, const float *in, \
                                            float *scratch, int threads)                    \
    {                                                                                        \
        _Pragma("omp parallel for schedule(static) num_threads(threads)")                   \
        for (long row = 0; row < (long)l->batch * pool->out_h; row++)                        \
            few_pool_row(l, pool, in, (int)(row / pool->out_h), (int)(row % pool->out_h),    \
                         scratch + (size_t)omp_get_thread_num() * 2 * l->w);                 \
    }
CONV_FEW_POOL(avx512, ISA_TARGET_AVX512)
CONV_FEW_POOL(avx2, ISA_TARGET_AVX2)
CONV_FEW_POOL(base, )

/* Whether conv_pool_forward can run conv (as conv_forward would run it:
 * conv_few with bias and activation fused, no Winograd) and pool (2x2,
 * stride 2, no padding before, even map: every window inside) as one. */
static int few_pool_shape(const layer *l, const layer *pool)
{
    wino_conv cv;
    int fused = !(l->batch_normalize && !l->folded);
    return l->type == CFG_CONVOLUTIONAL && conv_few_shape(l) && fused &&
           !(l->wino_u && conv_wino_shape(l, &cv)) && pool->type == CFG_MAXPOOL && !pool->depth &&
           pool->size == 2 && pool->stride == 2 && pool->pad / 2 == 0 && l->h % 2 == 0 &&
           l->w % 2 == 0 && pool->out_h == l->h / 2 && pool->out_w == l->w / 2 &&
           pool->c == l->n && pool->batch == l->batch;
}

int conv_pool_forward(const layer *l, const layer *pool, const float *in)
{
    if (!few_pool_shape(l, pool))
        return -1;
    int threads = omp_get_max_threads();
    float *scratch = malloc((size_t)threads * 2 * l->w * sizeof *scratch); /* [threads, 2, w] */
    if (!scratch)
        return -1;
    switch (isa_active()) {
    case ISA_AVX512: conv_few_pool_avx512(l, pool, in, scratch, threads); break;
    case ISA_AVX2: conv_few_pool_avx2(l, pool, in, scratch, threads); break;
    default: conv_few_pool_base(l, pool, in, scratch, threads); break;
    }
    free(scratch);
    return 0;
}

/* out [batch, n, h, w] = conv(in [batch, c, h, w]), then, given bias [n],
 * act(out + bias). */
static void conv_few(const layer *l, const float *in, const float *bias)
{
    switch (isa_active()) {
    case ISA_AVX512: conv_few_avx512(l, in, bias); break;
    case ISA_AVX2: conv_few_avx2(l, in, bias); break;
    default: conv_few_base(l, in, bias); break;
    }
}

void conv_forward(const layer *l, const network *net, const float *in)
{
    int spatial = l->out_h * l->out_w;
    int batch_stats = l->batch_normalize && net->train && !l->frozen;
    wino_conv cv;
    int wino = l->wino_u && conv_wino_shape(l, &cv);
    /* bias and activation fused where no batch norm comes between */
    int fuse = !batch_stats && !(l->batch_normalize && !l->folded);
    if (wino && fuse) {
        wino_forward(&cv, l->wino_u, l->biases, l->act, in, l->out, net->wino_work);
        return;
    }
    if (conv_few_shape(l)) {
        conv_few(l, in, fuse ? l->biases : NULL);
        if (fuse)
            return;
    } else if (wino) {
        wino_forward(&cv, l->wino_u, NULL, ACT_LINEAR, in, l->out, net->wino_work);
    } else {
        conv_direct(l, net, in);
    }
    if (batch_stats && net->sync.sum) {
        layer_batchnorm_sync_train(l, l->out, l->n, spatial, l->act, &net->sync);
    } else if (batch_stats) {
        layer_batchnorm_act_train(l, l->out, l->n, spatial);
    } else if (l->batch_normalize && !l->folded) {
        layer_batchnorm(l, l->out, l->n, spatial);
        act_apply(l->out, (size_t)l->batch * l->outputs, l->act);
    } else {
        layer_bias_act(l->out, l->batch, l->n, spatial, l->biases, l->act);
    }
}

/* One image, one group, backward: dW [m, k] += delta [m, spatial] . col^T
 * and, when din is wanted, din [c/groups, h, w] += col2im(W^T . delta), tile
 * by tile as forward makes col (1x1: the input is col). */
static void conv_group_backward(const layer *l, const float *w, const float *im,
                                const float *delta, float *dw, float *din, float *work)
{
    int m = l->n / l->groups, k = l->c / l->groups * l->size * l->size;
    int spatial = l->out_h * l->out_w;
    if (l->size == 1) {
        gemm_f32(&(gemm_shape){.tb = 1, .m = m, .n = k, .k = spatial, .alpha = 1, .beta = 1,
                               .lda = spatial, .ldb = spatial, .ldc = k}, delta, im, dw);
        if (din)
            gemm_f32(&(gemm_shape){.ta = 1, .m = k, .n = spatial, .k = m, .alpha = 1, .beta = 1,
                                   .lda = k, .ldb = spatial, .ldc = spatial}, w, delta, din);
        return;
    }
    int step = conv_tile_rows(l), ch = l->c / l->groups;
    for (int oy = 0; oy < l->out_h; oy += step) {
        int end = oy + step < l->out_h ? oy + step : l->out_h, cols = (end - oy) * l->out_w;
        const float *d = delta + (size_t)oy * l->out_w;          /* [m, cols], row stride spatial */
        layer_im2col_rows(im, ch, l->h, l->w, l->size, l->stride, l->pad, l->out_w, oy, end,
                          work);                                    /* [k, cols] */
        gemm_f32(&(gemm_shape){.tb = 1, .m = m, .n = k, .k = cols, .alpha = 1, .beta = 1,
                               .lda = spatial, .ldb = cols, .ldc = k}, d, work, dw);
        if (!din)
            continue;
        gemm_f32(&(gemm_shape){.ta = 1, .m = k, .n = cols, .k = m, .alpha = 1, .lda = k,
                               .ldb = spatial, .ldc = cols}, w, d, work);  /* [k, cols] */
        layer_col2im_rows(work, ch, l->h, l->w, l->size, l->stride, l->pad, l->out_w, oy, end,
                          din);
    }
}

void conv_backward(const layer *l, const network *net, const float *in, float *din)
{
    int m = l->n / l->groups, k = l->c / l->groups * l->size * l->size;
    int spatial = l->out_h * l->out_w;
    if (l->batch_normalize && net->sync.sum) {
        layer_batchnorm_sync_backward(l, l->out, l->delta, l->n, spatial, l->act, &net->sync);
    } else if (l->batch_normalize) {
        layer_batchnorm_act_backward(l, l->out, l->delta, l->n, spatial);
    } else {
        act_backward(l->out, l->delta, (size_t)l->batch * l->outputs, l->act);
        layer_bias_backward(l->bias_grads, l->delta, l->batch, l->n, spatial);
    }
    wino_conv cv;
    int wino = l->wino_ub && conv_wino_shape(l, &cv);
    for (int b = 0; b < l->batch; b++)
        for (int g = 0; g < l->groups; g++) {
            size_t in_off = ((size_t)b * l->c + (size_t)g * (l->c / l->groups)) * l->h * l->w;
            conv_group_backward(l, l->weights + (size_t)g * m * k, in + in_off,
                                l->delta + ((size_t)b * l->n + (size_t)g * m) * spatial,
                                l->weight_grads + (size_t)g * m * k,
                                din && !wino ? din + in_off : NULL, net->work);
        }
    if (wino && din) {   /* din += delta convolved with the turned kernels */
        wino_conv back = {.batch = l->batch, .cin = l->n, .kout = l->c, .h = l->out_h,
                          .w = l->out_w, .accumulate = 1, .back = 1};
        wino_forward(&back, l->wino_ub, NULL, ACT_LINEAR, l->delta, din, net->wino_work);
    }
}

/* darknet's inference batch norm is y = (x - mean) * s + bias with
 * s = scale * layer_bn_inv(var); x is linear in the weights, so
 * W' = W * s per filter and bias' = bias - mean * s give the same y. */
void conv_fold(layer *l)
{
    if (!l->batch_normalize || l->folded)
        return;
    size_t per = l->nweights / l->n;     /* one filter's weights */
    for (int f = 0; f < l->n; f++) {
        float s = l->scales[f] * layer_bn_inv(l, l->var[f]);
        for (size_t i = 0; i < per; i++)
            l->weights[f * per + i] *= s;
        l->biases[f] -= l->mean[f] * s;
    }
    l->folded = 1;
}
