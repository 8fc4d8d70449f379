/* A darknet network built from a parsed cfg: one layer struct per cfg
 * section, shapes and parameter counts as darknet computes them, and one
 * allocation block holding every float the network owns (parameters in
 * weights-file order, layer outputs, the input, the im2col workspace).
 *
 * Tensors are NCHW, batch first: a layer's output is [batch, out_c, out_h,
 * out_w], contiguous, like darknet's. The forward pass is inference only
 * (batch norm uses the rolling statistics). Detection heads (region, yolo,
 * detection) output their RAW input: the logistic/softmax darknet applies in
 * place is left to the decoder (rescale); head_activate reproduces it. */
#ifndef YOLO_NETWORK_H
#define YOLO_NETWORK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "yolo/net/cfg.h"
#include "yolo/base/err.h"

/* darknet's activations, with darknet's spelling in the cfg; from ACT_MISH
 * on, those only AlexeyAB's darknet has (ACT_AB_FIRST). */
typedef enum {
    ACT_LOGISTIC, ACT_RELU, ACT_RELIE, ACT_LINEAR, ACT_RAMP, ACT_TANH, ACT_PLSE, ACT_LEAKY,
    ACT_ELU, ACT_LOGGY, ACT_STAIR, ACT_HARDTAN, ACT_LHTAN, ACT_SELU,
    ACT_MISH, ACT_SWISH, ACT_HARD_MISH, ACT_N
} act_type;
#define ACT_AB_FIRST ACT_MISH

#define NET_MAX_ROUTE 16      /* layers one [route] may concatenate */
#define NET_MAX_ANCHORS 64    /* anchor boxes of a region / yolo head */

