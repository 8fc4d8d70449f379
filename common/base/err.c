#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "yolo/base/err.h"

int yerr_set(yerr *err, int code, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int yerr_prefix(yerr *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char pre[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    size_t pl = strlen(pre), ml = strlen(err->msg), cap = sizeof err->msg;
    if (pl + 2 + ml >= cap) /* keep the prefix, cut the end of the old text */
        ml = cap - pl - 3;
    memmove(err->msg + pl + 2, err->msg, ml);
    memcpy(err->msg, pre, pl);
    err->msg[pl] = ':';
    err->msg[pl + 1] = ' ';
    err->msg[pl + 2 + ml] = 0;
    return -1;
}
