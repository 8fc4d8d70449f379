/* Unit tests for the optimiser (common/net/optim.c): [net] parsing and its
 * errors (file:line), every policy's rate against hand-computed values of
 * darknet's get_current_rate, the SGD update against a loop written the way
 * darknet's update_*_layer does it, and SGD and Adam against PyTorch
 * (tests/optim/sgd-adam.fix, made by tests/optim/make-fixtures.py), and
 * rates and SGD updates against libdarknet's (tests/optim/darknet.fix, made
 * by tests/optim/make-darknet-fixtures.sh); cosine and onecycle against
 * torch's schedulers and sgdr against AlexeyAB's formula
 * (tests/optim/lr-torch.fix, made by tests/optim/make-lr-fixtures.py), and
 * the command line's overrides (--policy, --lrf, --burn-in, --max-batches). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/net/optim.h"

#include "check.h"

#define FIXTURE "tests/optim/sgd-adam.fix"
#define DN_FIXTURE "tests/optim/darknet.fix"
#define LR_FIXTURE "tests/optim/lr-torch.fix"
#define NET "[net]\nwidth=4\nheight=4\nchannels=2\n"

/* The network of tests/optim/make-fixtures.py: a conv with batch norm, a
 * local layer, a connected layer with batch norm (230 parameters). */
#define LAYERS                                                                            \
    "[convolutional]\nbatch_normalize=1\nfilters=3\nsize=3\nstride=1\npad=1\n"            \
    "activation=leaky\n"                                                                  \
    "[local]\nfilters=1\nsize=1\nstride=1\npad=0\nactivation=linear\n"                    \
    "[connected]\nbatch_normalize=1\noutput=5\nactivation=linear\n"
static const char net_cfg[] = NET LAYERS;

/* Parses text with the command line's values ov (NULL: none). */
static int parse_over(const char *text, const optim_over *ov, optim_config *o, yerr *err)
{
    cfg c;
    int rc = cfg_parse(&c, "t.cfg", text, strlen(text), err);
    if (rc == 0) {
        rc = ov ? optim_parse_over(&c, ov, o, err) : optim_parse(&c, o, err);
        cfg_free(&c);
    }
    return rc;
}

static int parse(const char *text, optim_config *o, yerr *err)
{
    return parse_over(text, NULL, o, err);
}

/* A text fixture, opened (checked). */
static FILE *open_fixture(const char *path)
{
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "%s opens", path);
    return f;
}

/* ---- parsing --------------------------------------------------------------- */

static void test_defaults(void)
{
    optim_config o;
    yerr err = {0};
    int rc = parse(NET "[maxpool]\n", &o, &err);
    CHECK(rc == 0, "empty [net] parses (%s)", rc ? err.msg : "ok");
    CHECK(o.batch == 1 && o.subdivisions == 1 && o.learning_rate == .001f &&
          o.momentum == .9f && o.decay == .0001f && o.burn_in == 0 && o.power == 4 &&
          o.policy == LR_CONSTANT && o.max_batches == 0 && o.adam == 0 && o.b1 == .9f &&
          o.b2 == .999f && o.eps == .0000001f && o.step == 1 && o.scale == 1 && o.gamma == 1,
          "darknet's defaults");
}

static void test_parse_all(void)
{
    optim_config o;
    yerr err = {0};
    int rc = parse(NET "batch=64\nsubdivisions=16\nlearning_rate=0.001\nmomentum=0.85\n"
                       "decay=0.0005\nburn_in=1000\npower=2\nmax_batches=500200\npolicy=steps\n"
                       "steps=-1,100,400000,450000\nscales=.1,10,.1,.1\nadam=1\nB1=0.8\n"
                       "B2=0.99\neps=0.001\n[maxpool]\n", &o, &err);
    CHECK(rc == 0, "a full [net] parses (%s)", rc ? err.msg : "ok");
    CHECK(o.batch == 64 && o.subdivisions == 16 && o.learning_rate == .001f &&
          o.momentum == .85f && o.decay == .0005f && o.burn_in == 1000 && o.power == 2 &&
          o.max_batches == 500200 && o.policy == LR_STEPS && o.adam == 1 && o.b1 == .8f &&
          o.b2 == .99f && o.eps == .001f, "every value read");
    CHECK(o.nsteps == 4 && o.steps[0] == -1 && o.steps[3] == 450000 && o.scales[1] == 10 &&
          o.scales[3] == .1f, "steps and scales read");
}

static void note_unused(void *ctx, const cfg *c, const cfg_section *s, const cfg_kv *kv)
{
    (void)c, (void)s;
    char *buf = ctx;
    if (strlen(buf) + strlen(kv->key) + 2 < 256)
        strcat(strcat(buf, kv->key), " ");
}

