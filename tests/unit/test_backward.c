/* Unit tests for the training passes (common/net/layers/X_backward,
 * layer_batchnorm_train/_backward, net_backward) against PyTorch autograd in
 * float64: tests/torch/make-grad-fixtures.py wrote tests/torch/grad/NAME.grad
 * (its docstring gives the file format). Relative error is max |ours -
 * torch| / max |torch| over a tensor (tests/unit/test_network.c's rule).
 *   1. per layer: a small network in training mode, given the fixture's
 *      input, parameters and upstream gradient of its last layer: the
 *      forward output, the rolling mean and variance after it, dL/d out of
 *      every layer (copied just before that layer's backward runs, when it
 *      is complete), dL/d input, dL/d biases, scales and weights of every
 *      layer, each to 1e-4; a second backward without zeroing doubles the
 *      parameter and input gradients; net_backward's parameter gradients
 *      are those of the layer-by-layer loop here (which differs only in
 *      also asking the first layer for dL/d input);
 *   2. dropout with a random state: out = in * drop, drop 0 or 1/(1-p),
 *      din += delta * drop; without one, the identity;
 *   3. yolov2-tiny-voc at 160x128, batch 2, weights_random: every layer's
 *      dL/d biases, scales, weights, rolling mean and variance and dL/d out,
 *      through 256 sampled elements, max |x| and sum |x|, to 1e-4; the same
 *      by Winograd against the direct path on an input whose forward crosses
 *      no kink (leaky's sign, maxpool's maximum) that the direct one does
 *      not, and against torch where the fixture's own input crosses none
 *      (test_whole_wino says why);
 *   4. finite differences, no reference needed: central differences of L =
 *      sum(upstream * out) with step FD_STEP in float32 against our
 *      gradients of every input and parameter, for smooth networks. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <string.h>

#include "yolo/net/cfg.h"
#include "yolo/net/layers.h"
#include "yolo/net/network.h"
#include "yolo/base/rng.h"
#include "yolo/net/weights.h"

#include "check.h"
#include "relerr.h"

#define FXDIR "tests/torch/grad/"
#define WHOLE "yolov2-tiny-voc-160x128"
#define TOL 1e-4        /* against torch (float32 against float64) */
#define TOL_TWICE 1e-5  /* a second backward against twice the first */
#define FD_STEP 1e-2f   /* finite differences: the step in float32 */
#define FD_TOL 1e-3     /* and their tolerance, relative (see test_finite_differences) */

/* ---- the fixture file ------------------------------------------------------------- */

enum { REC_F32, REC_TEXT, REC_I32 };

typedef struct grec {
    char name[25];
    int kind, count;
    void *data;         /* [count] floats, ints or bytes (+ NUL), aligned copy */
} grec;

typedef struct gfile {
    grec *rec;          /* [n] */
    int n;
} gfile;

static void gfile_free(gfile *f)
{
    for (int i = 0; i < f->n; i++)
        free(f->rec[i].data);
    free(f->rec);
    memset(f, 0, sizeof *f);
}

/* One record at fp into r: 1, 0 at the end of the file, -1 if malformed. */
static int grec_read(FILE *fp, grec *r)
{
    unsigned char head[32];
    size_t got = fread(head, 1, sizeof head, fp);
    if (got == 0 && feof(fp))
        return 0;
    memset(r, 0, sizeof *r);
    memcpy(r->name, head, 24);
    memcpy(&r->kind, head + 24, 4);     /* the file is little-endian, as this machine */
    memcpy(&r->count, head + 28, 4);
    if (got != sizeof head || r->count < 0 || r->kind < REC_F32 || r->kind > REC_I32)
        return -1;
    size_t size = (size_t)r->count * (r->kind == REC_TEXT ? 1 : 4);
    r->data = malloc(size + 1);
    if (!r->data || fread(r->data, 1, size, fp) != size) {
        free(r->data);
        return -1;
    }
    ((char *)r->data)[size] = 0;
    return 1;
}

/* Reads path into f: 0, or -1 with a TAP comment saying why. */
static int gfile_read(const char *path, gfile *f)
{
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    char magic[8];
    int rc = fp && fread(magic, 1, 8, fp) == 8 && !memcmp(magic, "DNGRAD01", 8) ? 1 : -1;
    grec r;
    while (rc == 1 && (rc = grec_read(fp, &r)) == 1) {
        grec *more = realloc(f->rec, ((size_t)f->n + 1) * sizeof *more);
        if (!more) {
            free(r.data);
            rc = -1;
            break;
        }
        f->rec = more;
        f->rec[f->n++] = r;
    }
    if (fp)
        fclose(fp);
    if (rc < 0) {
        printf("# %s: missing or malformed\n", path);
        gfile_free(f);
    }
    return rc;
}