typedef struct layer {
    cfg_type type;
    int line;                 /* cfg line of the [section], for messages */
    act_type act;
    int batch;
    int c, h, w;              /* input shape (per image) */
    int out_c, out_h, out_w;  /* output shape (per image) */
    int inputs, outputs;      /* c*h*w and out_c*out_h*out_w (darknet's counts) */

    /* conv, local, maxpool, reorg, upsample: their cfg values, resolved */
    int n;                    /* conv/local: filters; route: inputs; heads: boxes per cell */
    int size, stride, pad, groups;
    int batch_normalize, flipped;
    int folded;               /* conv: batch norm folded into weights and biases */
    int frozen;               /* training: below a stopbackward or --freeze (net->frozen):
                                 no gradient, no update, batch norm as at inference */
    int stopbackward;         /* the cfg's: 1 freezes it and the layers below, N > 1 for the
                                 first N steps (net_freeze_at) */
    int bn_ab;                /* batch norm as AlexeyAB's: 1/sqrt(var + 1e-5) (a cfg in
                                 its dialect), not 1/(sqrt(var) + 1e-6) */
    int reverse;              /* reorg: space-to-depth undone; upsample: stride < 0 */
    float scale;              /* upsample: output multiplier */
    float alpha, beta;        /* shortcut: out = alpha*prev + beta*from */
    float temperature;        /* softmax */
    int from[NET_MAX_ROUTE];  /* route: source layers; shortcut: from[0] */
    int group_id;             /* route: which of `groups` equal channel slices of each
                                 source it takes (AlexeyAB's; groups 1: all) */
    int depth;                /* maxpool: AlexeyAB's maxpool_depth, a max across channels
                                 (out_c of them) at each position instead of a window */
    float scale_xy;           /* yolo: AlexeyAB's scale_x_y (1: none) */
    char iou_loss[8];         /* yolo: AlexeyAB's iou_loss (mse, iou, giou, diou, ciou; ""
                                 when the cfg gives none), for yolo-loss */
    float iou_norm, cls_norm; /* yolo: his iou_normalizer, cls_normalizer (1: none) */
    float label_smooth;       /* yolo: his label_smooth_eps, in [0, 1) (0: none) */
    const char *no_backward;  /* the cfg key whose option has a forward pass but no
                                 backward yet (training refuses the cfg), or NULL */

    /* heads */
    int classes, coords, softmax, background, total, side, sqrt_wh, rescore;
    int mask[NET_MAX_ANCHORS];       /* yolo: which of the total anchors this head uses */
    float anchors[2 * NET_MAX_ANCHORS]; /* region/yolo: w,h pairs ([total*2] / [n*2]) */

    /* counts darknet reports (nweights, nbiases) and what the weights file holds */
    size_t nweights, nbiases, nparams;
    size_t nout;              /* floats of output this layer owns per image (0: aliased) */
    size_t out_off;           /* where its output starts in the outputs area (floats) */
    int last_use;             /* last layer reading this output (net->n: read after the
                                 forward pass: heads and the last layer) */
    size_t nwork;             /* floats of workspace its forward needs */
    double bflops;            /* billions of floating-point operations per image */

    /* pointers into the network's block (NULL where the layer has none) */
    float *params;            /* [nparams]: this layer's part of the weights file */
    float *biases;            /* [nbiases]: conv [n]; connected [outputs];
                                 local [out_c, out_h, out_w] */
    float *scales;            /* [n] batch-norm gamma */
    float *mean;              /* [n] batch-norm rolling mean */
    float *var;               /* [n] batch-norm rolling variance */
    float *weights;           /* conv [n, c/groups, size, size]; connected [outputs, inputs];
                                 local [out_h*out_w, n, c, size, size] */
    float *out;               /* [batch, out_c, out_h, out_w]; dropout and heads: their input
                                 (training: dropout has its own) */

    /* training only (net->train; NULL otherwise). Gradients are dL/dx and
     * are accumulated with +=: whoever runs a backward pass zeroes first. */
    float *delta;             /* [batch, out_c, out_h, out_w] dL/d out (every layer owns one) */
    float *grads;             /* [nparams] dL/d params, laid out like params; the rolling
                                 mean and variance places stay unused */
    float *bias_grads;        /* [nbiases] */
    float *scale_grads;       /* [n] batch-norm gamma */
    float *weight_grads;      /* [nweights] */
    float *wino_u;            /* conv run by Winograd: [36, n, c] transformed weights
                                 (net_winograd), else NULL */
    float *wino_ub;           /* and in training, for the input's gradient: [36, n, c] */
    int wino_pick;            /* net_winograd's choice: 1 Winograd, -1 not, 0 undecided */
    float *x_norm;            /* batch norm: [batch, out_c, out_h, out_w] the normalised values */
    float *bn_mean, *bn_var;  /* batch norm: [n] this batch's mean and unbiased variance */
    float *drop;              /* dropout: [batch, inputs] each input's factor, 0 or 1/(1-p) */
    float *pre;               /* an activation that needs its input (act_needs_input):
                                 [batch, out_c, out_h, out_w] the values before it */
    int *indexes;             /* maxpool: [batch, out_c, out_h, out_w] where in its input
                                 plane ([h, w]) each output's max is, or -1 */
    float probability;        /* dropout */
} layer;

/* Batch norm's training statistics summed across the processes of a
 * data-parallel run (darknet-forward --sync-bn; run/dist does the sums):
 * N processes at batch B each then normalise, and back-propagate through the
 * statistics, as one process at batch N * B does. sum adds every process's
 * v [n] into each, in place; scratch holds 2 * C + 1 doubles, C the most
 * channels of a batch-norm layer. sum NULL: each process's own batch. */
typedef struct net_sync {
    void (*sum)(void *ctx, double *v, size_t n);
    void *ctx;
    double *scratch;
} net_sync;

