/* Unit tests for the network core (common/net/network.c, common/net/layers/):
 * shapes and counts of every darknet cfg (tests/data/cfg) against
 * libdarknet's (the .shapes fixtures in tests/fixtures), every layer's
 * forward output against libdarknet's on seeded weights and input (the .fwd
 * fixtures; both made by tests/darknet/make-fixtures.sh), and cfg errors
 * naming file and line. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <omp.h>

#include "yolo/net/isa.h"
#include "yolo/net/layers.h"
#include "yolo/base/rng.h"
#include "yolo/net/weights.h"
#include "yolo/net/winograd.h"

#include "check.h"
#include "relerr.h"

#define FX "tests/fixtures"
#define DATA_CFGS "tests/data/cfg/"   /* darknet's cfgs, as the fixtures name them */
#define SAMPLES 16
#define TOL 1e-4

/* One "layer" line of a fixture: darknet's numbers. */
typedef struct fx_layer {
    int i, c, h, w, outputs, nweights, nbiases, has_out;
    char type[32];
    double maxabs, sumabs, s[SAMPLES];
} fx_layer;

static int read_layer(const char *line, fx_layer *f)
{
    int k = 0;
    memset(f, 0, sizeof *f);
    if (sscanf(line, "layer %d %31s %d %d %d %d %d %d%n", &f->i, f->type, &f->c, &f->h, &f->w,
               &f->outputs, &f->nweights, &f->nbiases, &k) != 8)
        return -1;
    const char *p = line + k;
    int m = 0;
    if (sscanf(p, "%lf %lf%n", &f->maxabs, &f->sumabs, &m) == 2) {
        p += m;
        for (int j = 0; j < SAMPLES; j++, p += m)
            if (sscanf(p, "%lf%n", &f->s[j], &m) != 1)
                return -1;
        f->has_out = 1;
    }
    return 0;
}

/* Does our layer have darknet's shape and counts? darknet leaves some
 * shapes (softmax, detection) and counts (all but conv) at 0. */
static int layer_matches(const layer *l, const fx_layer *f)
{
    int shape = (f->c == 0 && f->h == 0 && f->w == 0) ||
                (l->out_c == f->c && l->out_h == f->h && l->out_w == f->w);
    return shape && l->outputs == f->outputs && !strcmp(cfg_type_name(l->type), f->type) &&
           (f->nweights == 0 || l->nweights == (size_t)f->nweights) &&
           (f->nbiases == 0 || l->nbiases == (size_t)f->nbiases);
}

/* Our layer output (head-activated as darknet's) against the fixture's
 * samples, max and sum; returns the worst relative error. */
static double compare_output(const layer *l, const fx_layer *f)
{
    float *x = malloc((size_t)l->outputs * sizeof *x);
    if (!x)
        return INFINITY;
    memcpy(x, l->out, (size_t)l->outputs * sizeof *x);
    head_activate(l, x);
    double maxabs = 0, sumabs = 0, worst = 0, scale = f->maxabs > 0 ? f->maxabs : 1;
    for (int i = 0; i < l->outputs; i++) {
        maxabs = fmax(maxabs, fabs(x[i]));
        sumabs += fabs(x[i]);
    }
    for (int k = 0; k < SAMPLES; k++) {
        double d = fabs(x[(size_t)k * (l->outputs - 1) / (SAMPLES - 1)] - f->s[k]) / scale;
        worst = isnan(d) ? INFINITY : fmax(worst, d);
    }
    worst = fmax(worst, fabs(maxabs - f->maxabs) / scale);
    worst = fmax(worst, fabs(sumabs - f->sumabs) / (f->sumabs > 0 ? f->sumabs : 1));
    free(x);
    return worst;
}

/* Loads a fixture's cfg at its size (planned only, unless alloc); 0 if it
 * builds, else -1 (a failed check). */
static int load_fixture_net(const char *cfgpath, int w, int h, int alloc, int infer, cfg *c,
                            network *net)
{
    yerr err = {0};
    int rc = cfg_load(c, cfgpath, &err);
    net_opts o = {.w = w, .h = h, .batch = 1, .reuse = infer != 0};
    if (rc == 0 && (rc = (alloc ? net_load_opts : net_plan_opts)(c, net, &o, &err)) < 0)
        cfg_free(c);
    CHECK(rc == 0, "%s builds at %dx%d (%s)", cfgpath, w, h, rc ? err.msg : "ok");
    return rc ? -1 : 0;
}