/* The record called name, of that kind and (count >= 0) that many
 * elements; NULL with a TAP comment if there is none. */
static const grec *gfind(const gfile *f, const char *name, int kind, long count)
{
    for (int i = 0; i < f->n; i++) {
        const grec *r = &f->rec[i];
        if (strcmp(r->name, name))
            continue;
        if (r->kind == kind && (count < 0 || r->count == count))
            return r;
        printf("# record %s: kind %d, %d elements; want kind %d, %ld\n", name, r->kind,
               r->count, kind, count);
        return NULL;
    }
    printf("# record %s missing\n", name);
    return NULL;
}

/* ---- comparisons ------------------------------------------------------------------ */

/* max |got - k*want| / max |k*want| over [n] (the absolute error when
 * want is all zero). */
static double rel_err(const float *got, const float *want, double k, size_t n)
{
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs(got[i] - k * want[i]));
        scale = fmax(scale, fabs(k * want[i]));
    }
    return scale > 0 ? diff / scale : diff;
}

/* x [n] against a fixture summary s = [max |x|, sum |x|, x[idx_k] for the
 * min(n, samples) evenly spaced idx_k]: the worst of the samples' and max's
 * errors relative to max |x| and the sum's relative to itself; 1e9 if the
 * summary's length does not fit n. */
static double summary_err(const float *x, size_t n, const grec *s, size_t samples)
{
    size_t m = n < samples ? n : samples;
    if (!s || (size_t)s->count != 2 + m || n == 0)
        return 1e9;
    const float *v = s->data;
    double maxabs = 0, sumabs = 0, scale = v[0] > 0 ? v[0] : 1, worst = 0;
    for (size_t i = 0; i < n; i++)
        maxabs = fmax(maxabs, fabs(x[i])), sumabs += fabs(x[i]);
    for (size_t k = 0; k < m; k++) {
        size_t idx = m > 1 ? k * (n - 1) / (m - 1) : 0;
        worst = fmax(worst, fabs(x[idx] - v[2 + k]) / scale);
    }
    worst = fmax(worst, fabs(maxabs - v[0]) / scale);
    return fmax(worst, fabs(sumabs - v[1]) / (v[1] > 0 ? v[1] : 1));
}

/* ---- one network in training --------------------------------------------------------- */

typedef struct tcase {
    const char *name;
    gfile f;
    cfg c;
    network net;
    float *upstream;    /* [batch * outputs] dL/d out of the last layer */
    float *din;         /* [batch * inputs] dL/d input */
    float **seen;       /* [n][batch * outputs] each layer's delta before its backward */
    int loaded;
} tcase;

static void case_free(tcase *t)
{
    if (t->loaded) {
        for (int i = 0; i < t->net.n; i++)
            free(t->seen[i]);
        net_free(&t->net);
        cfg_free(&t->c);
    }
    free(t->seen);
    free(t->upstream);
    free(t->din);
    gfile_free(&t->f);
    memset(t, 0, sizeof *t);
}

static size_t outputs_of(const layer *l) { return (size_t)l->batch * l->outputs; }
static layer *last_layer(tcase *t) { return &t->net.l[t->net.n - 1]; }

/* Builds the network of cfg c (taken over) for training with the options
 * o and the buffers the test needs: 0 or -1. */
static int case_build(tcase *t, const net_opts *o)
{
    yerr err = {0};
    if (net_load_opts(&t->c, &t->net, o, &err) < 0) {
        printf("# %s: %s\n", t->name, err.msg);
        cfg_free(&t->c);
        return -1;
    }
    t->loaded = 1;
    t->upstream = calloc(outputs_of(last_layer(t)), sizeof *t->upstream);
    t->din = calloc((size_t)t->net.batch * t->net.inputs, sizeof *t->din);
    t->seen = calloc((size_t)t->net.n, sizeof *t->seen);
    int ok = t->upstream && t->din && t->seen;
    for (int i = 0; ok && i < t->net.n; i++)
        ok = (t->seen[i] = malloc(outputs_of(&t->net.l[i]) * sizeof **t->seen)) != NULL;
    return ok ? 0 : -1;
}

