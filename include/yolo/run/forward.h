/* darknet-forward's work: a network from a cfg and weights (or seeded random
 * parameters), each record's input made from its `image` (letterbox or
 * resize) or taken from its `input`, the forward pass over a batch of
 * records, and the heads' raw outputs written back as `output` (with
 * `transform`), as docs/records.md section 5 defines them.
 *
 *     fwd f;
 *     fwd_open(&f, &config, &err);
 *     while (rec_read(rd, fwd_next(&f), &err) == 1)
 *         if (fwd_push(&f, &err) < 0) break;     runs and writes full batches
 *     fwd_flush(&f, &err);                        the last, partial batch
 *     or, after an error, fwd_failed(&f, &err)     0: it was a training stop's
 *     fwd_close(&f);
 *
 * Training, a pass whose records' `input` has another size than the network
 * (encode-targets --sizes) first rebuilds the network at that size, keeping
 * parameters, optimiser state and seen (net_resize); the records of one pass
 * must have one size. Inference refuses another size.
 */
#ifndef YOLO_FORWARD_H
#define YOLO_FORWARD_H

#include <stdint.h>

#include "yolo/records/batch.h"
#include "yolo/net/cfg.h"
#include "yolo/image/recimage.h"
#include "yolo/net/network.h"
#include "yolo/run/train.h"

#define FWD_MAX_BATCH 256
#define FWD_MAX_HEADS 16
#define FWD_MAX_SIDE 16384   /* --train: the largest input side the network resizes to */

typedef struct fwd_config {
    const char *cfg_path;
    const char *weights_path;   /* NULL with random */
    int random;                 /* parameters from seed instead of a file */
    uint64_t seed;
    int partial;                /* weights_path may hold the first layers only (a backbone):
                                   the rest from seed, as random makes them; seen starts at 0 */
    const char *save_path;      /* write the weights here after loading (or NULL) */
    int upto, has_upto;         /* with has_upto, save_path gets layers [0, upto) only */
    int w, h;                   /* network size, 0: the cfg's */
    int batch;                  /* records per forward pass, 1..FWD_MAX_BATCH */
    int resize;                 /* 0: letterbox (darknet's detector test), 1: stretch,
                                   -1: as the cfg says (fwd_cfg_resize) */
    int strict;                 /* a bad image stops the run instead of `error` */
    int direct;                 /* 3x3 convolutions by im2col + GEMM, not Winograd */
    long wino_mib;              /* MiB Winograd's weights may take (-1: no limit) */
    const train_config *train;  /* --train: train on the stream (NULL: inference) */
    const yrep *rep;            /* warnings and progress (the stage's sink; NULL: silent) */
    rec_writer *out;            /* where the records go, in order */
    const char *stage;          /* names the stage in the `error` it sets */
} fwd_config;

/* What darknet-forward keeps per slot of the batch (include/yolo/records/batch.h). */
typedef struct fwd_extra {
    int made;                   /* input made here from `image`: write `transform` */
    rec_image_notes notes;      /* the warnings of its decode, when made */
    img_transform tf;           /* how the input was made, when made */
} fwd_extra;

typedef struct fwd {
    fwd_config cf;
    cfg cfg;
    network net;
    int loaded;                 /* net holds memory */
    int heads[FWD_MAX_HEADS];   /* [nheads] indices of the head layers */
    int nheads;
    batch b;                    /* the records of this batch; a slot's rank is its image */
    fwd_extra *x;               /* [cf.batch] */
    long images;                /* records run through the network */
    double seconds;             /* spent in the forward pass */
    long first_images;          /* the first pass's records (it also pays for warming up: */
    double first_seconds;       /* caches, threads, allocations) and its time */
    trainer tr;                 /* with cf.train */
    int training;               /* tr is planned (train_free needed) */
} fwd;

/* The resize a cfg asks for, into *resize (1 stretch, 0 letterbox): its
 * [net] letter_box when given (AlexeyAB's key: 1 letterbox), else a stretch
 * for a cfg in AlexeyAB's dialect (cfg.ab_line: its detector stretches
 * unless letter_box=1) and a letterbox for the others (pjreddie's detector
 * letterboxes). -1 with err for a bad letter_box. */
int fwd_cfg_resize(cfg *c, int *resize, yerr *err);

/* Reads the cfg and the weights (or makes random ones), saves them if asked,
 * folds batch norm and allocates the batch. Errors name the file: a bad cfg
 * or weights file is YOLO_EINPUT, a missing one YOLO_EIO. */
int fwd_open(fwd *f, const fwd_config *cf, yerr *err);
void fwd_close(fwd *f);

/* --summary: the layer table (shapes, BFLOPs) and the cfg keys darknet
 * knows that inference does not use, on out. Needs no weights. */
int fwd_summary(const fwd_config *cf, FILE *out, yerr *err);
/* The number of those keys, and the first few as "[net] momentum, ..." in
 * buf[n] (for a one-line note). */
int fwd_unused(fwd *f, char *buf, size_t n);

/* The record to read the next one into. */
rec *fwd_next(fwd *f);
/* Takes the record just read; when the batch is full, runs it and writes
 * its records to cf.out in order. -1 on a fatal error (err set): the
 * records before the failing one are written first. With training, 1 when
 * training is done (read no more). */
int fwd_push(fwd *f, yerr *err);
/* Runs and writes the records still held, then the problem counts (and,
 * training, the last checkpoint). */
int fwd_flush(fwd *f, yerr *err);
/* After fwd_push or fwd_flush failed (err set): -1, the error to report;
 * or, training stopped by SIGINT/SIGTERM, 0: the pass the stop cut short
 * (the loss stage or the input gone too) is dropped and the checkpoint
 * written (-1 if that fails). */
int fwd_failed(fwd *f, yerr *err);

#endif
