/* darknet's activations, formula for formula (src/activations.h), so
 * outputs agree with libdarknet, and AlexeyAB's mish, swish and hard_mish
 * (its src/activations.c; not its relu6, which its CPU forward turns into
 * 0); their derivatives (darknet's from the output; mish, swish and
 * hard_mish from the input, act_grad_in_span); head_activate, what
 * darknet's detection heads do to their output in place. */
#include <math.h>
#include <string.h>

#include "yolo/net/isa.h"
#include "yolo/net/layers.h"

static const char *const names[ACT_N] = {
    [ACT_LOGISTIC] = "logistic", [ACT_RELU] = "relu",       [ACT_RELIE] = "relie",
    [ACT_LINEAR] = "linear",     [ACT_RAMP] = "ramp",       [ACT_TANH] = "tanh",
    [ACT_PLSE] = "plse",         [ACT_LEAKY] = "leaky",     [ACT_ELU] = "elu",
    [ACT_LOGGY] = "loggy",       [ACT_STAIR] = "stair",     [ACT_HARDTAN] = "hardtan",
    [ACT_LHTAN] = "lhtan",       [ACT_SELU] = "selu",       [ACT_MISH] = "mish",
    [ACT_SWISH] = "swish",       [ACT_HARD_MISH] = "hard_mish",
};

int act_needs_input(act_type a) { return a == ACT_MISH || a == ACT_SWISH || a == ACT_HARD_MISH; }

/* darknet maps an unknown name to relu with a warning; we refuse it. */
int act_parse(const char *s)
{
    for (int a = 0; a < ACT_N; a++)
        if (strcmp(names[a], s) == 0)
            return a;
    return -1;
}

static float logistic(float x) { return 1.0f / (1.0f + expf(-x)); }

static float stair(float x)
{
    float n = floorf(x);
    if (fmodf(n, 2.0f) == 0.0f)
        return floorf(x / 2.0f);
    return (x - n) + floorf(x / 2.0f);
}

static float plse(float x)
{
    if (x < -4)
        return .01f * (x + 4);
    if (x > 4)
        return .01f * (x - 4) + 1;
    return .125f * x + .5f;
}

/* x * tanh(softplus(x)); AlexeyAB takes softplus as x above 20 and e^x
 * below -20, where log(1 + e^x) rounds to those in float anyway. */
static float mish(float x)
{
    float sp = x > 20 ? x : x < -20 ? expf(x) : log1pf(expf(x));
    return x * tanhf(sp);
}

/* AlexeyAB's hard_mish: x above 0, the parabola x^2/2 + x down to -2, 0 below. */
static float hard_mish(float x)
{
    if (x > 0)
        return x;
    return x > -2 ? x * x / 2 + x : 0;
}

static float lhtan(float x)
{
    if (x < 0)
        return .001f * x;
    if (x > 1)
        return .001f * (x - 1) + 1;
    return x;
}

float act_one(float x, act_type a)
{
    switch (a) {
    case ACT_LOGISTIC: return logistic(x);
    case ACT_RELU: return x > 0 ? x : 0;
    case ACT_RELIE: return x > 0 ? x : .01f * x;
    case ACT_LINEAR: return x;
    case ACT_RAMP: return (x > 0 ? x : 0) + .1f * x;
    case ACT_TANH: return tanhf(x);
    case ACT_PLSE: return plse(x);
    case ACT_LEAKY: return x > 0 ? x : .1f * x;
    case ACT_ELU: return x >= 0 ? x : expm1f(x);
    case ACT_LOGGY: return 2.0f / (1.0f + expf(-x)) - 1;
    case ACT_STAIR: return stair(x);
    case ACT_HARDTAN: return x < -1 ? -1 : x > 1 ? 1 : x;
    case ACT_LHTAN: return lhtan(x);
    case ACT_SELU: return x >= 0 ? 1.0507f * x : 1.0507f * 1.6732f * expm1f(x);
    case ACT_MISH: return mish(x);
    case ACT_SWISH: return x * logistic(x);
    case ACT_HARD_MISH: return hard_mish(x);
    case ACT_N: break;
    }
    return x;
}

/* Leaky's slope, 1 for x > 0 (and x * 1 is x, bit for bit), else .1, taken
 * from this table rather than by a branch: GCC vectorises the loops below
 * only then (a conditional multiply may trap, so it will not if-convert
 * one). */
/* One thread's share: x [n] = act(x), act_one's values. */
void act_span(float *x, size_t n, act_type a) { act_span_inline(x, n, a); }

/* Elementwise work is handed out in chunks of this many floats. */
#define ACT_CHUNK 16384