/* Loads FXDIR/name.grad: its network with the fixture's parameters, input and
 * upstream gradient. 0, or -1 with a TAP comment. */
static int case_load(tcase *t, const char *name)
{
    char path[256];
    yerr err = {0};
    memset(t, 0, sizeof *t);
    t->name = name;
    snprintf(path, sizeof path, FXDIR "%s.grad", name);
    if (gfile_read(path, &t->f) < 0)
        return -1;
    const grec *text = gfind(&t->f, "cfg", REC_TEXT, -1), *b = gfind(&t->f, "batch", REC_I32, 1);
    if (!text || !b)
        return -1;
    if (cfg_parse(&t->c, name, text->data, (size_t)text->count, &err) < 0) {
        printf("# %s: %s\n", name, err.msg);
        return -1;
    }
    if (case_build(t, &(net_opts){.train = 1, .batch = *(const int *)b->data}) < 0)
        return -1;
    network *net = &t->net;
    const grec *in = gfind(&t->f, "input", REC_F32, (long)net->batch * net->inputs),
               *p = gfind(&t->f, "params", REC_F32, (long)net->nparams),
               *u = gfind(&t->f, "upstream", REC_F32, (long)outputs_of(last_layer(t)));
    if (!in || !p || !u)
        return -1;
    memcpy(net->input, in->data, (size_t)in->count * sizeof *net->input);
    memcpy(net->params, p->data, (size_t)p->count * sizeof *net->params);
    memcpy(t->upstream, u->data, (size_t)u->count * sizeof *t->upstream);
    return 0;
}

/* Clears the deltas and puts the upstream gradient into the last layer's. */
static void seed_deltas(tcase *t)
{
    net_zero_deltas(&t->net);
    memcpy(last_layer(t)->delta, t->upstream, outputs_of(last_layer(t)) * sizeof *t->upstream);
}

/* net_backward's loop, but the first layer is given t->din too (dL/d
 * input), and each layer's delta is copied into seen[i] just before its
 * backward, when every layer above it has added its part. */
static void backward(tcase *t)
{
    network *net = &t->net;
    for (int i = net->n - 1; i >= 0; i--) {
        const layer *l = &net->l[i];
        memcpy(t->seen[i], l->delta, outputs_of(l) * sizeof *l->delta);
        net_backward_layer(net, i, i ? net->l[i - 1].delta : t->din);
    }
}

/* A fresh backward: gradients and din zeroed first. */
static void backward_fresh(tcase *t)
{
    net_zero_grads(&t->net);
    memset(t->din, 0, (size_t)t->net.batch * t->net.inputs * sizeof *t->din);
    seed_deltas(t);
    backward(t);
}

/* ---- 1. per layer against torch ------------------------------------------------------ */

/* The rolling mean and variance of every batch-norm layer after the
 * forward against the fixture's `rolled`: the worst relative error, -1 if
 * there is no batch norm. */
static double rolled_err(tcase *t)
{
    network *net = &t->net;
    const grec *r = gfind(&t->f, "rolled", REC_F32, (long)net->nparams);
    double worst = -1;
    for (int i = 0; r && i < net->n; i++) {
        const layer *l = &net->l[i];
        if (!l->batch_normalize)
            continue;
        const float *want = r->data;
        worst = fmax(worst, rel_err(l->mean, want + (l->mean - net->params), 1, (size_t)l->n));
        worst = fmax(worst, rel_err(l->var, want + (l->var - net->params), 1, (size_t)l->n));
    }
    return r ? worst : 1e9;
}

/* dL/d out of every layer against delta.I: the worst, its layer in *at. */
static double deltas_err(tcase *t, int *at)
{
    double worst = 0;
    *at = -1;
    for (int i = 0; i < t->net.n; i++) {
        char name[32];
        snprintf(name, sizeof name, "delta.%d", i);
        const grec *d = gfind(&t->f, name, REC_F32, (long)outputs_of(&t->net.l[i]));
        double e = d ? rel_err(t->seen[i], d->data, 1, outputs_of(&t->net.l[i])) : 1e9;
        if (e > worst || *at < 0)
            worst = e, *at = i;
    }
    return worst;
}

