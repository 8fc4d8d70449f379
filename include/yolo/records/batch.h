/* A batch of records worked on in parallel and written in order: what
 * darknet-forward and encode-targets share. Records are read into slots
 * (detached from their reader, so the batch can hold them); when the batch
 * is full or the input ends, each record without `error` is prepared on its
 * own thread, the problems are reported in order, the stage does its
 * batch-wide work (a forward pass), and the records go out in order: one
 * with a problem gets `error` and flows on; the first fatal one (or any
 * problem with --strict) stops the run once the records before it are out.
 *
 *     batch b;  batch_init(&b, &(batch_cfg){.cap = n, ...}, &err);
 *     while (rec_read(rd, batch_next(&b), &err) == 1)
 *         if (batch_push(&b, &err) < 0) break;
 *     batch_flush(&b, &err);
 *     yrep_summary(rep, &b.problems);
 */
#ifndef YOLO_BATCH_H
#define YOLO_BATCH_H

#include <stdint.h>

#include "yolo/records/record.h"
#include "yolo/base/report.h"

/* What preparing a record gave. */
enum { BATCH_OK = 0, BATCH_PROBLEM = 1, BATCH_FATAL = 2 };

typedef struct batch_slot {
    rec r;
    int run;          /* no `error` on it: the stage works on it */
    int rank;         /* among the batch's records that run, from 0 (-1 if it does not) */
    uint64_t number;  /* its place in everything pushed, from 0 */
    int why;          /* BATCH_OK | BATCH_PROBLEM | BATCH_FATAL, once prepared */
    yerr err;         /* what went wrong, when why is not BATCH_OK */
    uint64_t about;   /* set by prepare: the image its problems are about (ybuf_fnv1a of
                         its path), reported once per run (yrep_problem_about); 0: none */
} batch_slot;

/* The stage's part; ctx is the stage's own state, i the slot's index. */
typedef struct batch_ops {
    /* Prepares slot i, in parallel with the others: touch only what is
     * slot i's. Returns BATCH_*, with s->err set unless BATCH_OK. */
    int (*prepare)(void *ctx, int i, batch_slot *s);
    /* Optional, in order, for each slot prepared without a problem: more
     * warnings (yrep_problem or yrep_problem_about on p, through rep) or
     * counts. -1 stops the run, fatal set. */
    int (*note)(void *ctx, int i, batch_slot *s, const yrep *rep, yrep_problems *p,
                yerr *fatal);
    /* Optional, once the reports are made: work on the first `stop` slots
     * as a whole (darknet-forward's pass over the network). */
    int (*middle)(void *ctx, int stop, yerr *err);
    /* Sets the stage's keys on a slot prepared without a problem. */
    int (*finish)(void *ctx, int i, batch_slot *s, yerr *err);
    /* Optional, once the first `written` slots are written (a fatal problem
     * after them is reported after this): darknet-forward --train's
     * backward pass. 1 stops the stage (batch_push and batch_flush return
     * it), -1 is an error. */
    int (*after)(void *ctx, const yrep *rep, int written, yerr *err);
    /* Optional, once per batch before the slots are prepared: a look at the
     * n slots s[n] as a whole (darknet-forward --train resizes the network
     * to their inputs). -1 stops the run before any of them is written. */
    int (*before)(void *ctx, batch_slot *s, int n, yerr *err);
} batch_ops;

typedef struct batch_cfg {
    int cap;                  /* records in a batch, >= 1 */
    const yrep_kind *kinds;   /* [nkinds]: kinds[0] is the problem of a record given
                                 `error` ("record not run"); note() may report the others */
    int nkinds;
    int strict;               /* the first problem stops the run */
    const batch_ops *ops;
    void *ctx;                /* the stage's state, passed to ops */
    const yrep *rep;          /* where warnings and progress go (NULL: silent) */
    rec_writer *out;          /* where the records go, in order */
    const char *stage;        /* names the stage in the `error` it sets */
} batch_cfg;

typedef struct batch {
    batch_slot *s;          /* [cap] */
    int cap, n, nrun;       /* slots, slots held, held slots that run */
    uint64_t count;         /* records pushed */
    yrep_problems problems; /* kind 0: a record given `error` (warned about once per
                               slot.about); the stage's kinds after */
    const batch_ops *ops;
    void *ctx;
    const yrep *rep;
    rec_writer *out;
    const char *stage;
} batch;

int batch_init(batch *b, const batch_cfg *cf, yerr *err);
void batch_free(batch *b);
/* The record to read the next one into. */
rec *batch_next(batch *b);
/* Takes the record just read; runs the batch when it is full. 0, -1 on
 * error, 1 when ops->after said stop. */
int batch_push(batch *b, yerr *err);
/* Runs the records still held (the same returns). */
int batch_flush(batch *b, yerr *err);

#endif
