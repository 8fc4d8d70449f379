/* One training step of a darknet network, the network alone (no data, no
 * loss), timed: the work PyTorch's step does in bench/train/torch_train.py
 * minus its loss. Per iteration:
 *   net_forward; net_zero_deltas; each head's delta = a fixed random
 *   gradient; net_backward; optim_update
 * on a network built for training (net_opts.train) at the cfg's size with
 * BATCH images, seeded random weights (weights_random) and a random input.
 * The optimiser is the cfg's (optim_parse: SGD with its momentum and decay)
 * with batch = BATCH, subdivisions 1.
 *
 *     step CFG [ITERS [WARMUP [BATCH [PROFILE [CLOCK [CONV]]]]]]
 *                                        (defaults 5 1 8 1 wall winograd)
 *
 * CONV is winograd (net_winograd: the 3x3 layers of 16+ channels by
 * Winograd in forward and for the input's gradient, as darknet-forward
 * --train runs them) or direct (im2col + GEMM everywhere).
 *
 * CLOCK is wall (CLOCK_MONOTONIC) or cpu (the process's CPU time,
 * CLOCK_PROCESS_CPUTIME_ID): with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
 * the CPU time is the work done, whatever other jobs take the cores (they
 * still share caches and memory bandwidth); with more threads it also
 * counts their waiting, so it says little.
 *
 * Prints one line per timed iteration, then the medians of each part and
 * of the whole in ms per step and per image. Then PROFILE more steps run
 * layer by layer (the same calls net_forward and net_backward make) and the
 * time of each layer type's forward and backward is printed, with GFLOP/s
 * for the convolutions (backward counted as twice the forward's
 * multiply-adds: dL/dW and dL/dx). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yolo/net/cfg.h"
#include "yolo/net/layers.h"
#include "yolo/net/network.h"
#include "yolo/net/optim.h"
#include "yolo/base/rng.h"
#include "yolo/net/weights.h"

#define MAX_ITERS 1000
#define NPART 4

static const char *part_name[NPART] = {"forward", "zero+grad", "backward", "update"};

static double now(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static long arg_long(const char *s, long lo, long hi, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "step: %s must be an integer in [%ld, %ld], not '%s'\n", what, lo, hi, s);
        exit(1);
    }
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double smallest(const double *v, int n)
{
    double m = v[0];
    for (int i = 1; i < n; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double median(const double *v, int n)
{
    double s[MAX_ITERS];
    memcpy(s, v, (size_t)n * sizeof *v);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

typedef struct bench {
    network net;
    optim_config opt;
    int heads[16], nheads;
    float *grad;              /* [sum of the heads' batch * outputs] the fixed dL/d out */
    yrng rng;
    long t;                   /* updates done */
    clockid_t clock;          /* what the timings read */
} bench;

static void fill_grad(bench *b)
{
    const float *g = b->grad;
    for (int k = 0; k < b->nheads; k++) {
        layer *l = &b->net.l[b->heads[k]];
        size_t n = (size_t)l->batch * l->outputs;
        memcpy(l->delta, g, n * sizeof *g);
        g += n;
    }
}

/* One step by the public calls; t[NPART] gets each part's seconds. */
static void step(bench *b, double *t)
{
    double t0 = now(b->clock);
    net_forward(&b->net);
    double t1 = now(b->clock);
    net_zero_deltas(&b->net);
    fill_grad(b);
    double t2 = now(b->clock);
    net_backward(&b->net);
    double t3 = now(b->clock);
    b->t++;
    optim_update(&b->net, &b->opt, optim_rate(&b->opt, b->t), b->t);
    double t4 = now(b->clock);
    t[0] = t1 - t0, t[1] = t2 - t1, t[2] = t3 - t2, t[3] = t4 - t3;
}

/* ---- layer by layer -------------------------------------------------- */

typedef void (*fwd_fn)(const layer *, const network *, const float *);
typedef void (*bwd_fn)(const layer *, const network *, const float *, float *);

/* The layer functions net_forward / net_backward dispatch to (their table is
 * private to network.c). */
static int layer_fns(cfg_type t, fwd_fn *f, bwd_fn *bk)
{
    switch (t) {
    case CFG_CONVOLUTIONAL: *f = conv_forward, *bk = conv_backward; return 0;
    case CFG_MAXPOOL: *f = maxpool_forward, *bk = maxpool_backward; return 0;
    case CFG_ROUTE: *f = route_forward, *bk = route_backward; return 0;
    case CFG_REORG: *f = reorg_forward, *bk = reorg_backward; return 0;
    case CFG_SHORTCUT: *f = shortcut_forward, *bk = shortcut_backward; return 0;
    case CFG_UPSAMPLE: *f = upsample_forward, *bk = upsample_backward; return 0;
    case CFG_CONNECTED: *f = connected_forward, *bk = connected_backward; return 0;
    case CFG_DROPOUT: *f = dropout_forward, *bk = dropout_backward; return 0;
    case CFG_LOCAL: *f = local_forward, *bk = local_backward; return 0;
    case CFG_AVGPOOL: *f = avgpool_forward, *bk = avgpool_backward; return 0;
    case CFG_SOFTMAX: *f = softmax_forward, *bk = softmax_backward; return 0;
    case CFG_REGION: *f = region_forward, *bk = region_backward; return 0;
    case CFG_YOLO: *f = yolo_forward, *bk = yolo_backward; return 0;
    case CFG_DETECTION: *f = detection_forward, *bk = detection_backward; return 0;
    default: return -1;
    }
}