/* Keys read are marked used; the other policies' keys stay unused. */
static void test_unused(void)
{
    const char *text = NET "batch=8\nsubdivisions=2\nlearning_rate=.01\nmomentum=.9\ndecay=.001\n"
                           "burn_in=10\npower=4\nmax_batches=100\npolicy=poly\nsteps=5\n"
                           "scales=.1\ngamma=.5\nangle=7\n[maxpool]\n";
    cfg c;
    yerr err = {0};
    optim_config o;
    char unused[256] = "";
    int rc = cfg_parse(&c, "t.cfg", text, strlen(text), &err);
    if (rc == 0) {
        rc = optim_parse(&c, &o, &err);
        for (int k = 0; k < c.s[0].n; k++)   /* as net_load would */
            if (!strcmp(c.s[0].kv[k].key, "width") || !strcmp(c.s[0].kv[k].key, "height") ||
                !strcmp(c.s[0].kv[k].key, "channels"))
                c.s[0].kv[k].used = 1;
        cfg_unused(&c, note_unused, unused);
        cfg_free(&c);
    }
    CHECK(rc == 0 && !strcmp(unused, "steps scales gamma angle "),
          "poly reads its keys; steps, scales, gamma (other policies') and angle unused: '%s'",
          unused);
}

static void bad(const char *text, const char *want, const char *name)
{
    optim_config o;
    yerr err = {0};
    int rc = parse(text, &o, &err);
    CHECK(rc < 0 && err.code == YOLO_EINPUT && strstr(err.msg, want), "%s (%s)", name,
          rc ? err.msg : "parsed");
}

static void test_errors(void)
{
    bad(NET "policy=sig\n[maxpool]\n",
        "t.cfg:5: [net] policy: unknown policy 'sig' (constant, step, steps, exp, poly, sigmoid, "
        "sgdr, cosine, onecycle)",
        "unknown policy names the valid ones");
    bad(NET "policy=random\n[maxpool]\n", "t.cfg:5: [net] policy: 'random' is not supported",
        "policy=random refused");
    bad(NET "policy=steps\nsteps=100,200\nscales=.1\n[maxpool]\n",
        "t.cfg:7: [net] scales: 1 scales for 2 steps", "steps and scales of different lengths");
    bad(NET "policy=steps\nsteps=100,200\n[maxpool]\n",
        "t.cfg:5: [net] policy: policy=steps needs both steps= and scales=",
        "steps without scales");
    bad(NET "policy=steps\nsteps=200,100\nscales=.1,.1\n[maxpool]\n",
        "t.cfg:6: [net] steps: item 2 (100) is not above item 1 (200)", "steps decreasing");
    bad(NET "policy=steps\nsteps=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"
            "25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,"
            "52,53,54,55,56,57,58,59,60,61,62,63,64,65\nscales=.5\n[maxpool]\n",
        "t.cfg:6: [net] steps: more than 64 items", "more than OPTIM_MAX_STEPS steps");
    bad(NET "policy=steps\nsteps=10,2O\nscales=.1,.1\n[maxpool]\n",
        "t.cfg:6: [net] steps: item 2 '2O' is not valid", "typo in a step");
    bad(NET "batch=64\nsubdivisions=3\n[maxpool]\n",
        "t.cfg:6: [net] subdivisions: 3 does not divide batch=64",
        "subdivisions not dividing batch");
    bad(NET "learning_rate=0.0O1\n[maxpool]\n",
        "t.cfg:5: [net] learning_rate: '0.0O1' is not a number", "typo'd learning_rate");
    bad(NET "momentum=1.5\n[maxpool]\n", "t.cfg:5: [net] momentum: '1.5' is not a number in [0, 1]",
        "momentum out of range");
    bad(NET "batch=0\n[maxpool]\n", "t.cfg:5: [net] batch: '0' is not an integer", "batch 0");
    bad(NET "policy=poly\n[maxpool]\n",
        "t.cfg:5: [net] policy: policy=poly needs max_batches > 0", "poly without max_batches");
    bad(NET "policy=poly\nmax_batches=0\n[maxpool]\n",
        "t.cfg:6: [net] max_batches: policy=poly needs max_batches > 0", "poly with max_batches=0");
    bad(NET "policy=step\nstep=0\n[maxpool]\n", "t.cfg:6: [net] step: '0' is not an integer",
        "step=0 (a division by zero in darknet)");
    bad(NET "adam=1\nB1=1\n[maxpool]\n", "t.cfg:6: [net] B1: '1' is not a number", "B1 = 1");
    bad(NET "adam=2\n[maxpool]\n", "t.cfg:5: [net] adam: '2' is not an integer in [0, 1]",
        "adam=2");
    /* cosine, onecycle, sgdr */
    bad(NET "policy=cosine\n[maxpool]\n",
        "t.cfg:5: [net] policy: policy=cosine needs max_batches > 0 (or --max-batches)",
        "cosine without max_batches");
    bad(NET "policy=onecycle\nmax_batches=0\n[maxpool]\n",
        "t.cfg:6: [net] max_batches: policy=onecycle needs max_batches > 0",
        "onecycle with max_batches=0");
    bad(NET "policy=cosine\nmax_batches=10\nlrf=1.5\n[maxpool]\n",
        "t.cfg:7: [net] lrf: '1.5' is not a number in [0, 1]", "lrf above 1");
    bad(NET "policy=cosine\nmax_batches=10\nlrf=-.1\n[maxpool]\n",
        "t.cfg:7: [net] lrf: '-.1' is not a number in [0, 1]", "lrf below 0");
    bad(NET "policy=onecycle\nmax_batches=10\npct_start=1\n[maxpool]\n",
        "t.cfg:7: [net] pct_start: 1: the rise's share of max_batches must be above 0 and "
        "below 1", "onecycle with pct_start=1");
    bad(NET "policy=onecycle\nmax_batches=10\npct_start=0\n[maxpool]\n",
        "t.cfg:7: [net] pct_start: 0: the rise's share", "onecycle with pct_start=0");
    bad(NET "policy=onecycle\nmax_batches=10\ndiv_factor=.5\n[maxpool]\n",
        "t.cfg:7: [net] div_factor: '.5' is not a number in [1, ", "div_factor below 1");
    bad(NET "policy=cosine\nmax_batches=10\nlrff=.1\n[maxpool]\n",
        "t.cfg:7: [net] has no key 'lrff' (did you mean 'lrf'?)", "a typo'd lrf");
    bad(NET "policy=sgdr\n[maxpool]\n",
        "t.cfg:5: [net] policy: policy=sgdr needs sgdr_cycle, or max_batches > 0",
        "sgdr with neither sgdr_cycle nor max_batches");
    bad(NET "policy=sgdr\nmax_batches=100\nsgdr_mult=0\n[maxpool]\n",
        "t.cfg:7: [net] sgdr_mult: '0' is not an integer in [1, 1000]",
        "sgdr_mult=0 (never ends in AlexeyAB's loop)");
}

