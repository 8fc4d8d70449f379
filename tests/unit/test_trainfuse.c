/* Unit tests for the fused training passes (issue 7 point 8):
 *   1. act_span / act_grad_span (leaky's table-driven fast path, every
 *      other activation through act_one) against act_one and the
 *      derivative's formula, bit for bit, on special values (NaN, signed
 *      zeros, subnormals, infinities, -FLT_MAX);
 *   2. layer_batchnorm_act_train / _act_backward against the straight
 *      formulas written here (two-pass statistics in one long double
 *      chain, then normalise, scale, shift, activate; the backward's
 *      closed form), to float rounding, on shapes around the block size,
 *      spatial 1 (connected) and a single value (variance 0); and against
 *      layer_batchnorm_train + act_apply and act_backward +
 *      layer_batchnorm_backward bit for bit;
 *   3. the same results bit for bit with 1, 2 and 3 OpenMP threads;
 *   4. the variance of values far from zero (1e4 + tiny spread) to float
 *      rounding: the statistics are not E[x^2] - E[x]^2;
 *   5. maxpool in a training network: forward values bit for bit those of
 *      an inference network, the kept indexes the first max in window order
 *      (ties, NaN, -FLT_MAX windows), backward = the brute-force scatter;
 *      the index array exists only for maxpool layers of training
 *      networks. */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/net/cfg.h"
#include "yolo/net/layers.h"
#include "yolo/net/network.h"
#include "yolo/base/rng.h"

#include "check.h"

/* ---- 1. activations --------------------------------------------------------------- */

static const float specials[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.5f, -0.5f, 1e-40f, -1e-40f,
                                 FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN, -NAN, 3.75f,
                                 -3.75f, 1e30f, -1e30f, 4.0f, -4.0f};
#define NSPEC (sizeof specials / sizeof specials[0])

/* darknet's derivative from the output (act.c's act_slope), for leaky */
static float leaky_slope_ref(float y) { return y > 0 ? 1 : .1f; }

static void test_act_spans(void)
{
    for (int a = 0; a < ACT_N; a++) {
        float x[NSPEC], want[NSPEC];
        for (size_t i = 0; i < NSPEC; i++)
            x[i] = specials[i], want[i] = act_one(specials[i], (act_type)a);
        act_span(x, NSPEC, (act_type)a);
        CHECK(memcmp(x, want, sizeof x) == 0, "act_span(%d) gives act_one's values bit for bit "
              "on NaN, signed zeros, subnormals, infinities", a);
    }
    float d[NSPEC], want[NSPEC];
    for (size_t i = 0; i < NSPEC; i++) {
        d[i] = 1.5f - (float)i;
        want[i] = d[i] * leaky_slope_ref(specials[i]);
    }
    act_grad_span(specials, d, NSPEC, ACT_LEAKY);
    CHECK(memcmp(d, want, sizeof d) == 0, "act_grad_span(leaky) multiplies by 1 for y > 0, "
          ".1 otherwise (NaN, -0 included), bit for bit");
    float big[70000], ref[70000];
    for (int i = 0; i < 70000; i++)
        big[i] = ref[i] = (float)((i * 7919) % 2001 - 1000) / 37.0f;
    act_apply(big, 70000, ACT_LEAKY);
    for (int i = 0; i < 70000; i++)
        ref[i] = act_one(ref[i], ACT_LEAKY);
    CHECK(memcmp(big, ref, sizeof big) == 0, "act_apply(leaky) over 70000 values in parallel "
          "chunks: act_one's values");
}

/* ---- 2-4. batch norm --------------------------------------------------------------- */

/* A layer with its own batch-norm arrays for [batch, n, spatial]. */
typedef struct bn_case {
    layer l;
    float *x, *delta, *y;     /* [batch * n * spatial] */
    float *p;                 /* [9 n]: the per-channel arrays */
    size_t size;
} bn_case;

