/* encode-targets' work: truth boxes as the network sees them and the
 * per-head training targets of docs/records.md section 5, and the record
 * loop that makes `input`, `transform`, `truth` and `target` from `image`
 * and `objects`.
 *
 * Targets alone (no records):
 *     tgt_box b[n];   tgt_truth(&transform, bbox, cls, &b[i]) keeps or drops each box
 *     float *out[nheads];   each [tgt_size(head)], zeroed by tgt_encode
 *     tgt_encode(&net, heads, nheads, b, n, out, &counts);
 *
 * The stage:
 *     enc e;  enc_open(&e, &config, &err);
 *     while (rec_read(rd, enc_next(&e), &err) == 1)
 *         if (enc_push(&e, &err) < 0) break;
 *     enc_flush(&e, &err);  enc_close(&e);
 */
#ifndef YOLO_TARGETS_H
#define YOLO_TARGETS_H

#include <stdint.h>

#include "yolo/image/augment.h"
#include "yolo/records/batch.h"
#include "yolo/data/box.h"
#include "yolo/net/cfg.h"
#include "yolo/net/network.h"

#define TGT_MAX_HEADS 16
#define TGT_MIN_SIDE 0.001    /* darknet drops boxes thinner than this (fraction) */
#define ENC_MAX_BATCH 256
#define ENC_SIZE_STEP 32      /* --sizes: the sides are multiples of this (darknet's) */
#define ENC_MAX_SIZE 4096     /* --sizes: the largest side */
#define ENC_SIZE_STREAM 0x53495a4553495a45ull   /* --seed XOR this: the sizes' stream */

/* One row of `truth`: centre and size as fractions of the network input. */
typedef struct tgt_box {
    float x, y, w, h;
    int cls;
} tgt_box;

/* Boxes that did not become targets, summed over records. */
typedef struct tgt_counts {
    long boxes;       /* rows of truth */
    long lost;        /* replaced by a later box on the same cell and anchor */
    long unassigned;  /* v3: best anchor in no head's mask */
    long dropped;     /* outside the frame or thinner than TGT_MIN_SIDE after clipping */
    long over;        /* past the per-image bound */
    long remnants;    /* --mosaic, --affine: cut to a remnant (yolo/loss/view.h's rule) */
    long unread;      /* --mosaic, --mixup: a partner whose image could not be read */
} tgt_counts;

/* b (original pixels) mapped by t, clipped to the network frame and turned
 * into a truth row. Returns 1, or 0 when darknet's rule drops it: w or h
 * below TGT_MIN_SIDE of the input after clipping (a box pushed out of the
 * frame has nothing left). */
int tgt_truth(const img_transform *t, box b, int cls, tgt_box *out);

/* Floats in head l's target: region/yolo A*(5+C)*H*W, detection S*S*(5+C). */
size_t tgt_size(const layer *l);

/* Fills out[i] ([tgt_size] floats, zeroed here) for the head layers
 * net->l[heads[i]] from the n truth rows (classes already checked against
 * each head's). *lost and *unassigned are added to. */
void tgt_encode(const network *net, const int *heads, int nheads, const tgt_box *b, int n,
                float **out, tgt_counts *cnt);

/* ---- the stage ------------------------------------------------------------ */

/* Options; a negative value means "the cfg's" (or darknet's default). */
typedef struct enc_config {
    const char *cfg_path;
    int w, h;                 /* network size, 0: the cfg's */
    int no_augment, resize;   /* resize: the stretch instead of letterbox (no_augment) */
    int no_flip;
    double jitter, hue, saturation, exposure;   /* < 0: the cfg's */
    double scale_lo, scale_hi;
    int max_boxes;            /* 0: the last head's `max` (darknet: region 30, else 90) */
    uint64_t seed;
    int batch;                /* records held and made in parallel, 1..ENC_MAX_BATCH */
    int strict;
    int epochs;               /* passes over the records (> 1: they are held) */
    int shuffle;              /* each pass in its own order, drawn from seed and epoch */
    int size_lo, size_hi;     /* --sizes: square sides, multiples of ENC_SIZE_STEP (0: off) */
    long size_every;          /* records per size (0: 10 x the cfg's batch, darknet's 10 steps) */
    long skip;                /* output records left out at the start, numbered as if
                                 written: a resumed run's position (--skip) */
    double mosaic, mixup;     /* --mosaic P, --mixup P: probabilities (0: off; > 0: the
                                 records are held, as for --epochs) */
    int affine;               /* --affine: every picture mapped at random */
    double affine_scale, affine_translate, degrees;   /* its ranges (aug_config's) */
    const yrep *rep;          /* warnings (the stage's sink; NULL: silent) */
    rec_writer *out;          /* where the records go, in order */
    const char *stage;        /* names the stage in the `error` it sets */
} enc_config;

/* A record held for later passes: its bytes in enc.store. */
typedef struct enc_held {
    size_t off, len;
    long index;               /* its index in its input, for messages */
    int src;                  /* its input's name: enc.names[src] */
} enc_held;

typedef struct enc {
    enc_config cf;
    aug_config aug;
    int max_boxes;
    cfg cfg;
    network net;              /* planned only: shapes and anchors */
    int planned;
    int heads[TGT_MAX_HEADS];
    int nheads;
    int classes;              /* the heads' class count (all agree) */
    network *sized;           /* [nsizes] --sizes: planned at size_lo, size_lo + step, ... */
    int nsizes;
    long every;               /* --sizes: records per size */
    batch b;                  /* the records in flight (include/yolo/records/batch.h) */
    long skip_left;           /* of cf.skip, records still to leave out */
    tgt_counts *cnt;          /* [cf.batch] each slot's counts */
    tgt_counts total;
    ybuf store;               /* held records' bytes, back to back */
    enc_held *held;           /* [nheld], [capheld] allocated */
    size_t nheld, capheld;
    char **names;             /* [nnames] input names of held records */
    int nnames;
    size_t *pool;             /* [npool] held records a mosaic or blend may draw: no
                                 `error`, with `objects`; [cappool] allocated */
    size_t npool, cappool;
    size_t *slot_held;        /* [cf.batch] the held record in each slot (SIZE_MAX: none) */
} enc;

int enc_open(enc *e, const enc_config *cf, yerr *err);
void enc_close(enc *e);
rec *enc_next(enc *e);
int enc_push(enc *e, yerr *err);
int enc_flush(enc *e, yerr *err);

/* --sizes (multi-scale training): the side of output record `number` (from
 * 0, every record written counted). Block number / every draws a multiple of
 * ENC_SIZE_STEP in [size_lo, size_hi] from its own stream of
 * seed ^ ENC_SIZE_STREAM; the record's input and targets are made for the
 * network planned at that square size. */
int enc_size(const enc_config *cf, long every, uint64_t number);

/* --epochs, --shuffle, --mosaic, --mixup: enc_hold keeps the record just
 * read (its bytes, about the size of the input); enc_replay then encodes
 * every held record once per epoch, in the order of the input or shuffled. */
int enc_hold(enc *e, yerr *err);
int enc_replay(enc *e, yerr *err);

#endif
