/* The library's report sink (include/yolo/base/report.h). */
#include <stdarg.h>
#include <stdio.h>

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

int yrep_problem(const yrep *rep, yrep_problems *p, int kind, const char *action, yerr *err,
                 const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->count[kind]++;
    if (p->strict)
        return yerr_set(err, YOLO_EINPUT, "%s (an error with --strict)", msg);
    long shown = ++p->shown[kind];
    if (shown <= YREP_SHOWN_PER_KIND)
        yrep_warn(rep, "%s: %s%s", msg, action,
                  shown == YREP_SHOWN_PER_KIND ? " (more of this kind are only counted)" : "");
    return 0;
}

void yrep_summary(const yrep *rep, const yrep_problems *p)
{
    char line[900];
    size_t n = 0;
    for (int k = 0; k < p->n && n < sizeof line; k++)
        if (p->count[k])
            n += (size_t)snprintf(line + n, sizeof line - n, "%s%ld %s", n ? ", " : "",
                                  p->count[k], p->count[k] == 1 ? p->kinds[k].one
                                                                : p->kinds[k].many);
    if (n && !p->strict)
        yrep_warn(rep, "%s", line);
}