/* An 8-bit binary PPM of the network's size as its input, / 255. */
static int read_ppm(const char *path, network *net)
{
    FILE *f = fopen(path, "rb");
    int w = 0, h = 0, max = 0, ok = 0;
    if (f && fscanf(f, "P6 %d %d %d", &w, &h, &max) == 3 && fgetc(f) != EOF && w == net->w &&
        h == net->h && max == 255 && net->c == 3) {
        unsigned char *rgb = malloc((size_t)w * h * 3);
        ok = rgb && fread(rgb, 3, (size_t)w * h, f) == (size_t)w * h;
        for (int c = 0; ok && c < 3; c++)
            for (int i = 0; i < w * h; i++)
                net->input[(size_t)c * w * h + i] = rgb[(size_t)i * 3 + c] / 255.0f;
        free(rgb);
    }
    if (f)
        fclose(f);
    return ok ? 0 : -1;
}

static void fill_input(network *net, unsigned long long seed)
{
    yrng r;
    rng_seed(&r, seed);
    for (int i = 0; i < net->inputs; i++)
        net->input[i] = (float)rng_uniform(&r);
}

/* The outputs area without sharing, MiB. */
static double unshared_mib(const network *net)
{
    size_t n = 0;
    for (int i = 0; i < net->n; i++)
        n += net->l[i].nout;
    return n * net->batch / 262144.0;
}

/* ", N layers by Winograd" (or nothing) for a check's name. */
static const char *wino_note(const network *net)
{
    static char buf[64];   /* one check's name at a time */
    int n = 0;
    for (int i = 0; i < net->n; i++)
        n += net->l[i].wino_u != NULL;
    snprintf(buf, sizeof buf, n ? ", %d layers by Winograd" : "", n);
    return buf;
}

/* Floats of the transformed weights of every layer Winograd suits. */
static size_t wino_all(const network *net)
{
    size_t n = 0;
    wino_conv cv;
    for (int i = 0; i < net->n; i++)
        if (conv_wino_shape(&net->l[i], &cv))
            n += wino_weights_floats(net->l[i].n, net->l[i].c);
    return n;
}

/* One fixture: shapes and counts, and outputs if it has them. With infer,
 * the network is built as darknet-forward builds it (outputs sharing memory,
 * batch norm folded; infer 2: and the 3x3 convolutions by Winograd, its
 * default; infer 3: Winograd within a quarter of the memory it would take,
 * so some layers run each way) and only the outputs kept to the end are
 * compared. */