/* ---- rates ----------------------------------------------------------------- */

static int near(double a, double b) { return fabs(a - b) <= 1e-6 * fmax(fabs(b), 1e-12); }

/* The rate of a [net] body at iterations its[k] against want[k]. */
static void rates(const char *body, const long *its, const double *want, int n, const char *name)
{
    char text[512];
    snprintf(text, sizeof text, NET "%s[maxpool]\n", body);
    optim_config o;
    yerr err = {0};
    int rc = parse(text, &o, &err);
    CHECK(rc == 0, "%s: parses (%s)", name, rc ? err.msg : "ok");
    if (rc)
        return;
    for (int k = 0; k < n; k++) {
        float r = optim_rate(&o, its[k]);
        CHECK(near(r, want[k]), "%s: rate(%ld) = %.9g (want %.9g)", name, its[k], r, want[k]);
    }
}

#define RATES(body, name, ...)                                                             \
    do {                                                                                   \
        const long its_[] = {__VA_ARGS__};                                                 \
        rates(body, its_, want_, (int)(sizeof its_ / sizeof *its_), name);                 \
    } while (0)

static void test_rates(void)
{
    {
        const double want_[] = {.01, .01};
        RATES("learning_rate=.01\n", "constant", 0, 1000000);
    }
    {   /* lr * (it / burn_in)^power below burn_in, then the policy */
        const double want_[] = {0, 6.25e-5, 9.6059601e-4, .001, .001};
        RATES("burn_in=100\n", "burn_in (constant)", 0, 50, 99, 100, 5000);
    }
    {
        const double want_[] = {.1, .1, .05, .025, .1 * pow(.5, 10)};
        RATES("learning_rate=.1\npolicy=step\nstep=100\nscale=.5\n", "step", 0, 99, 100, 250,
              1000);
    }
    {   /* yolov3.cfg: multiplied AT the step (darknet: steps[i] > it returns) */
        const double want_[] = {0, .001 * pow(500. / 1000, 4), .001, .001, .0001, .0001, .00001};
        RATES("learning_rate=.001\nburn_in=1000\npolicy=steps\nsteps=400000,450000\n"
              "scales=.1,.1\n", "steps (yolov3.cfg)", 0, 500, 1000, 399999, 400000, 449999,
              450000);
    }
    {   /* yolov2-tiny-voc.cfg: a negative first step applies from the start
         * (darknet compares unsigned and would stay at .001 throughout) */
        const double want_[] = {.0001, .0001, .001, .001, .0001, .00001};
        RATES("learning_rate=.001\npolicy=steps\nsteps=-1,100,20000,30000\nscales=.1,10,.1,.1\n",
              "steps with a negative step (yolov2-tiny-voc.cfg)", 0, 99, 100, 19999, 20000,
              30000);
    }
    {
        const double want_[] = {.01, 9.9e-3, 9.043820750088045e-3};
        RATES("learning_rate=.01\npolicy=exp\ngamma=.99\n", "exp", 0, 1, 10);
    }
    {   /* darknet.cfg */
        const double want_[] = {.1 * pow(.5, 4), .09950093671899415, .1 * pow(.5, 4), 0};
        RATES("learning_rate=.1\nburn_in=1000\npolicy=poly\npower=4\nmax_batches=800000\n",
              "poly with burn_in (darknet.cfg)", 500, 1000, 400000, 800000);
    }
    {
        const double want_[] = {.09999546021312976, .05, 4.539786870243439e-06};
        RATES("learning_rate=.1\npolicy=sigmoid\ngamma=.01\nstep=1000\n", "sigmoid", 0, 1000,
              2000);
    }
    {   /* .001 + .009 (1 + cos(pi it / 100)) / 2; clamped past the end */
        const double want_[] = {.01, .001 + .009 * (1 + sqrt(.5)) / 2, .0055, .001, .001};
        RATES("learning_rate=.01\npolicy=cosine\nmax_batches=100\nlrf=.1\n", "cosine", 0, 25,
              50, 100, 150);
    }
    {   /* ultralytics' lrf default .01; burn_in with power=1: linear */
        const double want_[] = {0, .005, .01 * (.01 + .99 * (1 + cos(.1 * 3.141592653589793)) / 2),
                                .0001};
        RATES("learning_rate=.01\npolicy=cosine\nmax_batches=100\nburn_in=10\npower=1\n",
              "cosine with burn_in (power 1)", 0, 5, 10, 100);
    }
    {   /* rise from .01/25 to .01 over 24 iterations, fall to .01 * .01 over 76 */
        const double want_[] = {.0004, (.0004 + .01) / 2, .01, .0001 + .0099 / 2, .0001};
        RATES("learning_rate=.01\npolicy=onecycle\nmax_batches=100\npct_start=.24\n",
              "onecycle (pct_start .24, div_factor 25, lrf .01)", 0, 12, 24, 62, 100);
    }
    {   /* AlexeyAB's: cycles [0,10], [10,30], [30,70]; a cycle's end is in it */
        const double want_[] = {.01, .0055, .001, .001 + .009 * (1 + cos(3.14159265 / 20)) / 2,
                                .0055, .001, .001 + .009 * (1 + cos(3.14159265 / 40)) / 2};
        RATES("learning_rate=.01\npolicy=sgdr\nlearning_rate_min=.001\nsgdr_cycle=10\n",
              "sgdr (AlexeyAB's, sgdr_mult 2)", 0, 5, 10, 11, 20, 30, 31);
    }
    {   /* sgdr_cycle defaults to max_batches: one cosine to learning_rate_min */
        const double want_[] = {.01, .00500500, .00001};
        RATES("learning_rate=.01\npolicy=sgdr\nmax_batches=40\n", "sgdr, one cycle "
              "(sgdr_cycle = max_batches)", 0, 20, 40);
    }
}

