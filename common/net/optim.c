#include <limits.h>
#include <math.h>
#include <string.h>

#include "yolo/net/optim.h"

/* The policy names ([net] policy=), indexed by lr_policy: darknet's (it
 * spells the sigmoid policy "sigmoid", parser.c get_policy), AlexeyAB's
 * sgdr, and this project's cosine and onecycle. */
static const char *const policy_names[LR_N] = {
    [LR_CONSTANT] = "constant", [LR_STEP] = "step", [LR_STEPS] = "steps",
    [LR_EXP] = "exp", [LR_POLY] = "poly", [LR_SIG] = "sigmoid", [LR_SGDR] = "sgdr",
    [LR_COSINE] = "cosine", [LR_ONECYCLE] = "onecycle",
};
#define POLICY_LIST "constant, step, steps, exp, poly, sigmoid, sgdr, cosine, onecycle"

#define OPTIM_PI 3.14159265358979323846
#define AB_PI 3.14159265   /* the pi of AlexeyAB's sgdr (network.c), for his values */

/* The policy named in [net], or by --policy (ov->policy). */
static int parse_policy(const cfg *c, cfg_section *s, const optim_over *ov, lr_policy *p,
                        yerr *err)
{
    const char *given = ov && ov->policy ? ov->policy : NULL;
    const char *name = given ? given : cfg_str(s, "policy", "constant");
    for (int i = 0; i < LR_N; i++)
        if (strcmp(name, policy_names[i]) == 0) {
            *p = (lr_policy)i;
            return 0;
        }
    if (given)
        return yerr_set(err, YOLO_EUSAGE, "--policy: unknown policy '%s' (" POLICY_LIST ")",
                        given);
    if (strcmp(name, "random") == 0)
        return cfg_fail(c, s, "policy", err, "'random' is not supported (a rate drawn at random "
                        "each iteration)");
    return cfg_fail(c, s, "policy", err, "unknown policy '%s' (" POLICY_LIST ")", name);
}

/* policy=steps: both lists, the same length, steps strictly increasing.
 * Negative steps are allowed (yolov2-tiny-voc.cfg starts with -1). */
static int parse_steps(const cfg *c, cfg_section *s, optim_config *o, yerr *err)
{
    int nscales = 0;
    if (cfg_ints(c, s, "steps", o->steps, OPTIM_MAX_STEPS, &o->nsteps, INT_MIN, INT_MAX, err) < 0 ||
        cfg_floats(c, s, "scales", o->scales, OPTIM_MAX_STEPS, &nscales, err) < 0)
        return -1;
    if (o->nsteps == 0 || nscales == 0)
        return cfg_fail(c, s, "policy", err, "policy=steps needs both steps= and scales=");
    if (nscales != o->nsteps)
        return cfg_fail(c, s, "scales", err, "%d scales for %d steps", nscales, o->nsteps);
    for (int i = 1; i < o->nsteps; i++)
        if (o->steps[i] <= o->steps[i - 1])
            return cfg_fail(c, s, "steps", err, "item %d (%d) is not above item %d (%d): steps "
                            "must increase", i + 1, o->steps[i], i, o->steps[i - 1]);
    return 0;
}

/* A policy that runs to max_batches: it must be known, from [net] or
 * --max-batches. The message points at max_batches=0 if given, else at
 * policy (or at --policy when that chose it). */
static int need_length(const cfg *c, cfg_section *s, const optim_over *ov,
                       const optim_config *o, yerr *err)
{
    if (o->max_batches > 0)
        return 0;
    const char *name = policy_names[o->policy];
    if (ov && ov->policy && !cfg_has(s, "max_batches"))
        return yerr_set(err, YOLO_EINPUT, "%s: --policy %s needs max_batches > 0 ([net] "
                        "max_batches or --max-batches)", c->path, name);
    return cfg_fail(c, s, cfg_has(s, "max_batches") ? "max_batches" : "policy", err,
                    "policy=%s needs max_batches > 0 (or --max-batches)", name);
}

/* lrf: the cfg's, or --lrf's (checked against the same range there). */
static int parse_lrf(const cfg *c, cfg_section *s, const optim_over *ov, optim_config *o,
                     yerr *err)
{
    if (cfg_float(c, s, "lrf", .01f, 0, 1, &o->lrf, err) < 0)
        return -1;
    if (ov && ov->has_lrf)
        o->lrf = ov->lrf;
    return 0;
}

