/* The optimiser and learning-rate schedule of a darknet [net] section:
 * SGD with momentum and weight decay as darknet applies them, or Adam (by
 * option), darknet's policies (constant, step, steps, exp, poly, sigmoid),
 * AlexeyAB's sgdr, and this project's cosine and onecycle, with burn_in.
 *
 * Units, as darknet: an "iteration" (a batch in darknet's words) is one
 * update, after `batch` images (the cfg's batch, all subdivisions); the
 * gradients in net->grads are SUMS over those images, and the step divides
 * by batch. */
#ifndef YOLO_OPTIM_H
#define YOLO_OPTIM_H

#include "yolo/net/cfg.h"
#include "yolo/net/network.h"

#define OPTIM_MAX_STEPS 64

typedef enum {
    LR_CONSTANT, LR_STEP, LR_STEPS, LR_EXP, LR_POLY, LR_SIG, LR_SGDR, LR_COSINE, LR_ONECYCLE,
    LR_N
} lr_policy;

typedef struct optim_config {
    int batch;                 /* images per update ([net] batch) */
    int subdivisions;          /* forward/backward passes per update */
    float learning_rate, momentum, decay;
    int burn_in;               /* iterations of warm-up: rate * (it / burn_in)^power */
    float power;               /* burn_in and poly's exponent */
    lr_policy policy;
    int steps[OPTIM_MAX_STEPS];    /* steps: at these iterations the rate is multiplied */
    float scales[OPTIM_MAX_STEPS]; /* by these */
    int nsteps;
    int step;                  /* step, sig */
    float scale;               /* step */
    float gamma;               /* exp, sig */
    int max_batches;           /* the run's length in iterations; poly, cosine, onecycle
                                  need it */
    float lrf;                 /* cosine, onecycle: the last rate, a fraction of
                                  learning_rate (ultralytics' lrf) */
    float pct_start;           /* onecycle: the share of max_batches the rise takes */
    float div_factor;          /* onecycle: it starts at learning_rate / div_factor */
    float lr_min;              /* sgdr: AlexeyAB's learning_rate_min (a rate, not a share) */
    int sgdr_cycle, sgdr_mult; /* sgdr: the first cycle's iterations, each next one's factor */
    int adam;                  /* Adam instead of SGD */
    float b1, b2, eps;         /* Adam */
} optim_config;

/* Reads the training keys of [net] (darknet's names and defaults; the
 * policies are spelled constant, step, steps, exp, poly, sigmoid, sgdr,
 * cosine, onecycle). A bad value, an unknown policy (or darknet's
 * "random"), steps and scales of different lengths or steps not increasing,
 * subdivisions not dividing batch, poly, cosine or onecycle without
 * max_batches, sgdr with neither sgdr_cycle nor max_batches: -1 with
 * file:line in err. Like darknet, only the chosen policy's keys are read
 * (step, scale, steps, scales, gamma; sgdr: learning_rate_min, sgdr_cycle,
 * sgdr_mult; cosine: lrf; onecycle: lrf, pct_start, div_factor), and B1,
 * B2, eps only with adam=1: the others stay unused. */
int optim_parse(cfg *c, optim_config *o, yerr *err);

/* What a command line changes in [net] before it is read (darknet-forward
 * --policy, --lrf, --burn-in, --max-batches), so that a schedule can be
 * switched without editing the cfg. */
typedef struct optim_over {
    const char *policy;        /* NULL: the cfg's */
    float lrf;                 /* with has_lrf: instead of the cfg's lrf */
    int has_lrf;
    int burn_in;               /* with has_burn_in */
    int has_burn_in;
    int max_batches;           /* 0: the cfg's */
} optim_over;

/* optim_parse with ov's values in place of the cfg's (ov NULL: none). An
 * unknown --policy, or --lrf with a policy that has no lrf, is YOLO_EUSAGE
 * naming the option; the policy's other keys come from the cfg. */
int optim_parse_over(cfg *c, const optim_over *ov, optim_config *o, yerr *err);

/* The learning rate at iteration it, darknet's batch_num (images seen /
 * batch): burn_in first, then the policy, with darknet's formulas
 * (get_current_rate, same float/double mix: bit for bit the same values;
 * sgdr is AlexeyAB's, likewise). With C(a, b, f) = b + (a - b) (1 + cos(pi
 * f)) / 2, the cosine interpolation from a (f = 0) to b (f = 1), lr the
 * learning_rate, M max_batches, i = it clamped to [0, M]:
 *   cosine:   C(lr, lr * lrf, i / M)
 *   onecycle: with P = pct_start * M and lr0 = lr / div_factor,
 *             C(lr0, lr, i / P) for i <= P, C(lr, lr * lrf, (i - P) / (M - P)) after
 *   sgdr:     C(lr, learning_rate_min, (it - s) / n) in the cycle [s, s + n] that
 *             holds it: the first is [0, sgdr_cycle], each next one sgdr_mult
 *             times as long, starting where the last ended
 * (cosine is torch's CosineAnnealingLR with T_max = M, eta_min = lr * lrf,
 * after `it` steps of the scheduler; onecycle is torch's OneCycleLR with
 * anneal_strategy 'cos', total_steps = M + 1, pct_start = (P + 1) / (M + 1),
 * the same div_factor, final_div_factor = 1 / (lrf * div_factor), after `it`
 * steps; its momentum is not cycled.)
 * darknet counts an update's images before it asks for the rate, so its
 * k-th update (k = 1, 2, ...) runs at optim_rate(o, k): pass the same
 * number as optim_update's t to train as darknet does (optim_rate(o, 0) is
 * the rate before training; with burn_in it is 0). One deliberate
 * difference: pjreddie's darknet compares steps and subtracts sigmoid's
 * step in size_t, so a negative step (yolov2-tiny-voc.cfg's steps=-1,...)
 * is never reached and sigmoid's rate is 0 before its step; here, as in
 * darknet's earlier int version and AlexeyAB's fork, both are signed. */
float optim_rate(const optim_config *o, long it);

/* One update from net->grads (sums over o->batch images) at rate `rate`;
 * then clears net->grads. t is the update's number from 1 (Adam's bias
 * correction). Only conv, connected and local layers have parameters;
 * batch norm's rolling mean and variance are not parameters of the update
 * (their gradient slots are ignored).
 *
 * SGD, per parameter w with gradient sum G and velocity v (net->momentum):
 *   v = momentum * v + G + decay * batch * w   (decay on weights only, not
 *   w -= rate / batch * v                       biases or batch-norm scales)
 * which is darknet's update_*_layer with dL/dw instead of its negative, and
 * torch.optim.SGD (dampening 0, weight_decay = decay on the weights) given
 * the mean gradient G / batch, with v = batch * its momentum buffer.
 *
 * Adam (o->adam), with g = G / batch + decay * w for weights (G / batch for
 * biases and scales), m in net->momentum, v in net->moment2:
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *   w -= rate * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * which is torch.optim.Adam with weight_decay = decay on the weights only.
 * darknet's CPU build has no Adam (only its GPU build does): this is the
 * project's definition. Then the gradients are zeroed and, if the network
 * runs Winograd (net_winograd), its transformed weights made again. */
void optim_update(network *net, const optim_config *o, float rate, long t);

/* Is net ready for optim_update with o: built for training (net_opts.train),
 * with room for Adam's second moment (net_opts.adam) when o->adam? -1 with
 * a message otherwise. */
int optim_check(const network *net, const optim_config *o, yerr *err);

#endif