/* Each layer's dL/d biases, scales, weights against the fixture's grads. */
static void check_param_grads(tcase *t, const float *want)
{
    network *net = &t->net;
    for (int i = 0; i < net->n; i++) {
        const layer *l = &net->l[i];
        const char *what[3] = {"biases", "scales", "weights"};
        const float *got[3] = {l->bias_grads, l->scale_grads, l->weight_grads};
        const float *at[3] = {l->biases, l->scales, l->weights};
        size_t n[3] = {l->nbiases, l->batch_normalize ? (size_t)l->n : 0, l->nweights};
        for (int k = 0; k < 3; k++) {
            if (!n[k])
                continue;
            double e = rel_err(got[k], want + (at[k] - net->params), 1, n[k]);
            CHECK(e <= TOL, "%s: layer %d [%s] dL/d %s (rel %.2g)", t->name, i,
                  cfg_type_name(l->type), what[k], e);
        }
    }
}

/* A second backward without zeroing adds the same again; net_backward
 * gives the loop's parameter gradients. */
static void check_accumulation(tcase *t)
{
    network *net = &t->net;
    size_t nin = (size_t)net->batch * net->inputs;
    float *g1 = malloc((net->nparams + 1) * sizeof *g1), *d1 = malloc(nin * sizeof *d1);
    if (!g1 || !d1) {
        CHECK(0, "%s: memory for the accumulation check", t->name);
        free(g1), free(d1);
        return;
    }
    memcpy(g1, net->grads, net->nparams * sizeof *g1);
    memcpy(d1, t->din, nin * sizeof *d1);
    seed_deltas(t);
    backward(t);
    double eg = rel_err(net->grads, g1, 2, net->nparams), ed = rel_err(t->din, d1, 2, nin);
    CHECK(eg <= TOL_TWICE && ed <= TOL_TWICE,
          "%s: a second backward without zeroing doubles the gradients (rel %.2g params, "
          "%.2g input)", t->name, eg, ed);
    if (net->nparams) {
        net_zero_grads(net);
        seed_deltas(t);
        net_backward(net);
        double e = rel_err(net->grads, g1, 1, net->nparams);
        CHECK(e <= 1e-6, "%s: net_backward's parameter gradients are the loop's (rel %.2g)",
              t->name, e);
    }
    free(g1);
    free(d1);
}

/* case_load, then the training forward: 0, or -1 after a failing CHECK. */
static int case_start(tcase *t, const char *name, const char *purpose)
{
    if (case_load(t, name) < 0) {
        CHECK(0, "%s: %s: the fixture loads and its network builds", name, purpose);
        case_free(t);
        return -1;
    }
    net_forward(&t->net);
    return 0;
}

static void test_case(const char *name)
{
    tcase t;
    if (case_start(&t, name, "against torch") < 0)
        return;
    network *net = &t.net;
    const grec *out = gfind(&t.f, "out", REC_F32, (long)outputs_of(last_layer(&t)));
    double e = out ? rel_err(last_layer(&t)->out, out->data, 1, (size_t)out->count) : 1e9;
    CHECK(e <= TOL, "%s: training forward output (rel %.2g)", name, e);
    e = rolled_err(&t);
    if (e >= 0)
        CHECK(e <= TOL, "%s: rolling mean and variance after the forward (rel %.2g)", name, e);
    backward_fresh(&t);
    int at;
    e = deltas_err(&t, &at);
    CHECK(e <= TOL, "%s: dL/d out of every layer (worst rel %.2g, layer %d)", name, e, at);
    const grec *din = gfind(&t.f, "din", REC_F32, (long)net->batch * net->inputs);
    e = din ? rel_err(t.din, din->data, 1, (size_t)din->count) : 1e9;
    CHECK(e <= TOL, "%s: dL/d input (rel %.2g)", name, e);
    const grec *g = gfind(&t.f, "grads", REC_F32, (long)net->nparams);
    if (g)
        check_param_grads(&t, g->data);
    else
        CHECK(0, "%s: the fixture has grads", name);
    check_accumulation(&t);
    case_free(&t);
}

