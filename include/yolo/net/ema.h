/* An exponential moving average (EMA) of a network's parameters, kept
 * beside them during training as ultralytics' ModelEMA keeps one: every
 * float of net->params (weights, biases, batch-norm scales, and batch norm's
 * rolling mean and variance), after every optimiser step:
 *
 *   updates = updates + 1
 *   d       = decay * (1 - exp(-updates / tau))     (tau 0: d = decay)
 *   avg     = d * avg + (1 - d) * params            (per float)
 *
 * from avg = the parameters the run starts with, updates 0. d is computed
 * in double and used as two floats, (float)d and (float)(1 - d), the
 * products and the sum in float: a run and its resumption give the same
 * bits, and so does numpy's float32 arithmetic with the same two factors
 * (tests/stage/test_ema.sh). The ramp makes the early average follow the
 * weights (d is near updates / tau while updates << tau) and the late one
 * smooth over about 1 / (1 - decay) steps. */
#ifndef YOLO_EMA_H
#define YOLO_EMA_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/net/network.h"

#define EMA_DEFAULT_TAU 2000   /* ultralytics' */

typedef struct net_ema {
    float *avg;         /* [n] laid out as net->params */
    size_t n;           /* net->nparams */
    double decay;       /* 0 < decay < 1 */
    double tau;         /* the ramp's time constant in updates (0: none) */
    uint64_t updates;   /* optimiser steps averaged */
} net_ema;

/* avg = net's parameters, updates 0. -1 (YOLO_EIO) when out of memory;
 * YOLO_EUSAGE for a decay outside (0, 1) or a negative tau. */
int ema_init(net_ema *e, const network *net, double decay, double tau, yerr *err);
/* d after `updates` updates (the formula above). */
double ema_factor(const net_ema *e, uint64_t updates);
/* One more update from net's parameters (net->nparams == e->n). */
void ema_update(net_ema *e, const network *net);
/* The average as a darknet weights file of net (its header and seen),
 * written whole and renamed as weights_write does. */
int ema_write(const net_ema *e, const network *net, const char *path, yerr *err);
void ema_free(net_ema *e);

#endif