typedef struct prof {
    double fwd[CFG_NTYPES], bwd[CFG_NTYPES]; /* seconds per layer type, summed */
    double flops[CFG_NTYPES];                /* forward FLOPs per layer type, per step */
    int count[CFG_NTYPES];                   /* layers of the type */
    double *lf, *lb;                         /* [net.n] seconds per layer, summed */
} prof;

static int profile_step(bench *b, prof *p)
{
    network *net = &b->net;
    fwd_fn f;
    bwd_fn bk;
    const float *in = net->input;
    for (int i = 0; i < net->n; i++) {
        const layer *l = &net->l[i];
        if (layer_fns(l->type, &f, &bk) < 0)
            return -1;
        double t0 = now(b->clock);
        f(l, net, in);
        double dt = now(b->clock) - t0;
        p->fwd[l->type] += dt;
        p->lf[i] += dt;
        in = l->out;
    }
    net_zero_deltas(net);
    fill_grad(b);
    for (int i = net->n - 1; i >= 0; i--) {
        const layer *l = &net->l[i];
        layer_fns(l->type, &f, &bk);
        double t0 = now(b->clock);
        bk(l, net, i ? net->l[i - 1].out : net->input, i ? net->l[i - 1].delta : NULL);
        double dt = now(b->clock) - t0;
        p->bwd[l->type] += dt;
        p->lb[i] += dt;
    }
    b->t++;
    optim_update(net, &b->opt, optim_rate(&b->opt, b->t), b->t);
    return 0;
}

/* Each layer's share, the convolutions with their GEMM shape. */
static void layer_rows(const network *net, const prof *p, int steps)
{
    printf("  per layer:%7s %18s %9s %9s %9s %9s\n", "", "output", "fwd ms", "bwd ms",
           "fwd GF/s", "bwd GF/s");
    for (int i = 0; i < net->n; i++) {
        const layer *l = &net->l[i];
        double fw = p->lf[i] / steps, bw = p->lb[i] / steps, fl = 1e9 * l->bflops * l->batch;
        char shape[32], gf[16] = "-", gb[16] = "-";
        snprintf(shape, sizeof shape, "%dx%dx%d", l->out_c, l->out_h, l->out_w);
        if (fl > 0 && fw > 0 && bw > 0) {
            snprintf(gf, sizeof gf, "%.1f", fl / fw / 1e9);
            snprintf(gb, sizeof gb, "%.1f", 2 * fl / bw / 1e9);
        }
        printf("  %3d %-13s %18s %9.1f %9.1f %9s %9s\n", i, cfg_type_name(l->type), shape,
               1e3 * fw, 1e3 * bw, gf, gb);
    }
}

static void profile(bench *b, int steps, double update_s)
{
    prof p;
    memset(&p, 0, sizeof p);
    p.lf = calloc((size_t)b->net.n, sizeof *p.lf);
    p.lb = calloc((size_t)b->net.n, sizeof *p.lb);
    if (!p.lf || !p.lb) {
        printf("profile: out of memory; skipped\n");
        free(p.lf), free(p.lb);
        return;
    }
    for (int i = 0; i < b->net.n; i++) {
        const layer *l = &b->net.l[i];
        p.flops[l->type] += 1e9 * l->bflops * l->batch;
        p.count[l->type]++;
    }
    for (int s = 0; s < steps; s++)
        if (profile_step(b, &p) < 0) {
            printf("profile: a layer type this program does not dispatch; skipped\n");
            free(p.lf), free(p.lb);
            return;
        }
    double total = update_s;
    for (int t = 0; t < CFG_NTYPES; t++)
        total += (p.fwd[t] + p.bwd[t]) / steps;
    printf("\nwhere the time goes (mean of %d layer-by-layer steps; ms per step, %% of the step):\n",
           steps);
    printf("  %-14s %6s %10s %6s %10s %6s %9s %9s\n", "layer type", "layers", "forward", "%",
           "backward", "%", "fwd GF/s", "bwd GF/s");
    for (int t = 0; t < CFG_NTYPES; t++) {
        if (!p.count[t])
            continue;
        double fw = p.fwd[t] / steps, bw = p.bwd[t] / steps;
        char gf[16] = "-", gb[16] = "-";
        if (p.flops[t] > 0) {
            snprintf(gf, sizeof gf, "%.1f", p.flops[t] / fw / 1e9);
            snprintf(gb, sizeof gb, "%.1f", 2 * p.flops[t] / bw / 1e9);
        }
        printf("  %-14s %6d %10.1f %6.1f %10.1f %6.1f %9s %9s\n", cfg_type_name((cfg_type)t),
               p.count[t], 1e3 * fw, 100 * fw / total, 1e3 * bw, 100 * bw / total, gf, gb);
    }
    printf("  %-14s %6s %10s %6s %10.1f %6.1f   (median of the timed steps)\n", "optim_update",
           "", "", "", 1e3 * update_s, 100 * update_s / total);
    layer_rows(&b->net, &p, steps);
    free(p.lf), free(p.lb);
}