/* t's arrays for [batch, n, spatial], uninitialised: 0 or -1. */
static int bn_alloc(bn_case *t, int batch, int n, int spatial, act_type a)
{
    memset(t, 0, sizeof *t);
    t->size = (size_t)batch * n * spatial;
    t->x = malloc(t->size * sizeof *t->x);
    t->delta = malloc(t->size * sizeof *t->delta);
    t->y = malloc(t->size * sizeof *t->y);
    t->l.x_norm = malloc(t->size * sizeof *t->l.x_norm);
    t->p = calloc(9 * (size_t)n, sizeof *t->p);
    if (!t->x || !t->delta || !t->y || !t->l.x_norm || !t->p)
        return -1;
    layer *l = &t->l;
    l->batch = batch, l->n = n, l->act = a;
    l->bn_mean = t->p, l->bn_var = t->p + n, l->mean = t->p + 2 * n, l->var = t->p + 3 * n;
    l->scales = t->p + 4 * n, l->biases = t->p + 5 * n, l->bias_grads = t->p + 6 * n;
    l->scale_grads = t->p + 7 * n;
    return 0;
}

/* ... filled with seeded random inputs, gradients and parameters. */
static int bn_make(bn_case *t, int batch, int n, int spatial, act_type a, uint64_t seed)
{
    if (bn_alloc(t, batch, n, spatial, a) < 0)
        return -1;
    layer *l = &t->l;
    yrng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < t->size; i++) {
        t->x[i] = (float)(rng_normal(&r) * 2 + .3);
        t->delta[i] = (float)rng_normal(&r);
    }
    for (int f = 0; f < n; f++) {
        l->scales[f] = (float)(1 + .5 * rng_normal(&r)), l->biases[f] = (float)rng_normal(&r);
        l->mean[f] = (float)rng_normal(&r), l->var[f] = (float)(1 + rng_uniform(&r));
        l->bias_grads[f] = .25f, l->scale_grads[f] = -.5f;   /* the backward adds */
    }
    return 0;
}

static void bn_free(bn_case *t)
{
    free(t->x), free(t->delta), free(t->y), free(t->l.x_norm), free(t->p);
}

/* d = a copy of s's inputs, gradients and parameters in arrays of its own. */
static int bn_copy(bn_case *d, const bn_case *s, int spatial)
{
    if (bn_alloc(d, s->l.batch, s->l.n, spatial, s->l.act) < 0)
        return -1;
    memcpy(d->x, s->x, s->size * sizeof *d->x);
    memcpy(d->delta, s->delta, s->size * sizeof *d->delta);
    memcpy(d->p, s->p, 9 * (size_t)s->l.n * sizeof *d->p);
    return 0;
}

/* The fused passes: forward on x (y = a copy of the output), backward on delta. */
static void bn_fused(bn_case *t, int spatial)
{
    layer_batchnorm_act_train(&t->l, t->x, t->l.n, spatial);
    memcpy(t->y, t->x, t->size * sizeof *t->y);
    layer_batchnorm_act_backward(&t->l, t->y, t->delta, t->l.n, spatial);
}

/* The unfused calls. */
static void bn_split(bn_case *t, int spatial)
{
    layer_batchnorm_train(&t->l, t->x, t->l.n, spatial);
    act_apply(t->x, t->size, t->l.act);
    memcpy(t->y, t->x, t->size * sizeof *t->y);
    act_backward(t->y, t->delta, t->size, t->l.act);
    layer_batchnorm_backward(&t->l, t->delta, t->l.n, spatial);
}