static const char *const cases[] = {
    "conv-bn-leaky", "conv-bn-smallvar", "conv-s2-linear", "conv-1x1-bn-logistic",
    "conv-groups-bn-relu", "conv-nopad-tanh", "conv-s2-nopad-bn-elu", "conv-size2-s2-padding1",
    "conv-acts", "maxpool-2-2", "maxpool-2-1", "maxpool-3-2", "maxpool-3-1-pad", "route",
    "route-one", "reorg", "reorg-reverse", "shortcut", "shortcut-stride", "shortcut-sample",
    "shortcut-self", "upsample-2", "upsample-3-scale", "upsample-down",
    /* FAILS (a bug, reported): a downsample (stride < 0) of a 5-wide input
     * reads its rows 4 wide (upsample.c indexes the large side as if it
     * were [out_h * stride, out_w * stride]); torch sums each 2x2 block and
     * leaves the fifth column out */
    "upsample-down-odd",
    "connected", "connected-bn", "dropout", "local-pad", "local-s2", "avgpool", "softmax",
    "softmax-connected", "mini-v3", "region", "yolo", "detection",
    /* AlexeyAB's dialect: his batch norm, mish, swish, hard_mish, route
     * groups, maxpool_depth, SPP, a small yolov4-tiny */
    "ab-conv-bn-mish", "ab-conv-bn-smallvar", "ab-acts", "ab-route-groups", "ab-maxpool-depth",
    "ab-spp", "ab-shortcut-mish", "ab-mini-v4tiny",
};

/* ---- 2. dropout with a random state --------------------------------------------------- */

static void test_dropout_rng(void)
{
    const char *text = "[net]\nwidth=4\nheight=4\nchannels=2\n[dropout]\nprobability=.25\n";
    tcase t = {.name = "dropout p=.25"};
    yerr err = {0};
    yrng r;
    if (cfg_parse(&t.c, "dropout.cfg", text, strlen(text), &err) < 0 ||
        case_build(&t, &(net_opts){.train = 1, .batch = 3}) < 0) {
        CHECK(0, "dropout: builds (%s)", err.msg);
        case_free(&t);
        return;
    }
    network *net = &t.net;
    layer *l = &net->l[0];
    size_t n = outputs_of(l), zeros = 0;
    int exact = 1, factors = 1;
    rng_seed(&r, 5);
    for (size_t i = 0; i < n; i++)
        net->input[i] = (float)rng_range(&r, -1, 1), t.upstream[i] = (float)rng_range(&r, -1, 1);
    net->rng = &r;
    net_forward(net);
    for (size_t i = 0; i < n; i++) {
        zeros += l->drop[i] == 0;
        factors &= l->drop[i] == 0 || l->drop[i] == 1 / (1 - .25f);
        exact &= l->out[i] == net->input[i] * l->drop[i];
    }
    CHECK(factors && exact && zeros >= n / 8 && zeros <= n / 2,
          "dropout with net->rng: factors 0 or 1/(1-p), out = in * drop, %zu of %zu dropped",
          zeros, n);
    for (int pass = 1; pass <= 2; pass++) {
        seed_deltas(&t);
        backward(&t);
        exact = 1;
        for (size_t i = 0; i < n; i++)
            exact &= t.din[i] == pass * (t.upstream[i] * l->drop[i]);
        CHECK(exact, "dropout with net->rng: backward %d adds delta * drop into din", pass);
    }
    net->rng = NULL;
    net_forward(net);
    exact = 1;
    for (size_t i = 0; i < n; i++)
        exact &= l->drop[i] == 1 && l->out[i] == net->input[i];
    CHECK(exact, "dropout without net->rng: the identity, every factor 1");
    case_free(&t);
}

/* ---- 3. the whole yolov2-tiny-voc ---------------------------------------------------- */

/* The fixture's summary of each array of every layer against ours (our
 * deltas from `seen`, or none): the count that failed. With deltas, a CHECK
 * per array, or a SKIP naming skip when it is set. */
