/* Watching a training run: a JSON Lines loss log, its history in memory, a
 * loss-history SVG plot and a one-line progress text.
 *
 * The log has two kinds of lines (docs: "Training log"):
 *   {"iteration":120,"seen":7680,"lr":0.001,"images_per_s":45.3,"seconds":170.2,
 *    "loss":{"total":3.214,"xy":0.41,...}}
 *   {"iteration":1000,"val_loss":2.9,"map":0.41}
 * Numbers are written with the fewest digits that read back as the same
 * double (json_put_f64), so a resumed run's history is exactly what was
 * logged; a NaN or infinite value is written as null and reads back as NaN. */
#ifndef YOLO_TRAINLOG_H
#define YOLO_TRAINLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "yolo/base/err.h"

#define TLOG_MAX_PARTS 16  /* loss parts per line */
#define TLOG_NAME_MAX 32   /* bytes of a part name, with its NUL */

/* One training iteration as the caller reports it. The part names are the
 * same set for every line of a run (the first line fixes them). */
typedef struct tlog_entry {
    long iteration;            /* >= 0 */
    uint64_t seen;             /* images seen so far */
    double lr;                 /* learning rate used by this iteration */
    double images_per_s;       /* recent throughput */
    double seconds;            /* wall time since the run started */
    int nparts;                /* 0 .. TLOG_MAX_PARTS */
    const char *names[TLOG_MAX_PARTS]; /* e.g. "total", "xy", ..., "avg_iou" */
    double parts[TLOG_MAX_PARTS];      /* per-image means */
} tlog_entry;

typedef struct tlog_iter {
    long iteration;
    uint64_t seen;
    double lr, images_per_s, seconds;
} tlog_iter;

typedef struct tlog_val {
    long iteration;
    double val_loss, map;      /* NaN: not measured */
} tlog_val;

typedef struct tlog {
    FILE *f;                   /* the log, appended to; NULL without a path (or after
                                  a failed rewrite: later lines are YOLO_EIO) */
    char *path;                /* its name (malloc'd); NULL: history only */
    int nparts;                /* fixed by the first iteration line */
    char names[TLOG_MAX_PARTS][TLOG_NAME_MAX];
    tlog_iter *it;             /* [n_it] in the order logged */
    double *parts;             /* [n_it, nparts] in names' order */
    size_t n_it, cap_it, cap_parts;
    tlog_val *val;             /* [n_val] */
    size_t n_val, cap_val;
} tlog;

/* Starts a log at path (NULL: history only). Without resume the file is
 * created or emptied. With resume an existing file's lines are read into the
 * history first and new lines are appended (a last line cut short by a kill
 * is dropped and the file rewritten without it). A malformed line is
 * YOLO_EINPUT "PATH:LINE: ..."; I/O errors YOLO_EIO naming path. On error *t
 * holds nothing (no tlog_free needed, though it is harmless). */
int tlog_open(tlog *t, const char *path, int resume, yerr *err);

/* Drops every line whose iteration is > iteration (a run killed after its
 * last checkpoint logged iterations it will redo) and, if anything was
 * dropped, rewrites the file whole (PATH.tmp, synced, renamed over PATH). */
int tlog_truncate(tlog *t, long iteration, yerr *err);

/* Logs one iteration (one line, flushed) and keeps it in the history. Part
 * names that are empty, too long, not UTF-8, repeated or not the run's set
 * are YOLO_EINPUT; a write error YOLO_EIO. */
int tlog_iteration(tlog *t, const tlog_entry *e, yerr *err);

/* Logs a validation point; either value may be NaN (written as null). */
int tlog_validation(tlog *t, long iteration, double val_loss, double map, yerr *err);

/* Which parts the plot draws where. NULL-terminated name lists. */
typedef struct tlog_plot_cfg {
    const char *title;               /* NULL: "Training loss" */
    const char *const *right;        /* parts in [0, 1], drawn on the right axis with mAP */
    const char *const *hide;         /* parts not drawn */
} tlog_plot_cfg;

/* The defaults for yolo-loss's `loss` map: avg_iou and recall50 on the
 * right axis, count hidden, every other part on the loss axis. */
tlog_plot_cfg tlog_plot_defaults(void);

/* Writes the history as a self-contained SVG to svg_path, whole (a yfile).
 * cfg NULL: tlog_plot_defaults(). */
int tlog_plot(const tlog *t, const char *svg_path, const tlog_plot_cfg *cfg, yerr *err);

/* One line (no newline) about the last iteration into buf[n], e.g.
 * "iter 120/4000 (3%)  loss 3.214  lr 0.00100  45.3 img/s  ETA 12m34s".
 * max_iterations 0: no total, percentage or ETA. */
void tlog_progress(const tlog *t, long max_iterations, char *buf, size_t n);

/* "45s", "12m34s", "1h02m03s" ("-" for negative or NaN, ">999h" beyond). */
void tlog_hms(double seconds, char *buf, size_t n);

void tlog_free(tlog *t);

#endif
