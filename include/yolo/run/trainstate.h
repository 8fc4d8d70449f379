/* What a training checkpoint keeps beside its weights so that --resume goes
 * on exactly where the run was: the position in the schedule and in the
 * record stream, the optimiser's moments and dropout's random stream. It is
 * WEIGHTS.state, one record (docs/training.md, "Resuming"):
 *
 *   step       int       optimiser steps done
 *   seen       int       images trained on (the weights' header says the same)
 *   records    int       records of the stream consumed, `error` ones included
 *   skipped    int       of those, the records with `error` (never trained on)
 *   rng        [4 uint]  dropout's xoshiro256** state
 *   weights    uint      FNV-1a hash of the weights' parameters: which checkpoint
 *   optimizer  str       "sgd" or "adam"
 *   momentum   f32 [P]   SGD's velocity or Adam's first moment, P parameters
 *   moment2    f32 [P]   Adam's second moment (adam only)
 *   ranks      int       data-parallel (mpirun): the number of ranks, each of
 *                        which read `records` of its own stream (absent: 1)
 *   ema        f32 [P]   with --ema: the moving average of the parameters
 *                        (yolo/net/ema.h), as the step left it
 *   ema_updates int      its updates; ema_decay, ema_tau (float) its settings
 *
 * A checkpoint writes it before the weights, the previous one kept as
 * WEIGHTS.state.prev, each file whole and then renamed: a run killed at any
 * moment leaves a state that matches the weights (`weights`, `seen`) in one
 * of the two, and a resume takes that one. */
#ifndef YOLO_TRAINSTATE_H
#define YOLO_TRAINSTATE_H

#include <stdint.h>

#include "yolo/base/err.h"
#include "yolo/base/rng.h"
#include "yolo/net/ema.h"
#include "yolo/net/network.h"

typedef struct train_state {
    long step;
    uint64_t seen;
    uint64_t records;
    uint64_t skipped;
    yrng rng;
    uint64_t weights_hash;   /* tstate_hash of the parameters the state goes with */
    int ranks;               /* processes of a data-parallel run (0 or 1: one); records and
                                skipped are then rank 0's stream's */
    net_ema *ema;            /* the moving average (NULL: none): written when set; read into
                                (avg, updates) when set and the file has one */
    int had_ema;             /* read: the file holds an EMA */
    double ema_decay, ema_tau;   /* read: its settings */
} train_state;

/* FNV-1a over the bytes of net's parameters (the weights file's body). */
uint64_t tstate_hash(const network *net);

/* "PATH.state" into buf[n]; -1 (YOLO_EUSAGE) when it does not fit. */
int tstate_path(const char *weights_path, char *buf, size_t n, yerr *err);
/* Writes s and net's moments (net->momentum, and moment2 with Adam), and
 * s->ema when set; an existing path is renamed to path.prev first. */
int tstate_write(const char *path, const train_state *s, const network *net, yerr *err);
/* The state of net's weights (as loaded: net->seen and the parameters) from
 * path, or else path.prev, into s and net's moments. 0; 1 when neither file
 * exists; -1 with err: YOLO_EINPUT when neither is of these weights, or one
 * that is is not a state of this network (parameter count, optimiser, a key
 * missing or of the wrong type, an EMA of another size), naming the file
 * and key; YOLO_EIO for a read error. s->ema (set by the caller, or NULL)
 * receives the file's EMA, if it has one (s->had_ema). */
int tstate_read(const char *path, train_state *s, network *net, yerr *err);

#endif