/* ---- set-up ------------------------------------------------------------ */

static int setup(bench *b, cfg *c, const char *path, int batch, yerr *err)
{
    memset(b, 0, sizeof *b);
    if (cfg_load(c, path, err) < 0 || optim_parse(c, &b->opt, err) < 0)
        return -1;
    b->opt.batch = batch;
    b->opt.subdivisions = 1;
    if (net_load_opts(c, &b->net, &(net_opts){.train = 1, .batch = batch}, err) < 0 ||
        optim_check(&b->net, &b->opt, err) < 0)
        return -1;
    b->nheads = net_heads(&b->net, b->heads, 16);
    if (b->nheads <= 0)
        return yerr_set(err, 2, "%s: no detection head (or more than 16)", path);
    weights_random(&b->net, 1);
    rng_seed(&b->rng, 2);
    b->net.rng = &b->rng;
    for (size_t i = 0; i < (size_t)batch * b->net.inputs; i++)
        b->net.input[i] = (float)rng_uniform(&b->rng);
    size_t ng = 0;
    for (int k = 0; k < b->nheads; k++)
        ng += (size_t)batch * b->net.l[b->heads[k]].outputs;
    b->grad = malloc(ng * sizeof *b->grad);
    if (!b->grad)
        return yerr_set(err, 3, "out of memory");
    /* of the size of a loss gradient's elements: yolo-loss's sum over 8 images */
    for (size_t i = 0; i < ng; i++)
        b->grad[i] = (float)(0.1 * rng_normal(&b->rng));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 8) {
        fprintf(stderr, "usage: %s CFG [ITERS [WARMUP [BATCH [PROFILE [wall|cpu "
                "[winograd|direct]]]]]]\n", argv[0]);
        return 1;
    }
    const char *conv = argc > 7 ? argv[7] : "winograd";
    if (strcmp(conv, "winograd") && strcmp(conv, "direct")) {
        fprintf(stderr, "step: CONV must be winograd or direct, not '%s'\n", conv);
        return 1;
    }
    const char *clock_name = argc > 6 ? argv[6] : "wall";
    if (strcmp(clock_name, "wall") && strcmp(clock_name, "cpu")) {
        fprintf(stderr, "step: CLOCK must be wall or cpu, not '%s'\n", clock_name);
        return 1;
    }
    int iters = argc > 2 ? (int)arg_long(argv[2], 1, MAX_ITERS, "ITERS") : 5;
    int warm = argc > 3 ? (int)arg_long(argv[3], 0, 100, "WARMUP") : 1;
    int batch = argc > 4 ? (int)arg_long(argv[4], 1, 256, "BATCH") : 8;
    int nprof = argc > 5 ? (int)arg_long(argv[5], 0, 100, "PROFILE") : 1;
    cfg c;
    bench b;
    yerr err;
    if (setup(&b, &c, argv[1], batch, &err) < 0 ||
        (strcmp(conv, "direct") && net_winograd(&b.net, NET_WINO_ALL, &err) < 0)) {
        fprintf(stderr, "step: %s\n", err.msg);
        return 2;
    }
    b.clock = strcmp(clock_name, "cpu") ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID;
    printf("%s: %d x %d x %d, batch %d, %.2f BFLOPs per image forward, %zu parameters; "
           "%s clock, %s convolutions\n", argv[1], b.net.c, b.net.h, b.net.w, batch,
           net_bflops(&b.net), b.net.nparams, clock_name, conv);
    double t[NPART], part[NPART][MAX_ITERS], whole[MAX_ITERS];
    for (int i = 0; i < warm; i++)
        step(&b, t);
    for (int i = 0; i < iters; i++) {
        step(&b, t);
        whole[i] = 0;
        printf("step %d:", i + 1);
        for (int k = 0; k < NPART; k++) {
            part[k][i] = t[k];
            whole[i] += t[k];
            printf(" %s %.1f", part_name[k], 1e3 * t[k]);
        }
        printf(" ms; total %.1f ms\n", 1e3 * whole[i]);
    }
    printf("median of %d steps after %d warm-up:", iters, warm);
    for (int k = 0; k < NPART; k++)
        printf(" %s %.1f", part_name[k], 1e3 * median(part[k], iters));
    double m = median(whole, iters);
    printf(" ms\nours step: %.1f ms per step, %.2f ms per image, %.2f images/s (best %.2f ms per "
           "image)\n", 1e3 * m, 1e3 * m / batch, batch / m,
           1e3 * smallest(whole, iters) / batch);
    if (nprof)
        profile(&b, nprof, median(part[3], iters));
    free(b.grad);
    net_free(&b.net);
    cfg_free(&c);
    return 0;
}