/* ---- updates --------------------------------------------------------------- */

/* Builds text's network for training and, if o, parses its optimiser. */
static int build_text(const char *text, network *net, int adam, optim_config *o)
{
    cfg c;
    yerr err = {0};
    int rc = cfg_parse(&c, "t.cfg", text, strlen(text), &err);
    if (rc == 0) {
        rc = net_load_opts(&c, net, &(net_opts){.train = 1, .adam = adam}, &err);
        if (rc == 0 && o && (rc = optim_parse(&c, o, &err)) < 0)
            net_free(net);
        cfg_free(&c);
    }
    CHECK(rc == 0, "network builds for training (%s)", rc ? err.msg : "ok");
    return rc;
}

/* The network of the fixtures (230 parameters). */
static int build(network *net, int adam)
{
    if (build_text(net_cfg, net, adam, NULL) < 0)
        return -1;
    CHECK(net->nparams == 230, "it has 230 parameters (%zu)", net->nparams);
    if (net->nparams == 230)
        return 0;
    net_free(net);
    return -1;
}

/* Each parameter's kind as the fixture labels it: 0 bias or batch-norm
 * scale, 1 weight (decays), 2 rolling statistic (not a parameter). */
static void kinds(const network *net, float *kind)
{
    for (size_t i = 0; i < net->nparams; i++)
        kind[i] = 2;
    for (int i = 0; i < net->n; i++) {
        const layer *l = &net->l[i];
        for (size_t k = 0; l->nparams && k < l->nbiases; k++) {
            kind[l->biases - net->params + k] = 0;
            if (l->scales)
                kind[l->scales - net->params + k] = 0;
        }
        for (size_t k = 0; l->nparams && k < l->nweights; k++)
            kind[l->weights - net->params + k] = 1;
    }
}

/* darknet's update_convolutional_layer / connected / local on one array,
 * with its own sign: u holds -dL/dw. */