/* The formulas, straight: statistics by two passes in long double. */
static void bn_reference(bn_case *t, int spatial)
{
    layer *l = &t->l;
    int batch = l->batch, n = l->n;
    size_t count = (size_t)batch * spatial;
    for (int f = 0; f < n; f++) {
        long double s = 0, q = 0, sd = 0, sdx = 0;
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < spatial; i++)
                s += t->x[((size_t)b * n + f) * spatial + i];
        long double m = s / count;
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < spatial; i++) {
                long double d = t->x[((size_t)b * n + f) * spatial + i] - m;
                q += d * d;
            }
        l->bn_mean[f] = (float)m;
        l->bn_var[f] = count > 1 ? (float)(q / (count - 1)) : 0;
        l->mean[f] = .99f * l->mean[f] + .01f * l->bn_mean[f];
        l->var[f] = .99f * l->var[f] + .01f * l->bn_var[f];
        float sq = sqrtf(l->bn_var[f]), inv = 1.0f / (sq + .000001f), g = l->scales[f];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < spatial; i++) {
                size_t k = ((size_t)b * n + f) * spatial + i;
                l->x_norm[k] = (t->x[k] - l->bn_mean[f]) * inv;
                t->x[k] = t->y[k] = act_one(l->x_norm[k] * g + l->biases[f], l->act);
                float slope = l->act == ACT_LEAKY ? leaky_slope_ref(t->y[k])
                            : l->act == ACT_LOGISTIC ? (1 - t->y[k]) * t->y[k] : 1;
                t->delta[k] *= slope;
                sd += t->delta[k], sdx += (long double)t->delta[k] * l->x_norm[k];
            }
        l->bias_grads[f] += (float)sd;
        l->scale_grads[f] += (float)sdx;
        float mean_g = (float)(sd * g / count);
        float kk = sq > 0 && count > 1 ? (float)(sdx * g / ((count - 1) * (long double)sq)) : 0;
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < spatial; i++) {
                size_t k = ((size_t)b * n + f) * spatial + i;
                t->delta[k] = (t->delta[k] * g - mean_g) * inv - l->x_norm[k] * kk;
            }
    }
}

/* max |a - b| / max(max |b|, floor) over [n] */
static double rel_err(const float *a, const float *b, size_t n, double floor)
{
    double d = 0, m = floor;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        d = e > d ? e : d;
        m = fabs(b[i]) > m ? fabs(b[i]) : m;
    }
    return d / m;
}

/* Every output of two runs equal bit for bit. */
static int bn_same(const bn_case *a, const bn_case *b)
{
    return memcmp(a->x, b->x, a->size * sizeof *a->x) == 0 &&
           memcmp(a->delta, b->delta, a->size * sizeof *a->x) == 0 &&
           memcmp(a->l.x_norm, b->l.x_norm, a->size * sizeof *a->x) == 0 &&
           memcmp(a->p, b->p, 9 * (size_t)a->l.n * sizeof *a->p) == 0;
}

static void test_bn_shape(int batch, int n, int spatial, act_type a)
{
    bn_case t, s, r, t1, t3;
    char name[96];
    snprintf(name, sizeof name, "[%d, %d, %d] %s", batch, n, spatial,
             a == ACT_LEAKY ? "leaky" : a == ACT_LOGISTIC ? "logistic" : "linear");
    memset(&s, 0, sizeof s), memset(&r, 0, sizeof r), memset(&t1, 0, sizeof t1);
    memset(&t3, 0, sizeof t3);
    if (bn_make(&t, batch, n, spatial, a, 11 + (uint64_t)spatial) < 0 ||
        bn_copy(&s, &t, spatial) < 0 || bn_copy(&r, &t, spatial) < 0 ||
        bn_copy(&t1, &t, spatial) < 0 || bn_copy(&t3, &t, spatial) < 0) {
        CHECK(0, "%s: out of memory", name);
        bn_free(&t), bn_free(&s), bn_free(&r), bn_free(&t1), bn_free(&t3);
        return;
    }
    bn_fused(&t, spatial);
    bn_split(&s, spatial);
    bn_reference(&r, spatial);
    omp_set_num_threads(1);
    bn_fused(&t1, spatial);
    omp_set_num_threads(3);
    bn_fused(&t3, spatial);
    omp_set_num_threads(2);
    CHECK(bn_same(&t, &s), "%s: fused = batchnorm_train + act_apply, act_backward + "
          "batchnorm_backward, bit for bit", name);
    CHECK(bn_same(&t, &t1) && bn_same(&t, &t3), "%s: the same bits with 1, 2 and 3 threads",
          name);
    double e_out = rel_err(t.x, r.x, t.size, 1e-30), e_xn = rel_err(t.l.x_norm, r.l.x_norm,
                                                                      t.size, 1e-30);
    double e_stats = rel_err(t.p, r.p, 4 * (size_t)n, 1e-30);
    double e_din = rel_err(t.delta, r.delta, t.size, 1e-30);
    double e_pg = rel_err(t.p + 6 * n, r.p + 6 * n, 2 * (size_t)n, 1e-30);
    CHECK(e_out < 1e-5 && e_xn < 1e-5 && e_stats < 1e-6, "%s: forward output, x_norm, batch "
          "and rolling mean and variance are the formulas' (rel %.2g %.2g %.2g)", name, e_out,
          e_xn, e_stats);
    CHECK(e_din < 1e-4 && e_pg < 1e-5, "%s: dL/dx, dL/d scales and biases are the formulas' "
          "(rel %.2g, %.2g)", name, e_din, e_pg);
    bn_free(&t), bn_free(&s), bn_free(&r), bn_free(&t1), bn_free(&t3);
}