static int whole_compare(tcase *t, size_t samples, int deltas, const char *skip, double *worst)
{
    int bad = 0;
    *worst = 0;
    for (int i = 0; i < t->net.n; i++) {
        const layer *l = &t->net.l[i];
        const char *what[6] = {"biases", "scales", "weights", "mean", "var", "delta"};
        const float *x[6] = {l->bias_grads, l->scale_grads, l->weight_grads, l->mean, l->var,
                             deltas ? t->seen[i] : NULL};
        size_t bn = l->batch_normalize ? (size_t)l->n : 0;
        size_t n[6] = {l->nbiases, bn, l->nweights, bn, bn, deltas ? outputs_of(l) : 0};
        for (int k = 0; k < 6; k++) {
            if (!n[k])
                continue;
            char name[32];
            snprintf(name, sizeof name, "%s.%d", what[k], i);
            double e = summary_err(x[k], n[k], gfind(&t->f, name, REC_F32, -1), samples);
            *worst = fmax(*worst, e);
            bad += e > TOL;
            if (deltas && skip)
                SKIP(skip, "%s: layer %d [%s] %s%s against torch", t->name, i,
                     cfg_type_name(l->type), k < 3 || k == 5 ? "dL/d " : "rolling ",
                     k == 5 ? "out" : what[k]);
            else if (deltas)
                CHECK(e <= TOL, "%s: layer %d [%s] %s%s (rel %.2g)", t->name, i,
                      cfg_type_name(l->type), k < 3 || k == 5 ? "dL/d " : "rolling ",
                      k == 5 ? "out" : what[k], e);
        }
    }
    return bad;
}

/* Fills x [n] from the xoshiro stream seeded seed: a + b * uniform. */
static void fill(float *x, size_t n, uint64_t seed, double a, double b)
{
    yrng r;
    rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(a + b * rng_uniform(&r));
}

/* Kinks between two training forwards of one network (same parameters and
 * input): leaky outputs whose sign differs and maxpool windows whose
 * maximum is another input. At a kink the gradient jumps (leaky's slope 1
 * against .1; the delta sent to another input), so two forwards that
 * differ by float rounding alone give gradients that differ by O(1) in the
 * elements downstream of each crossed kink. */
static long kinks_crossed(const network *a, const network *b)
{
    long crossed = 0;
    for (int i = 0; i < a->n; i++) {
        const layer *la = &a->l[i], *lb = &b->l[i];
        size_t n = outputs_of(la);
        if (la->type == CFG_MAXPOOL && la->indexes && lb->indexes)
            for (size_t j = 0; j < n; j++)
                crossed += la->indexes[j] != lb->indexes[j];
        else if (la->act == ACT_LEAKY)
            for (size_t j = 0; j < n; j++)
                crossed += (la->out[j] > 0) != (lb->out[j] > 0);
    }
    return crossed;
}

/* The whole network's case: the fixture, the cfg, the network with the
 * fixture's weights (by Winograd with wino), its input and upstream
 * gradient; v: w, h, batch, weights seed, input seed, delta seed, samples.
 * 0, or -1 after a failed CHECK. */
static int whole_build(tcase *t, int wino, const int **v)
{
    yerr err = {0};
    const grec *path, *o;
    if (gfile_read(FXDIR WHOLE ".grad", &t->f) < 0 ||
        !(path = gfind(&t->f, "cfg", REC_TEXT, -1)) || !(o = gfind(&t->f, "net", REC_I32, 7))) {
        CHECK(0, "%s: the fixture loads", t->name);
        return -1;
    }
    const char *cfgpath = path->data;   /* tests/data/cfg/NAME */
    *v = o->data;
    const int *p = *v;
    if (cfg_load(&t->c, cfgpath, &err) < 0 ||
        case_build(t, &(net_opts){.w = p[0], .h = p[1], .batch = p[2], .train = 1}) < 0) {
        CHECK(0, "%s: builds (%s)", t->name, err.msg);
        return -1;
    }
    weights_random(&t->net, (uint64_t)p[3]);
    if (wino && net_winograd(&t->net, NET_WINO_ALL, &err) <= 0) {
        CHECK(0, "%s: Winograd's weights (%s)", t->name, err.msg);
        return -1;
    }
    fill(t->net.input, (size_t)t->net.batch * t->net.inputs, (uint64_t)p[4], 0, 1);
    fill(t->upstream, outputs_of(last_layer(t)), (uint64_t)p[5], -1, 2);
    return 0;
}

/* The worst relative difference between two backward passes of one network
 * (every layer's parameter gradients and dL/d out), and the layer. */
static double twin_diff(const tcase *a, const tcase *b, int *where)
{
    double worst = 0;
    *where = -1;
    for (int i = 0; i < a->net.n; i++) {
        const layer *la = &a->net.l[i], *lb = &b->net.l[i];
        size_t bn = la->batch_normalize ? (size_t)la->n : 0;
        double e = rel_diff(a->seen[i], b->seen[i], outputs_of(la));
        if (la->bias_grads)
            e = fmax(e, rel_diff(la->bias_grads, lb->bias_grads, (size_t)la->nbiases));
        if (la->weight_grads)
            e = fmax(e, rel_diff(la->weight_grads, lb->weight_grads, (size_t)la->nweights));
        if (bn)
            e = fmax(e, rel_diff(la->scale_grads, lb->scale_grads, bn));
        if (e > worst)
            worst = e, *where = i;
    }
    return worst;
}

