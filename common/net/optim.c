#include <limits.h>
#include <math.h>
#include <string.h>

#include "yolo/net/optim.h"

/* darknet's policy names ([net] policy=), indexed by lr_policy. darknet
 * spells the sigmoid policy "sigmoid" (parser.c get_policy). */
static const char *const policy_names[LR_N] = {
    [LR_CONSTANT] = "constant", [LR_STEP] = "step", [LR_STEPS] = "steps",
    [LR_EXP] = "exp", [LR_POLY] = "poly", [LR_SIG] = "sigmoid",
};

static int parse_policy(const cfg *c, cfg_section *s, lr_policy *p, yerr *err)
{
    const char *name = cfg_str(s, "policy", "constant");
    for (int i = 0; i < LR_N; i++)
        if (strcmp(name, policy_names[i]) == 0) {
            *p = (lr_policy)i;
            return 0;
        }
    if (strcmp(name, "random") == 0)
        return cfg_fail(c, s, "policy", err, "'random' is not supported (a rate drawn at random "
                        "each iteration)");
    return cfg_fail(c, s, "policy", err, "unknown policy '%s' (constant, step, steps, exp, poly, "
                    "sigmoid)", name);
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

/* The keys only one policy reads, as darknet reads them. */
static int parse_policy_keys(const cfg *c, cfg_section *s, optim_config *o, yerr *err)
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
        if (o->max_batches <= 0)   /* point at max_batches=0 if given, else at policy */
            return cfg_fail(c, s, cfg_has(s, "max_batches") ? "max_batches" : "policy", err,
                            "policy=poly needs max_batches > 0");
        return 0;
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

int optim_parse(cfg *c, optim_config *o, yerr *err)
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
        cfg_int(c, s, "max_batches", 0, 0, INT_MAX, &o->max_batches, err) < 0 ||
        parse_policy(c, s, &o->policy, err) < 0 || parse_policy_keys(c, s, o, err) < 0 ||
        parse_adam(c, s, o, err) < 0)
        return -1;
    if (o->batch % o->subdivisions)
        return cfg_fail(c, s, "subdivisions", err, "%d does not divide batch=%d",
                        o->subdivisions, o->batch);
    return 0;
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