static void test_bn_single(void)
{
    bn_case t;
    if (bn_make(&t, 1, 2, 1, ACT_LINEAR, 3) < 0) {
        CHECK(0, "single value: out of memory");
        return;
    }
    layer_batchnorm_act_train(&t.l, t.x, 2, 1);
    CHECK(t.l.bn_var[0] == 0 && t.l.bn_var[1] == 0 && t.l.x_norm[0] == 0 && t.l.x_norm[1] == 0 &&
          t.x[0] == t.l.biases[0] && t.x[1] == t.l.biases[1], "one value per channel: variance "
          "0, x_norm 0, output = bias");
    layer_batchnorm_act_backward(&t.l, t.x, t.delta, 2, 1);
    CHECK(t.delta[0] == 0 && t.delta[1] == 0, "... and dL/dx 0 (the mean takes it all)");
    bn_free(&t);
}

static void test_bn_far_from_zero(void)
{
    bn_case t, r;
    int batch = 4, spatial = 3 * 4096 + 5;
    if (bn_make(&t, batch, 1, spatial, ACT_LINEAR, 5) < 0) {
        CHECK(0, "far from zero: out of memory");
        return;
    }
    yrng g;
    rng_seed(&g, 9);
    for (size_t i = 0; i < t.size; i++)
        t.x[i] = (float)(1e4 + .01 * rng_normal(&g));
    if (bn_copy(&r, &t, spatial) < 0) {
        CHECK(0, "far from zero: out of memory");
        bn_free(&t);
        return;
    }
    layer_batchnorm_act_train(&t.l, t.x, 1, spatial);
    bn_reference(&r, spatial);
    double e = fabs((double)t.l.bn_var[0] - r.l.bn_var[0]) / r.l.bn_var[0];
    CHECK(e < 1e-6, "values 1e4 + 0.01 N(0,1): the variance (%.4g) is the two-pass long double "
          "one to float rounding (rel %.2g)", (double)t.l.bn_var[0], e);
    bn_free(&t), bn_free(&r);
}

/* ---- 5. maxpool ---------------------------------------------------------------------- */

static const char *pool_cfg =
    "[net]\nwidth=21\nheight=7\nchannels=2\n\n"
    "[maxpool]\nsize=2\nstride=2\n\n"       /* odd input: a padded last column and row */
    "[maxpool]\nsize=2\nstride=1\n\n"       /* overlapping windows */
    "[maxpool]\nsize=3\nstride=2\n";        /* padding before the image too */

/* The first largest inside value of the window, as `v > best` from
 * -FLT_MAX finds it; -1 if none beats -FLT_MAX. */
static int brute_argmax(const layer *l, const float *plane, int oy, int ox)
{
    float best = -FLT_MAX;
    int at = -1, off = -l->pad / 2;
    for (int ky = 0; ky < l->size; ky++)
        for (int kx = 0; kx < l->size; kx++) {
            int y = off + oy * l->stride + ky, x = off + ox * l->stride + kx;
            if (y >= 0 && y < l->h && x >= 0 && x < l->w && plane[y * l->w + x] > best)
                best = plane[y * l->w + x], at = y * l->w + x;
        }
    return at;
}

/* Checks layer i of the training network tn against the inference network
 * fn (same input) and against brute force: -1 on the first mismatch. */