/* Training by Winograd against training by im2col + GEMM (the path the
 * torch fixture checks), both ours, on inputs drawn from the fixture's input
 * seed + 1, + 2, ... until one crosses no kink between the two forwards;
 * the fixture's point itself goes to torch only when it crosses none. The
 * Winograd forward's rounding differs from the direct one's by ~1e-6 of a
 * value, and 6.8e5 leaky outputs and maxpool windows of this network lie
 * near a kink with a density of ~1 per unit: about one crossing per
 * forward is expected, which no tolerance on the gradients can absorb (one
 * crossed kink in layer 12 moved its dL/d biases by 15%). Measured, the
 * fixture's own point crosses 0 kinks by the FMA families and 2 by the
 * generic one. */
static void test_whole_wino(void)
{
    tcase w = {.name = WHOLE " by Winograd"}, d = {.name = WHOLE " direct"};
    const int *v;
    if (whole_build(&w, 1, &v) < 0 || whole_build(&d, 0, &v) < 0) {
        case_free(&w);
        case_free(&d);
        return;
    }
    /* the fixture's point first (the forward moves the rolling statistics
     * the fixture holds): torch's reference where no kink is crossed */
    net_forward(&w.net);
    net_forward(&d.net);
    long crossed = kinks_crossed(&w.net, &d.net), at_fixture = crossed;
    printf("# input seed %d: the Winograd forward crosses %ld kinks\n", v[4], crossed);
    backward_fresh(&w);
    char why[96];
    double worst;
    snprintf(why, sizeof why, "at the fixture's point the Winograd forward crosses %ld kinks",
             at_fixture);
    whole_compare(&w, (size_t)v[6], 1, at_fixture ? why : NULL, &worst);
    /* then the direct path's gradients at the first input that crosses none */
    size_t inputs = (size_t)w.net.batch * w.net.inputs;
    int seed = 0;
    while (crossed != 0 && ++seed < 16) {
        fill(w.net.input, inputs, (uint64_t)v[4] + seed, 0, 1);
        memcpy(d.net.input, w.net.input, inputs * sizeof *w.net.input);
        net_forward(&w.net);
        net_forward(&d.net);
        crossed = kinks_crossed(&w.net, &d.net);
        printf("# input seed %d + %d: the Winograd forward crosses %ld kinks\n", v[4], seed,
               crossed);
    }
    CHECK(crossed == 0, "%s: an input within 16 seeds whose forward crosses no kink", w.name);
    if (crossed == 0) {
        backward_fresh(&w);
        backward_fresh(&d);
        int where;
        double e = twin_diff(&w, &d, &where);
        CHECK(e <= TOL, "%s: at input seed %d + %d every layer's gradients and dL/d out are "
              "the direct path's within %g (worst rel %.2g, layer %d)", w.name, v[4], seed,
              TOL, e, where);
    }
    case_free(&w);
    case_free(&d);
}

/* The whole network by im2col + GEMM against the torch fixture. */
static void test_whole(void)
{
    tcase t = {.name = WHOLE};
    const int *v;
    if (whole_build(&t, 0, &v) < 0) {
        case_free(&t);
        return;
    }
    net_forward(&t.net);
    backward_fresh(&t);
    double worst;
    whole_compare(&t, (size_t)v[6], 1, NULL, &worst);
    net_zero_grads(&t.net);
    seed_deltas(&t);
    net_backward(&t.net);
    int bad = whole_compare(&t, (size_t)v[6], 0, NULL, &worst);
    CHECK(bad == 0, "%s: net_backward: every layer's parameter gradients within %g (worst rel "
          "%.2g)", t.name, TOL, worst);
    case_free(&t);
}

/* ---- 4. finite differences ------------------------------------------------------------ */

/* L = sum(upstream * out of the last layer) after a training forward, in
 * double. */
static double loss(tcase *t)
{
    const float *y = net_forward(&t->net);
    double sum = 0;
    for (size_t i = 0; i < outputs_of(last_layer(t)); i++)
        sum += (double)t->upstream[i] * y[i];
    return sum;
}

