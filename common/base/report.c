/* The library's report sink (include/yolo/base/report.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "yolo/base/report.h"

static void vsay(const yrep *rep, yrep_level level, const char *fmt, va_list ap)
{
    if (!rep || !rep->say)
        return;
    char text[2048];
    vsnprintf(text, sizeof text, fmt, ap);
    rep->say(rep->ctx, level, text);
}

void yrep_warn(const yrep *rep, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(rep, YREP_WARN, fmt, ap);
    va_end(ap);
}

void yrep_note(const yrep *rep, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsay(rep, YREP_NOTE, fmt, ap);
    va_end(ap);
}

void yrep_progress(const yrep *rep, const char *text)
{
    if (rep && rep->say)
        rep->say(rep->ctx, YREP_PROGRESS, text);
}

/* ---- the things warned about -------------------------------------------- */

/* k's slot in o's table: its own, or the empty one where it would go. */
static size_t once_slot(const yrep_once *o, uint64_t k)
{
    size_t i = (size_t)(k >> 7) & (o->cap - 1);
    while (o->v[i] && o->v[i] != k)
        i = (i + 1) & (o->cap - 1);
    return i;
}

static int once_grow(yrep_once *o)
{
    size_t cap = o->cap ? 2 * o->cap : 64;
    uint64_t *v = calloc(cap, sizeof *v);
    if (!v)
        return -1;
    yrep_once old = *o;
    *o = (yrep_once){v, old.n, cap};
    for (size_t i = 0; i < old.cap; i++)
        if (old.v[i])
            o->v[once_slot(o, old.v[i])] = old.v[i];
    free(old.v);
    return 0;
}

/* 0 if k was met before; else 1, and k remembered if there is room. */
static int once_first(yrep_once *o, uint64_t k)
{
    k += !k;   /* 0 marks an empty slot */
    if (o->cap && o->v[once_slot(o, k)])
        return 0;
    if (o->n >= YREP_ONCE_MAX || (2 * (o->n + 1) > o->cap && once_grow(o) < 0))
        return 1;
    o->v[once_slot(o, k)] = k;
    o->n++;
    return 1;
}

void yrep_problems_free(yrep_problems *p)
{
    free(p->once.v);
    p->once = (yrep_once){0};
}

/* ---- problems ---------------------------------------------------------------- */

static int vproblem(const yrep *rep, yrep_problems *p, int kind, uint64_t key,
                    const char *action, yerr *err, const char *fmt, va_list ap)
{
    char msg[900];
    vsnprintf(msg, sizeof msg, fmt, ap);
    p->count[kind]++;
    if (p->strict)
        return yerr_set(err, YOLO_EINPUT, "%s (an error with --strict)", msg);
    /* the kind in the key: one image may be met with two problems */
    if (key && !once_first(&p->once, key ^ (uint64_t)(kind + 1) * 0x9e3779b97f4a7c15ull)) {
        p->repeats[kind]++;
        return 0;
    }
    long shown = ++p->shown[kind];
    if (shown <= YREP_SHOWN_PER_KIND)
        yrep_warn(rep, "%s: %s%s", msg, action,
                  shown == YREP_SHOWN_PER_KIND ? " (more of this kind are only counted)" : "");
    return 0;
}

int yrep_problem(const yrep *rep, yrep_problems *p, int kind, const char *action, yerr *err,
                 const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vproblem(rep, p, kind, 0, action, err, fmt, ap);
    va_end(ap);
    return rc;
}

int yrep_problem_about(const yrep *rep, yrep_problems *p, int kind, uint64_t key,
                       const char *action, yerr *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vproblem(rep, p, kind, key, action, err, fmt, ap);
    va_end(ap);
    return rc;
}

void yrep_summary(const yrep *rep, const yrep_problems *p)
{
    char line[900];
    size_t n = 0;
    for (int k = 0; k < p->n && n < sizeof line; k++) {
        if (!p->count[k])
            continue;
        n += (size_t)snprintf(line + n, sizeof line - n, "%s%ld %s", n ? ", " : "",
                              p->count[k], p->count[k] == 1 ? p->kinds[k].one
                                                            : p->kinds[k].many);
        if (p->repeats[k] && n < sizeof line)
            n += (size_t)snprintf(line + n, sizeof line - n, " (%ld repeated, warned about once)",
                                  p->repeats[k]);
    }
    if (n && !p->strict)
        yrep_warn(rep, "%s", line);
}