static void darknet_update(float *w, float *u, const float *g, size_t n, float rate,
                           const optim_config *o, int decays)
{
    for (size_t i = 0; i < n; i++)
        u[i] += -g[i];                      /* the backward pass's contribution */
    if (decays)
        for (size_t i = 0; i < n; i++)
            u[i] += -o->decay * o->batch * w[i];
    for (size_t i = 0; i < n; i++)
        w[i] += rate / o->batch * u[i];
    for (size_t i = 0; i < n; i++)
        u[i] *= o->momentum;
}

static double rel(double a, double b) { return fabs(a - b) / fmax(fabs(b), 1e-3); }

/* The largest error of a against scale_b * b, relative to the larger of
 * |b| and 1% of the largest |b| (values that nearly cancelled to 0 carry
 * the rounding of the terms they came from). */
static double worst(const float *a, const float *b, size_t n, double scale_b)
{
    double w = 0, big = 0;
    for (size_t i = 0; i < n; i++)
        big = fmax(big, fabs(scale_b * b[i]));
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - scale_b * b[i]) / fmax(fabs(scale_b * b[i]), fmax(.01 * big, 1e-30));
        w = fmax(w, isnan(a[i]) ? INFINITY : d);
    }
    return w;
}

/* Three SGD updates against darknet's loop, on random sums of gradients,
 * with nonzero gradients in the rolling statistics' slots. */
static void sgd_darknet(const char *text, const char *name)
{
    network net;
    if (build_text(text, &net, 0, NULL) < 0)
        return;
    optim_config o = {.batch = 8, .momentum = .9f, .decay = .005f};
    size_t n = net.nparams;
    float *w = malloc(n * sizeof *w), *u = calloc(n, sizeof *u), *g = malloc(n * sizeof *g);
    float *kind = malloc(n * sizeof *kind);
    if (!w || !u || !g || !kind)
        goto out;
    kinds(&net, kind);
    srand(3);
    for (size_t i = 0; i < n; i++)
        net.params[i] = w[i] = (float)rand() / RAND_MAX - .5f + (kind[i] == 2);
    int ok_state = 1;
    for (int t = 1; t <= 3; t++) {
        float rate = .01f * t;
        for (size_t i = 0; i < n; i++)
            net.grads[i] = g[i] = 8.f * ((float)rand() / RAND_MAX - .5f);
        optim_update(&net, &o, rate, t);
        for (size_t i = 0; i < n; i++)
            if (kind[i] != 2)
                darknet_update(w + i, u + i, g + i, 1, rate, &o, kind[i] == 1);
        for (size_t i = 0; i < n; i++)   /* ours is v = -u / momentum before the scaling */
            ok_state &= kind[i] == 2 ? net.momentum[i] == 0
                                     : rel(-net.momentum[i] * o.momentum, u[i]) < 1e-5;
    }
    double e = worst(net.params, w, n, 1);
    CHECK(e < 1e-6, "%s: 3 SGD updates equal darknet's update loop (worst relative %.2g)", name,
          e);
    CHECK(ok_state, "%s: velocity is darknet's negated update buffer; rolling slots untouched",
          name);
    int cleared = 1, rolling = 1;
    for (size_t i = 0; i < n; i++) {
        cleared &= net.grads[i] == 0;
        rolling &= kind[i] != 2 || net.params[i] == w[i];
    }
    CHECK(cleared, "%s: the update clears net->grads", name);
    CHECK(rolling, "%s: batch norm's rolling mean and variance unchanged", name);
out:
    free(w), free(u), free(g), free(kind);
    net_free(&net);
}

static void test_sgd_darknet(void)
{
    sgd_darknet(net_cfg, "conv+bn, local, connected+bn");
    /* 90000 weights: optim_update's threaded path */
    sgd_darknet("[net]\nwidth=300\nheight=1\nchannels=1\n[connected]\noutput=300\n"
                "batch_normalize=1\nactivation=linear\n", "connected 300x300");
}

/* ---- against torch ----------------------------------------------------------- */

typedef struct fixture {
    int p, t, b;
    float momentum, decay, b1, b2, eps;
    float rates[8];
    float *kind, *params0, *grads, *sgd, *sgd_buf, *adam, *adam_m, *adam_v;   /* see the script */
    float *data;
} fixture;