static void check_fixture(const char *file, int infer, const char *wpath)
{
    char path[512], line[4096], cfgpath[512], ppm[512] = "";
    snprintf(path, sizeof path, FX "/%s", file);
    FILE *f = fopen(path, "r");
    if (!f) {
        CHECK(0, "open %s", path);
        return;
    }
    int w = 0, h = 0, ch = 0, n = 0, fwd = 0;
    long np = 0;
    unsigned long long seed = 0;
    while (fgets(line, sizeof line, f) && line[0] == '#') {
        fwd |= sscanf(line, "# made by %*s forward %*s %*d %*d %llu", &seed) == 1;
        sscanf(line, "# input %511s", ppm);
    }
    if (sscanf(line, "net %511s %d %d %d %d %ld", cfgpath, &w, &h, &ch, &n, &np) != 6) {
        CHECK(0, "%s: a 'net' line", path);
        fclose(f);
        return;
    }
    cfg c;
    network net;
    if (infer && !fwd) {
        fclose(f);
        return;
    }
    if (load_fixture_net(cfgpath, w, h, fwd, infer, &c, &net) != 0) {
        fclose(f);
        return;
    }
    CHECK(net.n == n && net.nparams == (size_t)np,
          "%s: %d layers, %ld parameters as darknet (got %d, %zu)", file, n, np, net.n,
          net.nparams);
    if (fwd) {
        weights_random(&net, seed);
        yerr werr = {0};
        if (wpath)
            CHECK(weights_read(&net, wpath, &werr) == 0, "%s: weights by ab-weights.py%s%s", file,
                  werr.msg[0] ? ": " : "", werr.msg);
        if (infer)
            net_fold_bn(&net);
        if (infer == 2)
            CHECK(net_winograd(&net, NET_WINO_ALL, NULL) >= 0, "%s: Winograd's weights", file);
        if (infer == 3)
            CHECK(net_winograd(&net, wino_all(&net) / 4, NULL) >= 0,
                  "%s: Winograd's weights, a quarter of them", file);
        fill_input(&net, seed + 1);
        if (ppm[0])
            CHECK(read_ppm(ppm, &net) == 0, "%s: input %s", file, ppm);
        net_forward(&net);
    }
    int shapes_ok = 1, nlayers = 0;
    double worst = 0;
    int worst_i = -1;
    fx_layer fl;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || read_layer(line, &fl) < 0 || fl.i >= net.n)
            continue;
        nlayers++;
        const layer *l = &net.l[fl.i];
        if (!layer_matches(l, &fl)) {
            shapes_ok = 0;
            printf("#   layer %d %s: ours %dx%dx%d (%d) w %zu b %zu, darknet %dx%dx%d (%d) w %d "
                   "b %d\n", fl.i, fl.type, l->out_w, l->out_h, l->out_c, l->outputs,
                   l->nweights, l->nbiases, fl.w, fl.h, fl.c, fl.outputs, fl.nweights, fl.nbiases);
        } else if (fwd && fl.has_out && (!infer || net_is_head(l->type) || fl.i == net.n - 1)) {
            double e = compare_output(l, &fl);
            if (!(e <= worst)) {
                worst = e;
                worst_i = fl.i;
            }
        }
    }
    fclose(f);
    CHECK(shapes_ok && nlayers == net.n, "%s: every layer's shape and counts match darknet's",
          file);
    if (fwd && !infer)
        CHECK(worst <= TOL, "%s: every layer's output within %g of darknet's (worst %.3g, "
              "layer %d)", file, TOL, worst, worst_i);
    if (infer)
        CHECK(worst <= TOL, "%s: folded, memory shared (%.1f of %.1f MiB outputs)%s: the heads "
              "within %g of darknet's (worst %.3g, layer %d)", file, net.nouts / 262144.0,
              unshared_mib(&net), wino_note(&net), TOL, worst, worst_i);
    net_free(&net);
    cfg_free(&c);
}

/* The layers net_winograd picks for wino-pick.cfg under max_floats, as
 * "1 3 6". */
static void picks(const char *path, int train, size_t max_floats, char *out, size_t n)
{
    cfg c;
    network net;
    yerr err = {0};
    out[0] = 0;
    if (cfg_load(&c, path, &err) < 0 ||
        net_plan_opts(&c, &net, &(net_opts){.train = train, .batch = 1}, &err) < 0) {
        snprintf(out, n, "error: %s", err.msg);
        return;
    }
    size_t floats = net_winograd_floats(&net, max_floats);
    for (int i = 0; i < net.n; i++)
        if (net.l[i].wino_pick == 1)
            snprintf(out + strlen(out), n - strlen(out), "%s%d", out[0] ? " " : "", i);
    if (!floats && out[0])
        snprintf(out, n, "picks without floats");
    net_free(&net);
    cfg_free(&c);
}

/* The largest maps first, ties in layer order, each layer that still fits;
 * training counts two copies. */
static void test_wino_budget(void)
{
    static const struct {
        int train;
        size_t max;
        const char *want, *why;
    } cases[] = {
        {0, 0, "", "a limit of 0: none (--conv direct)"},
        {0, NET_WINO_ALL, "1 3 4 6", "no limit: every layer Winograd suits"},
        {0, 9216, "1", "just layer 1's U: the largest map alone"},
        {0, 9215, "", "one float short of it: nothing smaller fits either"},
        {0, 9216 + 36864, "1 3", "a tie between maps goes in layer order"},
        {0, 9216 + 36864 + 9216, "1 3 6", "a layer that does not fit is skipped, a later "
                                          "smaller one taken"},
        {1, 9216, "", "training: two copies, layer 1 needs 18432"},
        {1, 2 * 9216, "1", "training: both of layer 1's copies"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[1100];
        picks(FX "/wino-pick.cfg", cases[i].train, cases[i].max, got, sizeof got);
        CHECK(!strcmp(got, cases[i].want), "Winograd under a limit: %s (want '%s', got '%s')",
              cases[i].why, cases[i].want, got);
    }
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A fixture made on weights written by tests/darknet/ab-weights.py (a
 * "# weights by python3 tests/darknet/ab-weights.py CFG SEED OUT" line)
 * gets them again from its seed, into wpath: 1. 0 for the others (seeded
 * weights_random), -1 when the script cannot run here. */
static int fixture_weights(const char *file, char *wpath, size_t n)
{
    char path[512], line[4096], cfgpath[512] = "";
    unsigned long long seed = 0;
    int has = 0;
    snprintf(path, sizeof path, FX "/%s", file);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f) && (line[0] == '#' || !cfgpath[0])) {
        has |= sscanf(line, "# weights by python3 tests/darknet/ab-weights.py CFG %llu", &seed) == 1;
        if (sscanf(line, "net %511s", cfgpath) == 1)
            break;
    }
    if (f)
        fclose(f);
    if (!has)
        return 0;
    snprintf(wpath, n, "/tmp/test_network-%d.weights", (int)getpid());
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/darknet/ab-weights.py '%s' %llu '%s' "
             "2>/dev/null", cfgpath, seed, wpath);
    return system(cmd) == 0 ? 1 : -1;
}

