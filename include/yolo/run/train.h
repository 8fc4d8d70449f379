/* darknet-forward --train: the training side of a forward pass. The stage
 * writes each batch's records (with `output`, without `input`) down the
 * pipeline to a loss stage, whose records come back, in the same order and
 * one for each, over a named pipe (--grad FIFO) carrying `grad` (dL/d output,
 * docs/records.md section 5) and `loss`. The trainer reads them while the
 * records are still being written (a thread), so neither side can block the
 * other whatever the batch or record size; then runs the backward pass and,
 * once a cfg batch of images has gone through (batch / subdivisions per pass),
 * the optimiser step. It logs each step, writes checkpoints (darknet .weights,
 * `seen` updated, written whole, synced and renamed) every --save-every
 * steps, at the end and after SIGINT/SIGTERM, and stops after max_batches
 * steps.
 *
 *     trainer t;
 *     train_plan(&t, &cfg, &config, &err);      the [net] keys; t.minibatch
 *     ... build the network with net_opts.train, load or draw parameters ...
 *     train_start(&t, &net, heads, nheads, &err);
 *     per batch: forward; train_expect(&t, n, &err); write n records, flush;
 *                train_step(&t, &net, &batch, rep, &err)   (1: training is done)
 *     train_finish(&t, &net, rep, &err); train_free(&t);
 */
#ifndef YOLO_TRAIN_H
#define YOLO_TRAIN_H

#include <pthread.h>
#include <stdint.h>

#include "yolo/records/batch.h"
#include "yolo/net/ema.h"
#include "yolo/net/network.h"
#include "yolo/net/optim.h"
#include "yolo/base/rng.h"
#include "yolo/run/dist.h"
#include "yolo/run/trainlog.h"
#include "yolo/run/trainstate.h"

#define TRAIN_MAX_HEADS 16
#define TRAIN_MAX_BATCH 256   /* records per forward pass */

typedef struct train_config {
    const char *grad_path;      /* the named pipe the loss stage writes to (required) */
    const char *checkpoint;     /* weights written here (NULL: none) */
    long save_every;            /* steps between checkpoints (0: only at the end) */
    const char *log_path;       /* JSON Lines loss log (NULL: none) */
    const char *plot_path;      /* SVG loss history, written with each checkpoint */
    long max_batches;           /* steps to run (0: the cfg's max_batches) */
    int resume;                 /* go on from resume_from's checkpoint, append to the log */
    const char *resume_from;    /* with resume: the weights the run goes on from; their
                                   .state beside them (yolo/run/trainstate.h) gives the
                                   step, the stream's position, the optimiser's moments */
    int adam;                   /* Adam instead of the cfg's SGD */
    int batch, subdivisions;    /* override the cfg's (0: keep) */
    uint64_t seed;              /* dropout's random stream */
    int freeze;                 /* layers [0, freeze) frozen besides the cfg's stopbackward
                                   (net_opts.freeze; 0: none) */
    const char *val_cmd;        /* run as `CMD CHECKPOINT` every val_every steps: its last
                                   output line is {"map": .., "val_loss": ..} (NULL: none) */
    long val_every;
    const char *best;           /* the best validated weights go here */
    long patience;              /* stop after this many validations without a better one
                                   (0: never) */
    double max_seconds;         /* stop after the last step that can end, with a validation
                                   after it, within this many seconds of this process's
                                   start: the end is max_batches' (0: no limit) */
    int sync_bn;                /* under mpirun: batch norm's statistics over every rank's
                                   images (net_sync) */
    optim_over sched;           /* --policy, --lrf, --burn-in in place of the cfg's (its
                                   max_batches: max_batches above) */
    double ema;                 /* keep a moving average of the weights with this decay
                                   (yolo/net/ema.h; 0: none): CHECKPOINT.ema beside each
                                   checkpoint, validated and written to --best in their place */
    double ema_tau;             /* its ramp's time constant in steps (0: none) */
} train_config;

/* Under mpirun (yolo/run/dist.h) each rank trains on its shard with
 * batch / ranks images per step; the steps' gradient sums, image counts and
 * loss sums are added across ranks before the update, the weights are
 * compared by checksum every TRAIN_CHECK_EVERY steps and at the end, and
 * rank 0 alone writes the checkpoint, log and plot and validates. */
#define TRAIN_CHECK_EVERY 10

/* The loss parts of the records of one step, summed. */
typedef struct train_sums {
    int n;
    char names[TLOG_MAX_PARTS][TLOG_NAME_MAX];
    double sum[TLOG_MAX_PARTS];
    long images;
} train_sums;