/* One chunk of act_chunks, in each kernel family. */
ISA_INLINE void act_chunk_body(float *x, const float *y,
                                                                size_t len, act_type a)
{
    if (y)
        act_grad_span_inline(y, x, len, a);
    else
        act_span_inline(x, len, a);
}
ISA_CLONES(act_chunk, (float *x, const float *y, size_t len, act_type a), (x, y, len, a))

/* x [n] = act(x) (y NULL), or x [n] *= the derivative at the outputs y [n],
 * in parallel chunks. */
static void act_chunks(float *x, const float *y, size_t n, act_type a)
{
    if (a == ACT_LINEAR)
        return;
    void (*chunk)(float *, const float *, size_t, act_type) = ISA_PICK(isa_active(), act_chunk);
    long chunks = (long)((n + ACT_CHUNK - 1) / ACT_CHUNK);
#pragma omp parallel for schedule(static) if (n > 65536)
    for (long c = 0; c < chunks; c++) {
        size_t lo = (size_t)c * ACT_CHUNK, len = n - lo < ACT_CHUNK ? n - lo : ACT_CHUNK;
        chunk(x + lo, y ? y + lo : NULL, len, a);
    }
}

void act_apply(float *x, size_t n, act_type a) { act_chunks(x, NULL, n, a); }

void head_activate(const layer *l, float *x)
{
    if (l->type == CFG_REGION)
        region_activate(l, x);
    else if (l->type == CFG_YOLO)
        yolo_activate(l, x);
    else if (l->type == CFG_DETECTION)
        detection_activate(l, x);
}

/* The derivative of activation a at the x whose output is y (darknet's
 * *_gradient functions take the output too). */
float act_slope(float y, act_type a)
{
    switch (a) {
    case ACT_LOGISTIC: return (1 - y) * y;
    case ACT_RELU: return y > 0;
    case ACT_RELIE: return y > 0 ? 1 : .01f;
    case ACT_LINEAR: return 1;
    case ACT_RAMP: return (y > 0) + .1f;
    case ACT_TANH: return 1 - y * y;
    case ACT_PLSE: return (y < 0 || y > 1) ? .01f : .125f;
    case ACT_LEAKY: return y > 0 ? 1 : .1f;
    case ACT_ELU: return y >= 0 ? 1 : y + 1;
    case ACT_LOGGY: {
        float s = (y + 1) / 2;      /* the logistic of x */
        return 2 * (1 - s) * s;
    }
    case ACT_STAIR: return floorf(y) == y ? 0 : 1;
    case ACT_HARDTAN: return y > -1 && y < 1;
    case ACT_LHTAN: return y > 0 && y < 1 ? 1 : .001f;
    case ACT_SELU: return y >= 0 ? 1.0507f : y + 1.0507f * 1.6732f;
    case ACT_MISH:
    case ACT_SWISH:
    case ACT_HARD_MISH:
        /* not a function of the output (mish, swish and hard_mish have a
         * minimum, so two inputs share an output): act_slope_in */
        return NAN;
    case ACT_N: break;
    }
    return 1;
}

/* The derivative of mish, swish or hard_mish at the input x, exactly that
 * of act_one's formula (mish's softplus branches included: above 20 it is
 * x, whose slope is 1; below -20 it is e^x, whose slope is e^x, not
 * logistic(x)); tests/unit/test_backward.c checks it against the
 * derivative in double at many points. Other activations: act_slope at
 * act_one(x). */
float act_slope_in(float x, act_type a)
{
    switch (a) {
    case ACT_SWISH: {
        float s = logistic(x);           /* (x s)' = s + x s (1 - s) */
        return s + x * s * (1 - s);
    }
    case ACT_MISH: {
        float sp, dsp;                   /* softplus and its slope, as mish() takes them */
        if (x > 20)
            sp = x, dsp = 1;
        else if (x < -20)
            sp = dsp = expf(x);
        else
            sp = log1pf(expf(x)), dsp = logistic(x);
        float t = tanhf(sp);             /* (x tanh(sp))' = tanh(sp) + x (1 - tanh^2) sp' */
        return t + x * (1 - t * t) * dsp;
    }
    case ACT_HARD_MISH: return x > 0 ? 1 : x > -2 ? x + 1 : 0;
    default: return act_slope(act_one(x, a), a);
    }
}

void act_grad_in_span(const float *x, float *delta, size_t n, act_type a)
{
#pragma omp parallel for schedule(static) if (n > 65536)
    for (size_t i = 0; i < n; i++)
        delta[i] *= act_slope_in(x[i], a);
}

void act_grad_span(const float *y, float *delta, size_t n, act_type a)
{
    act_grad_span_inline(y, delta, n, a);
}

void act_backward(const float *y, float *delta, size_t n, act_type a)
{
    act_chunks(delta, y, n, a);
}