static int pool_layer_ok(const network *tn, const network *fn, int i, float *din)
{
    const layer *l = &tn->l[i];
    const float *in = i ? tn->l[i - 1].out : tn->input;
    size_t outs = (size_t)l->batch * l->outputs, ins = (size_t)l->batch * l->inputs;
    if (memcmp(l->out, fn->l[i].out, outs * sizeof *l->out) != 0)
        return -1;
    memset(din, 0, ins * sizeof *din);
    maxpool_backward(l, tn, in, din);
    float *want = calloc(ins, sizeof *want);
    if (!want)
        return -1;
    int ok = 1;
    for (int p = 0; p < l->batch * l->c; p++)
        for (int oy = 0; oy < l->out_h; oy++)
            for (int ox = 0; ox < l->out_w; ox++) {
                size_t o = ((size_t)p * l->out_h + oy) * l->out_w + ox;
                int at = brute_argmax(l, in + (size_t)p * l->h * l->w, oy, ox);
                ok &= l->indexes[o] == at;
                if (at >= 0)
                    want[(size_t)p * l->h * l->w + at] += l->delta[o];
            }
    ok &= memcmp(want, din, ins * sizeof *din) == 0;
    free(want);
    return ok ? 0 : -1;
}

static void test_maxpool(void)
{
    cfg c;
    network tn, fn;
    yerr err = {0};
    if (cfg_parse(&c, "pool", pool_cfg, strlen(pool_cfg), &err) < 0 ||
        net_load_opts(&c, &tn, &(net_opts){.train = 1, .batch = 2}, &err) < 0) {
        CHECK(0, "maxpool: %s", err.msg);
        return;
    }
    if (net_load_opts(&c, &fn, &(net_opts){.batch = 2}, &err) < 0) {
        CHECK(0, "maxpool: %s", err.msg);
        net_free(&tn), cfg_free(&c);
        return;
    }
    int have = 1, none = 1;
    for (int i = 0; i < tn.n; i++)
        have &= tn.l[i].indexes != NULL, none &= fn.l[i].indexes == NULL;
    CHECK(have && none, "maxpool layers keep indexes in a training network, not in an "
          "inference one");
    CHECK(tn.nblock > fn.nblock, "the training block is larger (%zu > %zu floats)", tn.nblock,
          fn.nblock);
    yrng g;
    rng_seed(&g, 4);
    size_t nin = (size_t)tn.batch * tn.inputs;
    float *din = malloc(nin * sizeof *din);
    if (!din)
        CHECK(0, "maxpool: out of memory");
    for (int round = 0; din && round < 3; round++) {
        /* round 0: many ties (values 0..2); 1: NaN and -FLT_MAX too; 2: plain noise */
        for (size_t k = 0; k < nin; k++) {
            float v = (float)(round == 2 ? rng_normal(&g) : (double)(rng_below(&g, 3)));
            if (round == 1 && rng_below(&g, 4) == 0)
                v = rng_below(&g, 2) ? NAN : -FLT_MAX;
            tn.input[k] = fn.input[k] = v;
        }
        if (round == 1)     /* a window with nothing above -FLT_MAX: no index, no gradient */
            for (int k = 0; k < 4; k++)
                tn.input[k % 2 + k / 2 * tn.w] = fn.input[k % 2 + k / 2 * tn.w] =
                    k % 2 ? -FLT_MAX : NAN;
        net_forward(&tn);
        net_forward(&fn);
        for (int i = 0; i < tn.n; i++) {
            layer *l = &tn.l[i];
            for (size_t k = 0; k < (size_t)l->batch * l->outputs; k++)
                l->delta[k] = (float)rng_normal(&g);
            int ok = pool_layer_ok(&tn, &fn, i, din) == 0;
            CHECK(ok, "maxpool %d (size %d stride %d, %s): training forward = inference forward "
                  "bit for bit, indexes = the first max in window order, backward = the "
                  "brute-force scatter", i, l->size, l->stride,
                  round == 0 ? "ties" : round == 1 ? "NaN and -FLT_MAX" : "noise");
        }
    }
    free(din);
    net_free(&tn), net_free(&fn), cfg_free(&c);
}

int main(void)
{
    omp_set_num_threads(2);
    test_act_spans();
    const act_type acts[] = {ACT_LEAKY, ACT_LINEAR, ACT_LOGISTIC};
    const int shapes[][3] = {{3, 5, 77}, {4, 3, 2 * 4096 + 13}, {4, 2, 1}, {2, 16, 4096},
                             {1, 1, 9}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
            test_bn_shape(shapes[s][0], shapes[s][1], shapes[s][2], acts[a]);
    test_bn_single();
    test_bn_far_from_zero();
    test_maxpool();
    return check_done();
}