static void test_fixtures(void)
{
    DIR *d = opendir(FX);
    CHECK(d != NULL, "open " FX);
    if (!d)
        return;
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t k = strlen(e->d_name);
        if ((k > 7 && !strcmp(e->d_name + k - 7, ".shapes")) ||
            (k > 4 && !strcmp(e->d_name + k - 4, ".fwd")))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], by_name);
    CHECK(n >= 16, "%d fixtures", n);
    for (int i = 0; i < n; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        char wpath[256];
        int w = fixture_weights(names[i], wpath, sizeof wpath);
        if (w < 0) {
            SKIP("python3 with numpy is needed to write its weights", "%s", names[i]);
            free(names[i]);
            continue;
        }
        for (int infer = 0; infer < 4; infer++)
            check_fixture(names[i], infer, w ? wpath : NULL);
        if (w)
            remove(wpath);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf("# %s: %.2f s\n", names[i],
               (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
        free(names[i]);
    }
}

/* Building text fails with a message containing want. */
static void bad(const char *text, const char *want, const char *name)
{
    cfg c;
    network net;
    yerr err = {0};
    int rc = cfg_parse(&c, "t.cfg", text, strlen(text), &err);
    CHECK(rc == 0, "%s: parses", name);
    if (rc)
        return;
    rc = net_load(&c, &net, &err);
    CHECK(rc < 0 && err.code == YOLO_EINPUT && strstr(err.msg, want), "%s (%s)", name,
          rc ? err.msg : "built");
    if (rc == 0)
        net_free(&net);
    cfg_free(&c);
}

#define NET "[net]\nwidth=32\nheight=32\nchannels=3\n"
#define CONV(f) "[convolutional]\nfilters=" #f "\nsize=3\nstride=1\npad=1\nactivation=leaky\n"

static void test_errors(void)
{
    bad(NET CONV(8) "[route]\nlayers=-5\n", "t.cfg:12: [route] layers: -5 refers to layer -4",
        "route to a layer before the first");
    bad(NET CONV(8) "[route]\nlayers=1\n", "1 refers to layer 1; layers 0..0",
        "route to itself / a later layer");
    bad(NET CONV(8) "[route]\n", "t.cfg:11: [route]: route needs layers=", "route without layers");
    bad(NET CONV(8) "[maxpool]\nsize=2\nstride=2\n[route]\nlayers=-1,-2\n", "cannot concatenate",
        "route of different sizes");
    bad(NET CONV(8) "[shortcut]\nfrom=-9\n", "[shortcut] from: -9", "shortcut to nothing");
    bad(NET CONV(8) "[shortcut]\n", "shortcut needs from=", "shortcut without from");
    bad(NET "[convolutional]\nfilters=0\n",
        "t.cfg:6: [convolutional] filters: '0' is not an integer", "zero filters");
    bad(NET "[convolutional]\nfilters=4\nactivation=leakyy\n",
        "t.cfg:7: [convolutional] activation: unknown activation 'leakyy'", "unknown activation");
    bad(NET "[convolutional]\nfilters=4\ngroups=3\n", "groups do not divide", "bad groups");
    bad(NET "[convolutional]\nfilters=4\nsize=1\nstride=2\n", "size=1 needs stride=1",
        "1x1 with stride 2 (darknet gets it wrong)");
    bad(NET "[convolutional]\nfilters=4\nsize=64\n", "larger than the 32x32 input",
        "kernel too big");
    bad(NET "[convolutional]\nfilters=4\nbinary=1\n", "binary: not supported", "binary conv");
    bad(NET "[convolutional]\nfilters=4\ndontload=1\n", "dontload: not supported", "dontload");
    bad(NET "[crop]\n", "t.cfg:5: [crop]: this layer type is not built", "unbuilt layer type");
    bad("[net]\nwidth=32\nheight=32\n[maxpool]\n", "width, height and channels must be given",
        "no channels");
    bad(NET, "no layers after [net]", "no layers");
    bad("[net]\nwidth=65536\nheight=65536\nchannels=3\n[maxpool]\n", "input is larger than",
        "an input too large");
    bad("[net]\nwidth=8192\nheight=8192\nchannels=3\n[upsample]\nstride=64\n",
        "by 64 is too large", "an upsampled output too large");
    bad("[net]\nwidth=8192\nheight=8192\nchannels=3\n[convolutional]\nfilters=8\nsize=1\n",
        "is empty or larger than", "a conv output too large");
    bad(NET CONV(20) "[region]\nclasses=20\nnum=5\n", "t.cfg:11: [region]: num=5 x (coords=4 + 1 + "
        "classes=20) = 125 channels, but the layer before gives 20", "region channels");
    bad(NET CONV(125) "[region]\nclasses=20\nnum=5\nanchors=1,2,3\n",
        "anchors: 3 numbers for num=5 anchors (want 10)", "region anchors");
    bad(NET CONV(18) "[yolo]\nmask=0,1,6\nnum=6\nclasses=1\n", "t.cfg:12: [yolo] mask: item 3 '6'",
        "yolo mask out of range");
    bad(NET CONV(18) "[yolo]\nmask=0,1,2\nnum=6\nclasses=2\n", "but the layer before gives 18",
        "yolo channels");
    bad(NET CONV(18) "[yolo]\nmask=0,1,2\nnum=3\nclasses=1\n[maxpool]\n",
        "reads the output of layer 1, a [yolo] head", "a layer after a head");
    bad(NET CONV(18) "[yolo]\nmask=0,1,2\nnum=3\nclasses=1\n[route]\nlayers=-1\n",
        "a [yolo] head", "a route to a head");
    bad(NET CONV(6) "[reorg]\nstride=4\n", "does not divide by stride 4", "reorg of 6 channels");
    bad(NET CONV(6) "[local]\nsize=5\npad=1\n", "only size=3 works with pad=1",
        "local pad=1 size=5");
    bad(NET CONV(6) "[maxpool]\nsize=3\nstride=3\n[shortcut]\nfrom=-2\n",
        "layer 0's 32x32 does not scale to 11x11", "shortcut between sizes that do not divide");
    bad(NET CONV(6) "[upsample]\nstride=-64\n", "leaves nothing", "downsample to nothing");
    bad(NET CONV(6) "[softmax]\ngroups=7\n", "7 groups do not divide", "softmax groups");
    bad(NET "[connected]\noutput=10\n[detection]\nside=2\nnum=1\ncoords=4\nclasses=3\n",
        "need 32 inputs, the layer before gives 10", "detection inputs");
}

static void test_summary(void)
{
    cfg c;
    network net;
    if (load_fixture_net(DATA_CFGS "yolov3-tiny.cfg", 0, 0, 1, 0, &c, &net) != 0)
        return;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    net_summary(&net, f);
    fclose(f);
    int ok = text &&
             strstr(text, "    0 conv         16  3 x 3 / 1  416 x 416 x   3   ->   416 x 416 x "
                          " 16   0.150\n") &&
             strstr(text, "   11 max              2 x 2 / 1   13 x  13 x 512   ->    13 x  13 x "
                          "512\n") &&
              strstr(text, "   20 route       19 8             26 x  26 x 384") &&
              strstr(text, "total 5.565 BFLOPs, 8858734 parameters (35434952 bytes of weights)");
    CHECK(ok, "net_summary prints darknet's columns and BFLOPs");
    if (!ok)
        printf("%s", text ? text : "");
    printf("# yolov3-tiny at 416: %.3f BFLOPs, %zu floats in one block\n", net_bflops(&net),
           net.nblock);
    free(text);
    net_free(&net);
    cfg_free(&c);
}

/* A batch of two images gives, per layer, what each image gives alone. */
static void test_batch(const char *cfgpath)
{
    cfg c;
    network one, two;
    yerr err = {0};
    if (cfg_load(&c, cfgpath, &err) < 0 || net_load_sized(&c, &one, 0, 0, 1, &err) < 0 ||
        net_load_sized(&c, &two, 0, 0, 2, &err) < 0) {
        CHECK(0, "%s builds with batch 2 (%s)", cfgpath, err.msg);
        return;
    }
    weights_random(&one, 5);
    weights_random(&two, 5);
    int ok = 1;
    for (int img = 0; img < 2; img++) {
        fill_input(&one, 100 + img);
        memcpy(two.input + (size_t)img * two.inputs, one.input, (size_t)one.inputs * sizeof(float));
    }
    net_forward(&two);
    for (int img = 0; img < 2; img++) {
        fill_input(&one, 100 + img);
        net_forward(&one);
        for (int i = 0; i < one.n; i++) {
            const float *a = one.l[i].out, *b = two.l[i].out + (size_t)img * two.l[i].outputs;
            for (int k = 0; k < one.l[i].outputs; k++)
                ok &= !memcmp(&a[k], &b[k], sizeof *a);
        }
    }
    CHECK(ok, "%s: batch 2 gives each image's batch-1 outputs, the same bits", cfgpath);
    net_free(&one);
    net_free(&two);
    cfg_free(&c);
}

/* ---- kernel families and threads ---------------------------------------------- */

/* Every layer's outputs, one after another, of cfgpath at 96x96, batch 1,
 * inference (folded), random weights 5, input seed 100, by Winograd where
 * wino, with the kernel family named (YOLO_ISA, read by every kernel call)
 * and nt threads. malloc'd, *n floats; NULL if it did not build. */
static float *all_outputs(const char *cfgpath, int wino, const char *family, int nt, size_t *n)
{
    cfg c;
    network net;
    yerr err = {0};
    float *all = NULL;
    setenv("YOLO_ISA", family, 1);
    omp_set_num_threads(nt);
    if (cfg_load(&c, cfgpath, &err) < 0)
        return NULL;
    if (net_load_opts(&c, &net, &(net_opts){.w = 96, .h = 96, .batch = 1, .reuse = 0}, &err) < 0) {
        cfg_free(&c);
        return NULL;
    }
    weights_random(&net, 5);
    net_fold_bn(&net);
    if (!wino || net_winograd(&net, NET_WINO_ALL, &err) >= 0) {
        fill_input(&net, 100);
        net_forward(&net);
        *n = 0;
        for (int i = 0; i < net.n; i++)
            *n += (size_t)net.l[i].outputs;
        all = malloc(*n * sizeof *all);
        for (int i = 0, at = 0; all && i < net.n; at += net.l[i].outputs, i++)
            memcpy(all + at, net.l[i].out, (size_t)net.l[i].outputs * sizeof *all);
    }
    net_free(&net);
    cfg_free(&c);
    return all;
}

/* Each family's every layer against the generic C path's: within FAM_TOL
 * as max |diff| / max |generic| over all layers (FMA rounds once where
 * generic rounds twice: measured worst 3.8e-6, yolov3-tiny by Winograd);
 * avx2 and avx512 the same bits (their GEMMs are the same chains of FMAs,
 * everything else the same C). The YOLO_ISA the suite runs under is put
 * back. */
#define FAM_TOL 2e-5
static void test_families(const char *cfgpath, int wino)
{
    const char *was = getenv("YOLO_ISA");
    char keep[16] = "";
    if (was)
        snprintf(keep, sizeof keep, "%s", was);
    size_t n[ISA_COUNT] = {0};
    float *out[ISA_COUNT] = {NULL};
    const char *how = wino ? "Winograd" : "direct";
    for (int f = 0; f < ISA_COUNT; f++) {
        if (f > (int)isa_best()) {
            SKIP("this CPU lacks the family", "%s (%s): %s against generic", cfgpath, how,
                 isa_name((isa_family)f));
            continue;
        }
        out[f] = all_outputs(cfgpath, wino, isa_name((isa_family)f), 2, &n[f]);
        if (f == ISA_GENERIC)
            continue;
        double e = out[f] && out[0] && n[f] == n[0] ? rel_diff(out[f], out[0], n[0]) : INFINITY;
        CHECK(e <= FAM_TOL, "%s (%s): every layer by %s within %g of generic's (rel %.2g)",
              cfgpath, how, isa_name((isa_family)f), FAM_TOL, e);
    }
    if (out[ISA_AVX512])
        CHECK(out[ISA_AVX2] && !memcmp(out[ISA_AVX2], out[ISA_AVX512], n[0] * sizeof(float)),
              "%s (%s): avx2 and avx512 give the same bits", cfgpath, how);
    else
        SKIP("this CPU lacks avx512", "%s (%s): avx2 and avx512 give the same bits", cfgpath,
             how);
    for (int f = 0; f < ISA_COUNT; f++)
        free(out[f]);
    if (*keep)
        setenv("YOLO_ISA", keep, 1);
    else
        unsetenv("YOLO_ISA");
    omp_set_num_threads(2);
}

/* One and two threads give the same bits, in the family the suite runs. */
static void test_threads(const char *cfgpath, int wino)
{
    const char *fam = isa_name(isa_active());
    char keep[16];
    snprintf(keep, sizeof keep, "%s", fam);
    size_t n1 = 0, n2 = 0;
    float *one = all_outputs(cfgpath, wino, keep, 1, &n1);
    float *two = all_outputs(cfgpath, wino, keep, 2, &n2);
    CHECK(one && two && n1 == n2 && !memcmp(one, two, n1 * sizeof *one),
          "%s (%s, %s): 1 and 2 threads give the same bits", cfgpath,
          wino ? "Winograd" : "direct", keep);
    free(one);
    free(two);
    omp_set_num_threads(2);
}

/* The heads of cfgpath at 96x96, batch 2, seed 5, folded, Winograd where
 * it goes, built with outputs sharing memory (reuse: the first layer and
 * its 2x2 maxpool run as one, conv_pool_forward) or not; *n floats. */
static float *head_outputs(const char *cfgpath, int reuse, size_t *n)
{
    cfg c;
    network net;
    yerr err = {0};
    float *all = NULL;
    if (cfg_load(&c, cfgpath, &err) < 0)
        return NULL;
    if (net_load_opts(&c, &net, &(net_opts){.w = 96, .h = 96, .batch = 2, .reuse = reuse},
                      &err) < 0) {
        cfg_free(&c);
        return NULL;
    }
    weights_random(&net, 5);
    net_fold_bn(&net);
    int heads[8], nh = net_heads(&net, heads, 8);
    if (net_winograd(&net, NET_WINO_ALL, &err) >= 0 && nh > 0) {
        fill_input(&net, 100);
        fill_input(&net, 100);
        for (int i = 0; i < net.inputs; i++)   /* the second image another */
            net.input[net.inputs + i] = 1 - net.input[i];
        net_forward(&net);
        *n = 0;
        for (int k = 0; k < nh; k++)
            *n += (size_t)net.l[heads[k]].outputs * net.batch;
        all = malloc(*n * sizeof *all);
        for (int k = 0, at = 0; all && k < nh; k++) {
            size_t m = (size_t)net.l[heads[k]].outputs * net.batch;
            memcpy(all + at, net.l[heads[k]].out, m * sizeof *all);
            at += (int)m;
        }
    }
    net_free(&net);
    cfg_free(&c);
    return all;
}

/* The first layer and its maxpool as one (an inference build) give the
 * bits of the two run apart, in the family the suite runs. */
static void test_fused_pool(const char *cfgpath)
{
    size_t n1 = 0, n2 = 0;
    float *fused = head_outputs(cfgpath, 1, &n1), *apart = head_outputs(cfgpath, 0, &n2);
    CHECK(fused && apart && n1 == n2 && n1 > 0 && !memcmp(fused, apart, n1 * sizeof *fused),
          "%s (%s): conv + maxpool run as one give the heads' bits of the two apart", cfgpath,
          isa_name(isa_active()));
    free(fused);
    free(apart);
}

int main(void)
{
    test_fixtures();
    test_batch(FX "/mixed-a.cfg");
    test_batch(FX "/mixed-b.cfg");
    test_errors();
    test_summary();
    test_wino_budget();
    test_fused_pool(DATA_CFGS "yolov2-tiny-voc.cfg");
    test_fused_pool(DATA_CFGS "yolov3-tiny.cfg");
    for (int wino = 0; wino <= 1; wino++) {
        test_families(FX "/mixed-a.cfg", wino);
        test_families(DATA_CFGS "yolov2-tiny-voc.cfg", wino);
        test_families(DATA_CFGS "yolov3-tiny.cfg", wino);
        test_threads(DATA_CFGS "yolov3-tiny.cfg", wino);
        test_threads(FX "/mixed-b.cfg", wino);
    }
    return check_done();
}