/* onecycle: lrf, pct_start in (0, 1), div_factor >= 1. */
static int parse_onecycle(const cfg *c, cfg_section *s, const optim_over *ov, optim_config *o,
                          yerr *err)
{
    if (parse_lrf(c, s, ov, o, err) < 0 ||
        cfg_float(c, s, "pct_start", .3f, 0, 1, &o->pct_start, err) < 0 ||
        cfg_float(c, s, "div_factor", 25, 1, 1e6f, &o->div_factor, err) < 0)
        return -1;
    if (o->pct_start <= 0 || o->pct_start >= 1)
        return cfg_fail(c, s, "pct_start", err, "%g: the rise's share of max_batches must be "
                        "above 0 and below 1", o->pct_start);
    return 0;
}

/* sgdr, as AlexeyAB reads it: learning_rate_min, sgdr_cycle (default
 * max_batches), sgdr_mult (default 2; he takes 0, which never ends). */
static int parse_sgdr(const cfg *c, cfg_section *s, optim_config *o, yerr *err)
{
    if (cfg_float(c, s, "learning_rate_min", .00001f, 0, 1e3f, &o->lr_min, err) < 0 ||
        cfg_int(c, s, "sgdr_cycle", o->max_batches, 1, INT_MAX, &o->sgdr_cycle, err) < 0 ||
        cfg_int(c, s, "sgdr_mult", 2, 1, 1000, &o->sgdr_mult, err) < 0)
        return -1;
    if (o->sgdr_cycle <= 0)
        return cfg_fail(c, s, "policy", err, "policy=sgdr needs sgdr_cycle, or max_batches > 0 "
                        "(its default)");
    return 0;
}

/* The keys only one policy reads, as darknet reads them. */
static int parse_policy_keys(const cfg *c, cfg_section *s, const optim_over *ov,
                             optim_config *o, yerr *err)
{
    switch (o->policy) {
    case LR_STEP:
        return cfg_int(c, s, "step", 1, 1, INT_MAX, &o->step, err) < 0 ||
               cfg_float(c, s, "scale", 1, 0, 1e6f, &o->scale, err) < 0 ? -1 : 0;
    case LR_STEPS:
        return parse_steps(c, s, o, err);
    case LR_EXP:
        return cfg_float(c, s, "gamma", 1, 0, 1e6f, &o->gamma, err);
    case LR_SIG:
        return cfg_float(c, s, "gamma", 1, -1e6f, 1e6f, &o->gamma, err) < 0 ||
               cfg_int(c, s, "step", 1, INT_MIN, INT_MAX, &o->step, err) < 0 ? -1 : 0;
    case LR_POLY:
        return need_length(c, s, ov, o, err);
    case LR_SGDR:
        return parse_sgdr(c, s, o, err);
    case LR_COSINE:
        return need_length(c, s, ov, o, err) < 0 ? -1 : parse_lrf(c, s, ov, o, err);
    case LR_ONECYCLE:
        return need_length(c, s, ov, o, err) < 0 ? -1 : parse_onecycle(c, s, ov, o, err);
    default:
        return 0;
    }
}

static int parse_adam(const cfg *c, cfg_section *s, optim_config *o, yerr *err)
{
    o->b1 = .9f, o->b2 = .999f, o->eps = .0000001f;
    if (cfg_int(c, s, "adam", 0, 0, 1, &o->adam, err) < 0)
        return -1;
    if (!o->adam)       /* darknet reads B1, B2, eps only with adam=1 */
        return 0;
    return cfg_float(c, s, "B1", .9f, 0, .999999f, &o->b1, err) < 0 ||
           cfg_float(c, s, "B2", .999f, 0, .999999f, &o->b2, err) < 0 ||
           cfg_float(c, s, "eps", .0000001f, 1e-30f, 1, &o->eps, err) < 0 ? -1 : 0;
}

/* The command line's values: max_batches and burn_in before the policy is
 * read (its checks and defaults use them); --lrf only where there is one. */
static void apply_over(const optim_over *ov, optim_config *o)
{
    if (!ov)
        return;
    if (ov->max_batches > 0)
        o->max_batches = ov->max_batches;
    if (ov->has_burn_in)
        o->burn_in = ov->burn_in;
}