typedef struct network {
    char *path;               /* the cfg's path */
    int batch, c, h, w, inputs;
    layer *l;                 /* [n] */
    int n;
    float *block;             /* [nblock]: every float below lives here */
    size_t nblock;
    float *params;            /* [nparams]: the weights file's body, in file order */
    size_t nparams;
    float *input;             /* [batch, c, h, w] */
    size_t nouts;             /* floats of the outputs area (all layers' outputs) */
    int reuse;                /* outputs share memory once no later layer reads them */
    int folded;               /* batch norm folded into the weights (inference only) */
    float *work;              /* [nwork] im2col / scratch */
    int train;                /* built for training: deltas, gradients, batch statistics;
                                 forward uses batch statistics and dropout */
    int frozen;               /* training: layers [0, frozen) are frozen now (layer.frozen):
                                 net_freeze_at's answer for the step */
    int freeze;               /* net_opts.freeze: layers frozen whatever the cfg says */
    float *grads;             /* [nparams] dL/d params, in file order (training) */
    float *momentum;          /* [nparams] SGD's velocity, or Adam's first moment (training) */
    float *moment2;           /* [nparams] Adam's second moment (training with adam) */
    struct yrng *rng;         /* dropout's random state (training), the caller's */
    net_sync sync;            /* training: batch statistics across processes (the caller's) */
    size_t nwork;
    float *wino;              /* [nwino]: Winograd's transformed weights, then its workspace
                                 wino_work (net_winograd; a block of its own) */
    float *wino_work;
    size_t nwino;
    /* the weights file header, kept so a file is written back as read */
    int32_t major, minor, revision;
    uint64_t seen;            /* images seen in training */
    int seen_bytes;           /* 8 from version 0.2 on, 4 before */
} network;

/* How to build a network: size (0: the cfg's), batch (0: 1), and whether
 * layer outputs may share memory. With reuse, an output lives only until
 * the last layer that reads it (routes and shortcuts included), so only the
 * heads' and the last layer's outputs are kept after the forward pass:
 * right for inference, wrong for training and for tests that look at every
 * layer. */
typedef struct net_opts {
    int w, h, batch;
    int reuse;
    int train;                /* deltas, gradients, optimiser state; no reuse, no folding */
    int adam;                 /* training: room for Adam's second moment */
    int freeze;               /* training: layers [0, freeze) frozen, besides those the
                                 cfg's stopbackward=1 freezes (0: none) */
} net_opts;

int net_load_opts(cfg *c, network *net, const net_opts *o, yerr *err);
int net_plan_opts(cfg *c, network *net, const net_opts *o, yerr *err);

/* Builds the network of a parsed cfg with its own width/height and batch 1.
 * Bad values, a route to a missing layer, shapes that do not fit: -1 with
 * "FILE:LINE: [section] key: ..." in err. Parameters start at zero. */
int net_load(cfg *c, network *net, yerr *err);
/* The same with width, height (0: the cfg's) and batch (0: 1) given. */
int net_load_sized(cfg *c, network *net, int w, int h, int batch, yerr *err);
/* Shapes, counts and sizes only (nparams, nwork, nblock): no block, every
 * data pointer NULL. For checking a cfg or reporting memory. */
int net_plan(cfg *c, network *net, int w, int h, int batch, yerr *err);
void net_free(network *net);

/* Multi-scale training: 0, or -1 (YOLO_EINPUT naming the layer) when the
 * parameter count depends on the input size ([connected], [local]). */
int net_resizable(const network *net, yerr *err);
/* Rebuilds net from c at w x h with the same batch, reuse, training and
 * optimiser room, keeping what does not depend on the size: parameters
 * (rolling statistics among them), gradients, momentum, moment2, the fold,
 * rng, the header and seen. The old network is freed; on error it is left
 * as it was. */
int net_resize(cfg *c, network *net, int w, int h, yerr *err);

/* Runs the next forward passes on the first k images of the batch
 * (1 <= k <= the batch the network was built with). */
void net_set_batch(network *net, int k);

/* Folds each convolution's batch norm into its weights and biases (darknet's
 * inference formula, so outputs agree to float rounding): one pass less per
 * layer. The parameters no longer match the weights file, so weights_write
 * refuses a folded network. */
void net_fold_bn(network *net);

