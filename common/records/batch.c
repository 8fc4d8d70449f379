/* The batch runner darknet-forward and encode-targets share
 * (include/yolo/records/batch.h). */
#include <stdlib.h>
#include <string.h>

#include "yolo/records/batch.h"

int batch_init(batch *b, const batch_cfg *cf, yerr *err)
{
    memset(b, 0, sizeof *b);
    if (cf->cap < 1 || cf->nkinds < 1 || cf->nkinds > YREP_MAX_KINDS)
        return yerr_set(err, YOLO_EUSAGE, "batch of %d records, %d problem kinds", cf->cap,
                        cf->nkinds);
    b->problems = (yrep_problems){.kinds = cf->kinds, .n = cf->nkinds, .strict = cf->strict};
    b->ops = cf->ops;
    b->ctx = cf->ctx;
    b->rep = cf->rep;
    b->out = cf->out;
    b->stage = cf->stage;
    int cap = cf->cap;
    b->s = calloc((size_t)cap, sizeof *b->s);
    if (!b->s)
        return yerr_set(err, YOLO_EIO, "out of memory");
    b->cap = cap;
    for (int i = 0; i < cap; i++)
        rec_init(&b->s[i].r);
    return 0;
}

void batch_free(batch *b)
{
    for (int i = 0; b->s && i < b->cap; i++)
        rec_free(&b->s[i].r);
    free(b->s);
    yrep_problems_free(&b->problems);
    memset(b, 0, sizeof *b);
}

rec *batch_next(batch *b) { return &b->s[b->n].r; }

/* Reports the slots' problems in order. Returns the index of the slot that
 * stops the run (*fatal set), or b->n. */
static int report(batch *b, yerr *fatal)
{
    for (int i = 0; i < b->n; i++) {
        batch_slot *s = &b->s[i];
        if (!s->run)
            continue;
        if (s->why == BATCH_FATAL) {
            *fatal = s->err;
            return i;
        }
        if (s->why == BATCH_PROBLEM &&
            yrep_problem_about(b->rep, &b->problems, 0, s->about, "passed on with 'error'",
                               fatal, "%s", s->err.msg) < 0)
            return i;
        if (s->why == BATCH_OK && b->ops->note &&
            b->ops->note(b->ctx, i, s, b->rep, &b->problems, fatal) < 0)
            return i;
    }
    return b->n;
}

static int write_slot(batch *b, int i, yerr *err)
{
    batch_slot *s = &b->s[i];
    int rc = 0;
    if (s->run && s->why == BATCH_PROBLEM)
        rc = rec_set_error(&s->r, b->stage, s->err.msg, err);
    else if (s->run)
        rc = b->ops->finish(b->ctx, i, s, err);
    return rc < 0 ? -1 : rec_write(b->out, &s->r, err);
}

static int run(batch *b, yerr *err)
{
    if (b->ops->before && b->ops->before(b->ctx, b->s, b->n, err) < 0) {
        b->n = b->nrun = 0;
        return -1;
    }
    /* a batch of one runs on the calling thread outside any parallel
     * construct, so that its record's work can use the threads itself
     * (img_fit_rgb's rows) from libgomp's pool: inside even an inactive
     * region, each nested team would start and end threads of its own */
    if (b->n == 1 && b->s[0].run)
        b->s[0].why = b->ops->prepare(b->ctx, 0, &b->s[0]);
    else if (b->n > 1) {
#pragma omp parallel for schedule(dynamic, 1)
        for (int i = 0; i < b->n; i++)
            if (b->s[i].run)
                b->s[i].why = b->ops->prepare(b->ctx, i, &b->s[i]);
    }
    yerr fatal = {0};
    int stop = report(b, &fatal), rc = 0;
    if (b->ops->middle)
        rc = b->ops->middle(b->ctx, stop, err);
    for (int i = 0; i < stop && rc == 0; i++)
        rc = write_slot(b, i, err);
    if (rc == 0 && b->ops->after)
        rc = b->ops->after(b->ctx, b->rep, stop, err);
    if (rc >= 0 && stop < b->n) {
        *err = fatal;
        rc = -1;
    }
    b->n = b->nrun = 0;
    return rc;
}

int batch_push(batch *b, yerr *err)
{
    batch_slot *s = &b->s[b->n];
    if (b->cap > 1 && rec_detach(&s->r, err) < 0)   /* the reader moves on */
        return -1;
    b->n++;
    s->number = b->count++;
    s->run = !rec_has(&s->r, "error");
    s->rank = s->run ? b->nrun++ : -1;
    s->why = BATCH_OK;
    s->about = 0;
    return b->n == b->cap ? run(b, err) : 0;
}

int batch_flush(batch *b, yerr *err) { return b->n ? run(b, err) : 0; }