static uint32_t le32(const unsigned char *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static float lef(const unsigned char *p)
{
    uint32_t u = le32(p);
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Reads the fixture's header and arrays (little-endian on any host). */
static int read_fixture(fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    FILE *f = fopen(FIXTURE, "rb");
    unsigned char *buf = malloc(1 << 16);
    size_t len = f && buf ? fread(buf, 1, 1 << 16, f) : 0;
    if (f)
        fclose(f);
    int rc = -1;
    if (len < 40 || memcmp(buf, "OPTFX001", 8))
        goto out;
    fx->p = (int)le32(buf + 8), fx->t = (int)le32(buf + 12), fx->b = (int)le32(buf + 16);
    if (fx->p <= 0 || fx->p > 4096 || fx->t <= 0 || fx->t > 8)
        goto out;
    size_t narr = (size_t)fx->p * (5 + 3 * fx->t), head = 40 + 4 * (size_t)fx->t;
    if (len != head + 4 * narr || !(fx->data = malloc(narr * sizeof *fx->data)))
        goto out;
    float hdr[5];
    for (int k = 0; k < 5; k++)
        hdr[k] = lef(buf + 20 + 4 * k);
    fx->momentum = hdr[0], fx->decay = hdr[1], fx->b1 = hdr[2], fx->b2 = hdr[3], fx->eps = hdr[4];
    for (int k = 0; k < fx->t; k++)
        fx->rates[k] = lef(buf + 40 + 4 * k);
    for (size_t k = 0; k < narr; k++)
        fx->data[k] = lef(buf + head + 4 * k);
    size_t P = (size_t)fx->p, TP = P * fx->t;
    fx->kind = fx->data, fx->params0 = fx->kind + P, fx->grads = fx->params0 + P;
    fx->sgd = fx->grads + TP, fx->sgd_buf = fx->sgd + TP, fx->adam = fx->sgd_buf + P;
    fx->adam_m = fx->adam + TP, fx->adam_v = fx->adam_m + P;
    rc = 0;
out:
    free(buf);
    return rc;
}

/* Runs the fixture's steps with SGD or Adam; compares the parameters after
 * each step and the optimiser state after the last. */
static void run_torch(const fixture *fx, int adam)
{
    const char *name = adam ? "Adam" : "SGD";
    network net;
    if (build(&net, adam) < 0)
        return;
    size_t P = (size_t)fx->p;
    float *kind = malloc(P * sizeof *kind);
    if (!kind || net.nparams != P) {
        CHECK(0, "%s: fixture has %zu parameters, network %zu", name, P, net.nparams);
        goto out;
    }
    kinds(&net, kind);
    CHECK(!memcmp(kind, fx->kind, P * sizeof *kind),
          "%s: the script's layout (bias/scale, weight, rolling) is the network's", name);
    optim_config o = {.batch = fx->b, .momentum = fx->momentum, .decay = fx->decay,
                      .adam = adam, .b1 = fx->b1, .b2 = fx->b2, .eps = fx->eps};
    memcpy(net.params, fx->params0, P * sizeof *net.params);
    const float *want = adam ? fx->adam : fx->sgd;
    for (int t = 0; t < fx->t; t++) {
        memcpy(net.grads, fx->grads + t * P, P * sizeof *net.grads);
        optim_update(&net, &o, fx->rates[t], t + 1);
        double e = worst(net.params, want + t * P, P, 1);
        CHECK(e < 1e-5, "%s: parameters after step %d equal torch's (worst relative %.2g)", name,
              t + 1, e);
    }
    if (adam) {
        double em = worst(net.momentum, fx->adam_m, P, 1);
        double ev = worst(net.moment2, fx->adam_v, P, 1);
        CHECK(em < 1e-5 && ev < 1e-5,
              "Adam: moments equal torch's exp_avg, exp_avg_sq (worst relative %.2g, %.2g)", em,
              ev);
    } else {
        double ev = worst(net.momentum, fx->sgd_buf, P, fx->b);
        CHECK(ev < 1e-5, "SGD: velocity = batch * torch's momentum_buffer (worst relative %.2g)",
              ev);
    }
out:
    free(kind);
    net_free(&net);
}

static void test_torch(void)
{
    fixture fx;
    int rc = read_fixture(&fx);
    CHECK(rc == 0, "%s reads", FIXTURE);
    if (rc == 0) {
        run_torch(&fx, 0);
        run_torch(&fx, 1);
    }
    free(fx.data);
}

/* ---- against libdarknet ------------------------------------------------------ */

/* tests/optim/darknet-optim.c's stream: uniform in [-0.5, 0.5). */
static float dn_next(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((*s >> 40) / 16777216.0) - 0.5f;
}

/* "net BODY" / "sgd BODY": the [net] keys with ';' for newlines. */
static void body_text(const char *body, const char *layers, char *text, size_t n)
{
    snprintf(text, n, NET "%s\n%s", body, layers);
    for (char *p = text; *p; p++)
        if (*p == ';')
            *p = '\n';
}

/* Is dn where we differ from pjreddie's darknet on purpose (optim_rate's
 * comment), with the value its unsigned arithmetic gives: lr (a negative
 * step is never reached) or 0 (sigmoid before its step)? */
static int deviates(const optim_config *o, long it, float dn)
{
    if (it < o->burn_in)
        return 0;
    if (o->policy == LR_STEPS && o->nsteps > 0 && o->steps[0] < 0)
        return dn == o->learning_rate;
    return o->policy == LR_SIG && it < o->step && dn == 0;
}

/* One "rate IT V" line against the current [net]. */
static void dn_rate(const optim_config *o, long it, float dn, int *same, int *dev, int *bad)
{
    float ours = optim_rate(o, it);
    if (ours == dn)
        (*same)++;
    else if (deviates(o, it, dn))
        (*dev)++;
    else if ((*bad)++ < 5)
        printf("#   rate(%ld): ours %.9g, darknet %.9g\n", it, ours, dn);
}

/* Replays darknet-optim.c's sgd run: parameters and gradient sums from the
 * stream, three updates at optim_rate(o, k) (darknet computes the rate of
 * its k-th update with batch_num = k). */
static void dn_sgd(const char *body, const float *want, size_t nwant)
{
    char text[2048];
    body_text(body, LAYERS, text, sizeof text);
    network net;
    optim_config o;
    if (build_text(text, &net, 0, &o) < 0)
        return;
    uint64_t s = 12345;
    for (size_t i = 0; i < net.nparams; i++)
        net.params[i] = dn_next(&s);
    for (long k = 1; k <= 3; k++) {
        for (size_t i = 0; i < net.nparams; i++)
            net.grads[i] = 8 * dn_next(&s);
        optim_update(&net, &o, optim_rate(&o, k), k);
    }
    double e = nwant == net.nparams ? worst(net.params, want, nwant, 1) : INFINITY;
    CHECK(e < 1e-6, "SGD: 3 updates (batch 4 in 2 subdivisions, burn_in, steps) equal "
          "libdarknet's update_network (%zu parameters, worst relative %.2g)", nwant, e);
    net_free(&net);
}

static void test_darknet(void)
{
    FILE *f = open_fixture(DN_FIXTURE);
    if (!f)
        return;
    char line[1024], text[2048], sgd[1024] = "";
    optim_config o;
    int have = 0, same = 0, dev = 0, bad = 0;
    float *want = malloc(4096 * sizeof *want);
    size_t nwant = 0;
    long it;
    float v;
    while (want && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        yerr err = {0};
        if (!strncmp(line, "net ", 4)) {
            body_text(line + 4, "[maxpool]\n", text, sizeof text);
            have = parse(text, &o, &err) == 0;
            bad += !have;
        } else if (!strncmp(line, "sgd ", 4)) {
            snprintf(sgd, sizeof sgd, "%s", line + 4);
        } else if (sscanf(line, "rate %ld %f", &it, &v) == 2 && have) {
            dn_rate(&o, it, v, &same, &dev, &bad);
        } else if (sscanf(line, "param %f", &v) == 1 && nwant < 4096) {
            want[nwant++] = v;
        }
    }
    fclose(f);
    CHECK(bad == 0 && same > 100 && dev > 0, "rates: %d equal libdarknet's get_current_rate bit "
          "for bit, %d are the two deliberate differences (negative step, sigmoid before its "
          "step), %d wrong", same, dev, bad);
    if (sgd[0] && want)
        dn_sgd(sgd, want, nwant);
    else
        CHECK(0, "%s has an sgd run", DN_FIXTURE);
    free(want);
}

static void test_check(void)
{
    network net;
    yerr err = {0};
    optim_config o = {.batch = 1, .adam = 1};
    if (build(&net, 0) < 0)
        return;
    CHECK(optim_check(&net, &o, &err) < 0 && strstr(err.msg, "second moment"),
          "optim_check: adam without room for the second moment refused (%s)", err.msg);
    o.adam = 0;
    CHECK(optim_check(&net, &o, &err) == 0, "optim_check: SGD on a training network is fine");
    net_free(&net);
    cfg c;
    if (cfg_parse(&c, "t.cfg", net_cfg, strlen(net_cfg), &err) < 0)
        return;
    int rc = net_load(&c, &net, &err);
    cfg_free(&c);
    CHECK(rc == 0 && optim_check(&net, &o, &err) < 0 && strstr(err.msg, "not built for training"),
          "optim_check: an inference network refused (%s)", err.msg);
    if (rc == 0)
        net_free(&net);
}

/* ---- cosine, onecycle, sgdr against torch and AlexeyAB ------------------------ */

/* tests/optim/lr-torch.fix (make-lr-fixtures.py): every iteration of six
 * schedules, torch's within 1e-6 relative, AlexeyAB's sgdr bit for bit. */
static void test_lr_fixture(void)
{
    FILE *f = open_fixture(LR_FIXTURE);
    if (!f)
        return;
    char line[1024], text[2048], name[64] = "";
    optim_config o;
    int have = 0, exact = 0, n = 0, bad = 0, nets = 0;
    long it;
    double v, worst_rel = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        yerr err = {0};
        if (!strncmp(line, "net ", 4)) {
            body_text(line + 4, "[maxpool]\n", text, sizeof text);
            have = parse(text, &o, &err) == 0, exact = 0, nets++;
            const char *p = strstr(line, "policy=");
            snprintf(name, sizeof name, "%.*s", p ? (int)strcspn(p + 7, ";") : 1, p ? p + 7 : "?");
            if (!have && bad++ < 5)
                printf("#   %s: %s\n", line, err.msg);
        } else if (!strcmp(line, "exact")) {
            exact = 1;
        } else if (sscanf(line, "rate %ld %lf", &it, &v) == 2 && have) {
            float r = optim_rate(&o, it);
            n++;
            if (!exact && v > 0)
                worst_rel = fmax(worst_rel, fabs(r - v) / v);
            if ((exact ? r != (float)v : !near(r, v)) && bad++ < 5)
                printf("#   %s rate(%ld): ours %.9g, want %.9g\n", name, it, r, v);
        }
    }
    fclose(f);
    CHECK(nets == 6 && n > 250 && bad == 0, "cosine, onecycle (torch's CosineAnnealingLR, "
          "OneCycleLR: worst relative %.2g) and sgdr (AlexeyAB's formula, bit for bit): %d rates "
          "of %d schedules, %d wrong", worst_rel, n, nets, bad);
}

static void test_over(void)
{
    static const char steps[] = NET "learning_rate=.01\nburn_in=100\nmax_batches=1000\n"
                                    "policy=steps\nsteps=500\nscales=.1\n[maxpool]\n";
    optim_config o;
    yerr err = {0};
    int rc = parse_over(steps, &(optim_over){.policy = "cosine"}, &o, &err);
    CHECK(rc == 0 && o.policy == LR_COSINE && o.lrf == .01f && o.burn_in == 100 &&
          near(optim_rate(&o, 1000), .0001), "--policy cosine on a steps cfg: cosine to "
          "lr * .01 (%s)", rc ? err.msg : "ok");
    rc = parse_over(steps, &(optim_over){.policy = "onecycle", .lrf = .2f, .has_lrf = 1,
                                         .burn_in = 0, .has_burn_in = 1, .max_batches = 50},
                    &o, &err);
    CHECK(rc == 0 && o.policy == LR_ONECYCLE && o.burn_in == 0 && o.max_batches == 50 &&
          near(optim_rate(&o, 0), .0004) && near(optim_rate(&o, 50), .002),
          "--policy onecycle --lrf .2 --burn-in 0 --max-batches 50 (%s)", rc ? err.msg : "ok");
    rc = parse_over(NET "policy=poly\n[maxpool]\n", &(optim_over){.max_batches = 10}, &o, &err);
    CHECK(rc == 0 && o.max_batches == 10, "--max-batches gives poly its length (%s)",
          rc ? err.msg : "ok");
    rc = parse_over(steps, &(optim_over){.policy = "cosinus"}, &o, &err);
    CHECK(rc < 0 && err.code == YOLO_EUSAGE && strstr(err.msg, "--policy: unknown policy "
          "'cosinus' (constant, step, steps, exp, poly, sigmoid, sgdr, cosine, onecycle)"),
          "--policy with an unknown name: a usage error listing the names (%s)", err.msg);
    rc = parse_over(steps, &(optim_over){.lrf = .1f, .has_lrf = 1}, &o, &err);
    CHECK(rc < 0 && err.code == YOLO_EUSAGE &&
          strstr(err.msg, "--lrf goes with policy cosine or onecycle (this run's is steps)"),
          "--lrf with policy=steps: a usage error (%s)", err.msg);
    rc = parse_over(NET "[maxpool]\n", &(optim_over){.policy = "cosine"}, &o, &err);
    CHECK(rc < 0 && err.code == YOLO_EINPUT && strstr(err.msg, "t.cfg: --policy cosine needs "
          "max_batches > 0 ([net] max_batches or --max-batches)"),
          "--policy cosine, no max_batches anywhere: says where to give it (%s)", err.msg);
}

/* cosine's lrf is its own key: unused (and listed) under another policy. */
static void test_unused_lrf(void)
{
    const char *text = NET "max_batches=10\npolicy=poly\nlrf=.1\npct_start=.2\n[maxpool]\n";
    cfg c;
    yerr err = {0};
    optim_config o;
    char unused[256] = "";
    int rc = cfg_parse(&c, "t.cfg", text, strlen(text), &err), ab_line = -1;
    if (rc == 0) {
        rc = optim_parse(&c, &o, &err);
        for (int k = 0; k < c.s[0].n; k++)
            if (strchr("whc", c.s[0].kv[k].key[0]))
                c.s[0].kv[k].used = 1;
        cfg_unused(&c, note_unused, unused);
        ab_line = c.ab_line;
        cfg_free(&c);
    }
    CHECK(rc == 0 && !strcmp(unused, "lrf pct_start ") && ab_line == 0,
          "lrf, pct_start: known keys, unused by poly, not AlexeyAB's dialect: '%s'", unused);
}

int main(void)
{
    test_defaults();
    test_parse_all();
    test_unused();
    test_errors();
    test_rates();
    test_sgd_darknet();
    test_torch();
    test_darknet();
    test_check();
    test_lr_fixture();
    test_over();
    test_unused_lrf();
    return check_done();
}