static int check_over(const optim_over *ov, const optim_config *o, yerr *err)
{
    if (!ov || !ov->has_lrf || o->policy == LR_COSINE || o->policy == LR_ONECYCLE)
        return 0;
    return yerr_set(err, YOLO_EUSAGE, "--lrf goes with policy cosine or onecycle (this run's "
                    "is %s)", policy_names[o->policy]);
}

int optim_parse_over(cfg *c, const optim_over *ov, optim_config *o, yerr *err)
{
    cfg_section *s = &c->s[0];
    memset(o, 0, sizeof *o);
    o->step = 1, o->scale = 1, o->gamma = 1;
    if (cfg_int(c, s, "batch", 1, 1, 1 << 20, &o->batch, err) < 0 ||
        cfg_int(c, s, "subdivisions", 1, 1, 1 << 20, &o->subdivisions, err) < 0 ||
        cfg_float(c, s, "learning_rate", .001f, 0, 1e3f, &o->learning_rate, err) < 0 ||
        cfg_float(c, s, "momentum", .9f, 0, 1, &o->momentum, err) < 0 ||
        cfg_float(c, s, "decay", .0001f, 0, 1, &o->decay, err) < 0 ||
        cfg_int(c, s, "burn_in", 0, 0, INT_MAX, &o->burn_in, err) < 0 ||
        cfg_float(c, s, "power", 4, 0, 1e3f, &o->power, err) < 0 ||
        cfg_int(c, s, "max_batches", 0, 0, INT_MAX, &o->max_batches, err) < 0)
        return -1;
    apply_over(ov, o);
    if (parse_policy(c, s, ov, &o->policy, err) < 0 || check_over(ov, o, err) < 0 ||
        parse_policy_keys(c, s, ov, o, err) < 0 || parse_adam(c, s, o, err) < 0)
        return -1;
    if (o->batch % o->subdivisions)
        return cfg_fail(c, s, "subdivisions", err, "%d does not divide batch=%d",
                        o->subdivisions, o->batch);
    return 0;
}

int optim_parse(cfg *c, optim_config *o, yerr *err)
{
    return optim_parse_over(c, NULL, o, err);
}

/* From a (frac 0) to b (frac 1) along half a cosine. */
static double cos_between(double a, double b, double frac)
{
    return b + (a - b) * (1 + cos(OPTIM_PI * frac)) / 2;
}

/* cosine and onecycle at it, clamped to the run [0, max_batches]. */
static float annealed(const optim_config *o, long it)
{
    double m = o->max_batches, i = it < 0 ? 0 : it > o->max_batches ? m : (double)it;
    double lr = o->learning_rate, last = lr * o->lrf;
    if (o->policy == LR_COSINE)
        return (float)cos_between(lr, last, i / m);
    double peak = (double)o->pct_start * m;
    if (i <= peak)
        return (float)cos_between(lr / o->div_factor, lr, i / peak);
    return (float)cos_between(lr, last, (i - peak) / (m - peak));
}

/* AlexeyAB's sgdr (get_current_rate), his float/double mix and his pi:
 * warm restarts, each cycle sgdr_mult times the last. */
static float sgdr(const optim_config *o, long it)
{
    long start = 0, cycle = o->sgdr_cycle;
    while (start + cycle < it) {
        start += cycle;
        cycle *= o->sgdr_mult;
    }
    return (float)(o->lr_min + 0.5 * (o->learning_rate - o->lr_min) *
                   (1. + cos((float)(it - start) * AB_PI / cycle)));
}

/* darknet's get_current_rate with batch_num = it, its float/double mix kept
 * so values agree to the last bit. One deliberate difference: darknet
 * compares steps (int) with batch_num (size_t) and subtracts step from
 * batch_num in size_t, so a negative step is never reached and sigmoid's
 * rate is 0 before its step; here both are signed, as the cfgs intend. */
float optim_rate(const optim_config *o, long it)
{
    float lr = o->learning_rate;
    if (it < o->burn_in)
        return (float)(lr * pow((float)it / o->burn_in, o->power));
    switch (o->policy) {
    case LR_STEP:
        return (float)(lr * pow(o->scale, it / o->step));
    case LR_STEPS:
        for (int i = 0; i < o->nsteps && o->steps[i] <= it; i++)
            lr *= o->scales[i];
        return lr;
    case LR_EXP:
        return (float)(lr * pow(o->gamma, it));
    case LR_POLY:
        return (float)(lr * pow(1 - (float)it / o->max_batches, o->power));
    case LR_SIG:
        return (float)(lr * (1. / (1. + exp(o->gamma * (float)(it - o->step)))));
    case LR_SGDR:
        return sgdr(o, it);
    case LR_COSINE:
    case LR_ONECYCLE:
        return annealed(o, it);
    default:
        return lr;
    }
}

