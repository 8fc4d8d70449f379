/* Where the library says what a person should read besides the records:
 * warnings, notes, progress, and the problems in the data it worked around.
 * The library never writes to the terminal itself; the stage framework
 * hands it a sink that prefixes the stage's name, honours --quiet and keeps
 * the progress line tidy. A NULL sink, or one without `say`, is silent: the
 * problems are still counted, and --strict still stops.
 *
 *     static const yrep_kind kinds[] = {{"box clipped", "boxes clipped"}};
 *     yrep_problems p = {.kinds = kinds, .n = 1, .strict = strict};
 *     if (yrep_problem(rep, &p, 0, "clipped", err, "%s:%ld: box past the edge", f, line) < 0)
 *         return -1;                     (with --strict: err set, stop)
 *     ...
 *     yrep_summary(rep, &p);             "3 boxes clipped"
 *     yrep_problems_free(&p);            (after yrep_problem_about: what it remembered)
 */
#ifndef YOLO_REPORT_H
#define YOLO_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "yolo/base/err.h"

typedef enum yrep_level {
    YREP_WARN,      /* silenced by --quiet */
    YREP_NOTE,      /* always shown: the reason a run stops, a result */
    YREP_PROGRESS,  /* the one progress line, replaced as it changes; terminals only */
} yrep_level;

typedef struct yrep {
    /* text: one line, no newline, no stage prefix */
    void (*say)(void *ctx, yrep_level level, const char *text);
    void *ctx;
} yrep;

void yrep_warn(const yrep *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void yrep_note(const yrep *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void yrep_progress(const yrep *rep, const char *text);

/* Problems in the data that a stage works around (a box clipped, an image
 * skipped): each is a warning saying what was done, counted by kind and
 * summed up in one closing line; with strict the first one is the error
 * that stops the run (exit 2). After YREP_SHOWN_PER_KIND warnings of one
 * kind the rest are only counted, so a big dataset does not flood stderr. */
#define YREP_MAX_KINDS 16
#define YREP_SHOWN_PER_KIND 50

typedef struct yrep_kind {
    const char *one, *many;   /* "box clipped", "boxes clipped" */
} yrep_kind;

/* The things (image paths) a run has warned about, so that one met again
 * (encode-targets decodes its images once per epoch) is counted but not
 * warned about twice: their 64-bit keys (ybuf_fnv1a) with the problem's
 * kind, in an open-addressing table at most half full. Bounded: at most
 * YREP_ONCE_MAX keys (1 MiB of table); past that, or when memory runs out,
 * a new thing is not remembered and its repeats are warned about again. */
#define YREP_ONCE_MAX 65536

typedef struct yrep_once {
    uint64_t *v;              /* [cap], 0 = empty */
    size_t n, cap;
} yrep_once;

typedef struct yrep_problems {
    const yrep_kind *kinds;   /* [n], n <= YREP_MAX_KINDS */
    int n;
    int strict;
    long count[YREP_MAX_KINDS];
    long shown[YREP_MAX_KINDS];    /* warnings given (a stage may count silently) */
    long repeats[YREP_MAX_KINDS];  /* counted, not warned: about a thing warned about before */
    yrep_once once;                /* the things warned about (yrep_problem_about) */
} yrep_problems;

/* Reports one problem of the given kind: "MSG: ACTION" as a warning, or with
 * strict the error "MSG (an error with --strict)" in err. Returns 0 to go
 * on, -1 to stop, so callers can `return yrep_problem(...)` either way. */
int yrep_problem(const yrep *rep, yrep_problems *p, int kind, const char *action, yerr *err,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* yrep_problem about one thing, named by key (ybuf_fnv1a of an image path;
 * 0: none, as yrep_problem): a problem of a kind and key already warned
 * about in this run is counted, and in repeats, without a warning. */
int yrep_problem_about(const yrep *rep, yrep_problems *p, int kind, uint64_t key,
                       const char *action, yerr *err, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Frees what yrep_problem_about remembered (the counts stay). */
void yrep_problems_free(yrep_problems *p);
/* The closing line, "3 boxes clipped, 1 image skipped", if anything was
 * counted (and not with strict: the first problem stopped the run); a kind
 * with repeats says so: "3 records not run (2 repeated, warned about once)". */
void yrep_summary(const yrep *rep, const yrep_problems *p);

#endif