/* Every 3x3 stride-1 "same" convolution that Winograd F(4x4, 3x3) runs
 * faster (wino_worth_it: 16 or more channels in and out) gets its
 * transformed weights, 4x the size of its weights (twice that in training:
 * forward and the input's gradient), in a second block (net->wino), and
 * runs that way from then on, as far as max_floats allows: the layers with
 * the largest maps first, each that still fits (NET_WINO_ALL: no limit; 0:
 * none, the direct path everywhere). Inference: after net_fold_bn (a layer
 * whose batch norm is not folded keeps the direct path). Outputs and
 * gradients equal the direct path's to float rounding
 * (common/net/layers/winograd.c). Returns the floats the block holds (0: no
 * layer qualifies), or -1 (YOLO_EIO) when it cannot be allocated. Called
 * again it keeps the block it has (net_resize frees it). */
#define NET_WINO_ALL SIZE_MAX
long net_winograd(network *net, size_t max_floats, yerr *err);
/* Transforms the weights of layers [first, n) again: after every change of
 * their parameters (loading: 0; the optimiser's step: net->frozen, the
 * frozen layers do not change). */
void net_winograd_refresh(network *net, int first);
/* The floats net_winograd(net, max_floats, ...) would allocate (for
 * --summary); marks the layers it would pick. */
size_t net_winograd_floats(network *net, size_t max_floats);

/* Runs every layer on net->input ([batch, c, h, w], filled by the caller).
 * Returns the last layer's output. */
const float *net_forward(network *net);
/* Layer i alone on in (the previous layer's output, or net->input for
 * layer 0); returns its output. net_forward is this for every layer
 * (bench/forward/layers.c times them one by one). */
const float *net_forward_layer(network *net, int i, const float *in);

/* region, yolo, detection: the layers whose raw input is the output. */
int net_is_head(cfg_type t);
/* The indices of the head layers, in order, into idx[max]: their count, or
 * -1 when there are more than max. */
int net_heads(const network *net, int *idx, int max);

/* A darknet-like table of the layers: shapes, filters, BFLOPs. */
void net_summary(const network *net, FILE *f);
double net_bflops(const network *net);

/* Training (a network built with net_opts.train). net_forward then uses the
 * batch's statistics in batch norm (and updates the rolling ones as darknet
 * does) and draws dropout masks from net->rng.
 *
 * net_zero_deltas clears every layer's delta; the caller then puts dL/d out
 * of each head into the head's delta (the loss's `grad`) and calls
 * net_backward, which runs the layers in reverse and ADDS dL/d params into
 * net->grads (so several passes accumulate) and dL/d input into each
 * layer's input delta. net->grads is cleared by net_zero_grads (the
 * optimiser does it after an update). */
void net_zero_deltas(network *net);
void net_zero_grads(network *net);
void net_backward(network *net);
/* Which layers are frozen for step `step` (steps done so far): those up to
 * the last with stopbackward 1 or above step, and the first net->freeze.
 * Sets net->frozen and each layer's frozen; none when not training. */
void net_freeze_at(network *net, long step);
/* Layer i's part of net_backward, with din (dL/d its input: the previous
 * layer's delta, or the caller's for layer 0; NULL: not wanted). Like
 * net_forward_layer, it handles an activation that needs its input (the
 * layer's own backward sees a linear one). */
void net_backward_layer(network *net, int i, float *din);

int act_parse(const char *s);            /* -1 if unknown */
/* The activations whose derivative is not a function of their output
 * (mish, swish, hard_mish: each has a minimum, so two inputs share an
 * output): in training a layer with one keeps its input (layer.pre). */
int act_needs_input(act_type a);
void act_apply(float *x, size_t n, act_type a);

/* What darknet's head forward leaves in the output: logistic on x, y (and
 * objectness, and classes unless softmax), softmax over classes when the
 * head says so; a yolo head's x, y then scaled by scale_x_y about .5
 * (AlexeyAB's). x is the head's raw output [batch, outputs]. For tests
 * against libdarknet and for decoders. */
void head_activate(const layer *l, float *x);

#endif