/* Arrays longer than this are updated by all threads (element by element,
 * so the result does not depend on their number): on 2 cores yolov3's 62M
 * parameters take 36 ms instead of 63 (SGD), 161 instead of 300 (Adam). */
#define OPTIM_PAR_MIN 65536

/* What one update applies to every parameter array. */
typedef struct optim_step {
    float rate, momentum, decay;
    float batch;        /* images per update; Adam divides G by it as torch's mean does */
    float b1, b2, eps;
    float c1, c2;       /* Adam's bias corrections 1 - b1^t, 1 - b2^t */
} optim_step;

/* SGD on n parameters w with gradient sums g and velocities v; weight
 * decay if decays (weights, not biases or scales). */
static void sgd_array(float *w, const float *g, float *v, size_t n, const optim_step *s,
                      int decays)
{
    float k = s->rate / s->batch, decay_b = decays ? s->decay * s->batch : 0;
#pragma omp parallel for schedule(static) if (n > OPTIM_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        v[i] = s->momentum * v[i] + g[i] + decay_b * w[i];
        w[i] -= k * v[i];
    }
}

/* Adam on n parameters w with gradient sums g, moments m and v. */
static void adam_array(float *w, const float *g, float *m, float *v, size_t n,
                       const optim_step *s, int decays)
{
    float decay = decays ? s->decay : 0;
#pragma omp parallel for schedule(static) if (n > OPTIM_PAR_MIN)
    for (size_t i = 0; i < n; i++) {
        float gi = g[i] / s->batch + decay * w[i];
        m[i] = s->b1 * m[i] + (1 - s->b1) * gi;
        v[i] = s->b2 * v[i] + (1 - s->b2) * gi * gi;
        w[i] -= s->rate * (m[i] / s->c1) / (sqrtf(v[i] / s->c2) + s->eps);
    }
}

/* One parameter array p[n] of a layer; its gradient and state sit at the
 * same offset in net->grads, net->momentum, net->moment2. */
static void update_array(network *net, int adam, const optim_step *s, float *p, size_t n,
                         int decays)
{
    size_t off = (size_t)(p - net->params);
    float *g = net->grads + off, *m = net->momentum + off;
    if (adam)
        adam_array(p, g, m, net->moment2 + off, n, s, decays);
    else
        sgd_array(p, g, m, n, s, decays);
}

static int has_update(cfg_type t)
{
    return t == CFG_CONVOLUTIONAL || t == CFG_CONNECTED || t == CFG_LOCAL;
}

void optim_update(network *net, const optim_config *o, float rate, long t)
{
    optim_step s = {.rate = rate, .momentum = o->momentum, .decay = o->decay,
                    .batch = (float)o->batch, .b1 = o->b1, .b2 = o->b2, .eps = o->eps,
                    .c1 = (float)(1 - pow(o->b1, (double)t)),
                    .c2 = (float)(1 - pow(o->b2, (double)t))};
    for (int i = 0; i < net->n; i++) {
        const layer *l = &net->l[i];
        if (!has_update(l->type) || l->nparams == 0 || l->frozen)
            continue;
        update_array(net, o->adam, &s, l->biases, l->nbiases, 0);
        if (l->scales)
            update_array(net, o->adam, &s, l->scales, l->nbiases, 0);
        update_array(net, o->adam, &s, l->weights, l->nweights, 1);
    }
    memset(net->grads, 0, net->nparams * sizeof *net->grads);
    net_winograd_refresh(net, net->frozen);   /* Winograd's copies follow the weights */
}

int optim_check(const network *net, const optim_config *o, yerr *err)
{
    if (!net->grads || !net->momentum)
        return yerr_set(err, YOLO_EUSAGE, "%s: the network was not built for training",
                        net->path ? net->path : "network");
    if (o->adam && !net->moment2)
        return yerr_set(err, YOLO_EUSAGE, "%s: adam=1 but the network has no room for Adam's "
                        "second moment (net_opts.adam)", net->path ? net->path : "network");
    return 0;
}
