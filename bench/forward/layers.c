/* Where a network's inference time goes: darknet-forward's build of the
 * network (outputs sharing memory, batch norm folded, Winograd unless
 * --conv direct), random weights (seed 1), a zero input, each layer timed
 * on its own with net_forward_layer. REPS timed passes after 2 untimed
 * ones; prints per layer its shape and mean ms ("W": by Winograd), the
 * sum, and the first pass's time (which also faults in memory, starts the
 * threads and warms the caches). Then the whole pass as darknet-forward
 * runs it (net_forward: the first layer and its 2x2 maxpool as one where
 * they qualify, conv_pool_forward), and that pair alone.
 *
 *   make && PKG_LIBS=$(sed -n 's/^PKG_LIBS := //p' build/release/config.mk)
 *   cc -std=c11 -O2 -fopenmp -Iinclude -D_POSIX_C_SOURCE=200809L bench/forward/layers.c \
 *      build/release/libyolo.a $PKG_LIBS -lm -o /tmp/layers
 *   OMP_NUM_THREADS=2 /tmp/layers CFG [--conv direct] [--reps N] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yolo/net/cfg.h"
#include "yolo/net/layers.h"
#include "yolo/net/network.h"
#include "yolo/net/weights.h"

#define MAX_LAYERS 1024

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: layers CFG [--conv winograd|direct] [--reps N]\n");
    return 2;
}

/* Adds each layer's seconds for one pass to t [net->n]; returns the pass's. */
static double one_pass(network *net, double *t)
{
    const float *in = net->input;
    double all = 0;
    for (int i = 0; i < net->n; i++) {
        double t0 = now();
        in = net_forward_layer(net, i, in);
        double dt = now() - t0;
        t[i] += dt, all += dt;
    }
    return all;
}

int main(int argc, char **argv)
{
    int direct = 0, reps = 20;
    if (argc < 2)
        return usage();
    for (int a = 2; a < argc; a++) {
        if (!strcmp(argv[a], "--conv") && a + 1 < argc &&
            (!strcmp(argv[a + 1], "direct") || !strcmp(argv[a + 1], "winograd")))
            direct = argv[++a][0] == 'd';
        else if (!strcmp(argv[a], "--reps") && a + 1 < argc && atoi(argv[a + 1]) > 0)
            reps = atoi(argv[++a]);
        else
            return usage();
    }
    cfg c;
    network net;
    yerr err = {0};
    if (cfg_load(&c, argv[1], &err) < 0 ||
        net_load_opts(&c, &net, &(net_opts){.reuse = 1, .batch = 1}, &err) < 0) {
        fprintf(stderr, "layers: %s\n", err.msg);
        return 1;
    }
    weights_random(&net, 1);
    net_fold_bn(&net);
    static double t[MAX_LAYERS], warm[MAX_LAYERS];
    if (net.n > MAX_LAYERS || net_winograd(&net, direct ? 0 : NET_WINO_ALL, &err) < 0) {
        fprintf(stderr, "layers: %s\n", net.n > MAX_LAYERS ? "too many layers" : err.msg);
        return 1;
    }
    double first = one_pass(&net, warm);
    one_pass(&net, warm);
    for (int r = 0; r < reps; r++)
        one_pass(&net, t);
    double sum = 0;
    for (int i = 0; i < net.n; i++) {
        const layer *l = &net.l[i];
        sum += t[i] / reps;
        printf("%3d %-14s %4dx%4dx%4d -> %4d  %7.2f ms %s\n", i, cfg_type_name(l->type), l->w,
               l->h, l->c, l->out_c, t[i] / reps * 1e3, l->wino_u ? "W" : "");
    }
    printf("# %s: %.2f ms a pass (mean of %d), first pass %.2f ms\n", argv[1], sum * 1e3, reps,
           first * 1e3);
    double t0 = now();
    for (int r = 0; r < reps; r++)
        net_forward(&net);
    printf("# net_forward (as darknet-forward runs it): %.2f ms a pass\n",
           (now() - t0) / reps * 1e3);
    if (net.n > 1 && net.l[0].last_use == 1 && conv_pool_forward(&net.l[0], &net.l[1],
                                                                 net.input) == 0) {
        t0 = now();
        for (int r = 0; r < reps; r++)
            conv_pool_forward(&net.l[0], &net.l[1], net.input);
        printf("# layers 0 and 1 as one (conv_pool_forward): %.2f ms, apart %.2f ms\n",
               (now() - t0) / reps * 1e3, (t[0] + t[1]) / reps * 1e3);
    }
    net_free(&net);
    cfg_free(&c);
    return 0;
}