/* max |fd - g| / max |g| over x [n], fd the central difference of the loss
 * at each x[i] with the step actually taken in float32. */
static double fd_err(tcase *t, float *x, const float *g, size_t n)
{
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        float keep = x[i], up = keep + FD_STEP, down = keep - FD_STEP;
        x[i] = up;
        double lp = loss(t);
        x[i] = down;
        double lm = loss(t);
        x[i] = keep;
        diff = fmax(diff, fabs((lp - lm) / ((double)up - down) - g[i]));
        scale = fmax(scale, fabs(g[i]));
    }
    return scale > 0 ? diff / scale : diff;
}

/* The worst finite-difference error so far and where. */
typedef struct fd_worst {
    double err;
    const char *what;
    int layer;          /* -1: the input */
} fd_worst;

static void fd_note(fd_worst *w, double err, const char *what, int layer)
{
    if (err > w->err || !w->what)
        w->err = err, w->what = what, w->layer = layer;
}

/* Smooth networks only (a kink or a max switching within the step breaks
 * the difference). L is a sum of ~100 products of magnitude ~1 made in
 * float32, so its rounding (~1e-6) over the 2e-2 difference is ~5e-5, and
 * the step's truncation h^2/6 f''' is ~2e-5 f''': FD_TOL = 1e-3 relative
 * to the largest gradient of each array leaves a margin of 7 over the worst
 * seen (1.4e-4). */
static void test_finite_differences(const char *name)
{
    tcase t;
    if (case_start(&t, name, "finite differences") < 0)
        return;
    network *net = &t.net;
    backward_fresh(&t);
    size_t nin = (size_t)net->batch * net->inputs;
    float *g = malloc((net->nparams + nin) * sizeof *g);   /* params' gradients, then din */
    if (!g) {
        CHECK(0, "%s: memory", name);
        case_free(&t);
        return;
    }
    memcpy(g, net->grads, net->nparams * sizeof *g);
    memcpy(g + net->nparams, t.din, nin * sizeof *g);
    fd_worst w = {0};
    fd_note(&w, fd_err(&t, net->input, g + net->nparams, nin), "input", -1);
    for (int i = 0; i < net->n; i++) {
        layer *l = &net->l[i];
        float *p[3] = {l->biases, l->scales, l->weights};
        size_t n[3] = {l->nbiases, l->batch_normalize ? (size_t)l->n : 0, l->nweights};
        const char *what[3] = {"biases", "scales", "weights"};
        for (int k = 0; k < 3; k++)
            if (n[k])
                fd_note(&w, fd_err(&t, p[k], g + (p[k] - net->params), n[k]), what[k], i);
    }
    CHECK(w.err <= FD_TOL, "%s: central differences (step %g) agree with the gradients of "
          "the input and every parameter (worst rel %.2g: %s, layer %d)", name, FD_STEP, w.err,
          w.what, w.layer);
    free(g);
    case_free(&t);
}

/* Every FXDIR/NAME.grad is one of cases[] or the whole network's. */
static void test_all_fixtures_used(void)
{
    DIR *d = opendir(FXDIR);
    struct dirent *e;
    int files = 0, unused = 0;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".grad"))
            continue;
        files++;
        int found = !strcmp(e->d_name, WHOLE ".grad");
        for (size_t i = 0; !found && i < sizeof cases / sizeof *cases; i++)
            found = strlen(cases[i]) == len - 5 && !strncmp(cases[i], e->d_name, len - 5);
        if (!found)
            printf("# %s%s is not tested\n", FXDIR, e->d_name), unused++;
    }
    if (d)
        closedir(d);
    CHECK(d && unused == 0 && files == (int)(sizeof cases / sizeof *cases) + 1,
          "every fixture in " FXDIR " is tested (%d files)", files);
}

int main(void)
{
    test_all_fixtures_used();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        test_case(cases[i]);
    test_dropout_rng();
    test_whole();
    test_whole_wino();
    const char *smooth[] = {"conv-1x1-bn-logistic", "conv-s2-nopad-bn-elu", "conv-nopad-tanh",
                            "local-s2", "softmax-connected", "softmax", "shortcut-sample",
                            "ab-conv-bn-mish", "ab-shortcut-mish"};
    for (size_t i = 0; i < sizeof smooth / sizeof *smooth; i++)
        test_finite_differences(smooth[i]);
    return check_done();
}