typedef struct trainer {
    train_config tc;
    optim_config opt;
    int minibatch;              /* images per forward pass: batch / subdivisions */
    int heads[TRAIN_MAX_HEADS], nheads;
    long step;                  /* optimiser steps done (darknet's batch number) */
    long first_step;            /* where this run started */
    long passes;                /* forward passes since the last step (subdivisions make
                                   a step, however many of their records had `error`) */
    long pending;               /* images back-propagated since the last step */
    uint64_t records;           /* records of the stream trained through, `error` ones too */
    uint64_t skipped;           /* of those, records with `error`: not images seen */
    uint64_t step_records, step_skipped;  /* records and skipped at the last step */
    yrng step_rng;              /* dropout's stream at the last step */
    float *bn_saved;            /* [bn_floats] batch norm's rolling means and variances at
                                   the last step: a pass moves them, so a run stopped
                                   between steps checkpoints these (the step's own) */
    size_t bn_floats;
    int no_state;               /* resumed from weights without a .state beside them */
    train_sums sums;
    tlog log;
    int log_open;
    rec_reader *grads;          /* the loss stage's records */
    int grad_fd;
    rec back[TRAIN_MAX_BATCH];  /* one batch of them, detached */
    yerr back_err;
    int back_want, back_got, back_rc;
    pthread_t reader;
    int reading;                /* the reader thread runs */
    yrng rng;
    double t0, t_step;          /* run start, last step (monotonic seconds) */
    double t_work;              /* when the last step's work (checkpoint, validation) ended */
    long records_back;          /* records read back over the pipe */
    double best_score;          /* the best validation's: mAP, or -val_loss without one */
    long stale;                 /* validations since the best */
    int out_of_patience;
    int out_of_time;            /* tc.max_seconds would be passed by another step */
    double val_seconds;         /* the last validation's wall time, */
    double val_total;           /* and all of this run's */
    dist dist;                  /* this process's rank (size 1: a plain run) */
    double *sync_scratch;       /* net_sync's [2 * channels + 1] (--sync-bn under mpirun) */
    int stop_all;               /* under mpirun: a rank was stopped by signal, patience or
                                   the clock */
    int ended_together;         /* every rank stopped at the same step (checked at the end) */
    int ok;                     /* train_finish succeeded: MPI ends normally, else aborts */
    net_ema ema;                /* the weights' moving average (ema_on; rank 0 only) */
    int ema_on;
    int ema_fresh;              /* resumed with --ema from a state without one: it starts here */
    int ema_dropped;            /* resumed without --ema from a state with one */
    double ema_was[2];          /* the resumed state's EMA decay and tau */
} trainer;

/* Reads the schedule; joins the ranks under mpirun (each trains batch /
 * (subdivisions * ranks) images per pass; ranks other than 0 write no
 * checkpoint, log, plot or validation). */
int train_plan(trainer *t, cfg *c, const train_config *tc, yerr *err);
/* Opens the named pipe (blocks until the loss stage opens it for writing),
 * the log, and sets the schedule's position. With resume, the checkpoint's
 * .state gives the step, the stream's position, the optimiser's moments and
 * dropout's stream (a checkpoint without one: net->seen / batch steps, and
 * t->no_state set), and the log gives the validation history (the best so
 * far, the patience used); else seen starts at 0. Installs the SIGINT/SIGTERM
 * handlers. */
int train_start(trainer *t, network *net, const int *heads, int nheads, yerr *err);
/* What train_start found worth saying: an EMA that starts over or is
 * dropped at a resume, or resumed with other settings. */
void train_report_start(const trainer *t, const yrep *rep);
/* Starts reading n records back (n <= TRAIN_MAX_BATCH) while the caller
 * writes them. */
int train_expect(trainer *t, int n, yerr *err);
/* After the batch's records are written: flushes the output, waits for
 * their records to come back, checks them against the batch's (same number,
 * same order, same id; `grad` shaped like each head, finite), puts `grad`
 * into the heads' deltas, runs the backward pass and, when a cfg batch of
 * images has gone through, the optimiser step, the log line and (every
 * save_every) a checkpoint. Returns 1 when training is done (max_batches
 * reached, or a signal arrived), 0 to go on, -1 on error. */
int train_step(trainer *t, network *net, const batch *b, const yrep *rep, yerr *err);
/* The last checkpoint and plot; notes images that did not fill a step.
 * After SIGINT/SIGTERM the checkpoint is written even when this run made no
 * step yet. */
int train_finish(trainer *t, network *net, const yrep *rep, yerr *err);
/* Under mpirun: MPI ends, or (after a failure, so that no rank waits for
 * ever on this one) aborts every rank. */
void train_free(trainer *t);

/* The signal (SIGINT or SIGTERM, the first to arrive) that asked the run
 * to stop at the end of the pass in progress; 0 if none. */
int train_signalled(void);

#endif
