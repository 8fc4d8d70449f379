/* Option values that hold two numbers (include/yolo/base/parse.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/base/parse.h"

#define PART_MAX 64   /* characters of one number, its NUL included */

/* s's two parts as C strings, split at the first sep; with no sep, s is
 * both when p->alone. 0, or -1 when a part is missing, empty or too long. */
static int split(const char *s, const parse_pair_spec *p, char part[2][PART_MAX])
{
    const char *at = strchr(s, p->sep), *from[2] = {s, at ? at + 1 : s};
    size_t n[2] = {at ? (size_t)(at - s) : strlen(s), strlen(from[1])};
    if (!at && !p->alone)
        return -1;
    for (int k = 0; k < 2; k++) {
        if (n[k] == 0 || n[k] >= PART_MAX)
            return -1;
        memcpy(part[k], from[k], n[k]);
        part[k][n[k]] = 0;
    }
    return 0;
}

/* One number of the pair, in [p->lo, p->hi]: 0, or -1. */
static int read_number(const char *s, const parse_pair_spec *p, double *v)
{
    char *end;
    errno = 0;
    if (!p->whole)
        *v = strtod(s, &end);   /* nothing read: *end is s[0], not NUL */
    else if (isdigit((unsigned char)s[0]))   /* strtol would take a sign or blanks too */
        *v = (double)strtol(s, &end, 10);    /* exact up to hi (PARSE_MAX_WHOLE) */
    else
        return -1;
    return errno || *end || !isfinite(*v) || *v < p->lo || *v > p->hi ? -1 : 0;
}

/* Whether A and B are in p's order. */
static int in_order(const parse_pair_spec *p, double a, double b)
{
    return p->order == PARSE_ANY || a < b || (p->order == PARSE_LE && a == b);
}

int parse_pair(const char *s, const parse_pair_spec *p, double v[2], yerr *err)
{
    static const char *const order_words[] = {
        [PARSE_ANY] = "", [PARSE_LE] = ", the first no larger", [PARSE_LT] = ", the first smaller",
    };
    char part[2][PART_MAX], range[64];
    if (split(s, p, part) == 0 && read_number(part[0], p, &v[0]) == 0 &&
        read_number(part[1], p, &v[1]) == 0 && in_order(p, v[0], v[1]))
        return 0;
    if (p->whole)
        snprintf(range, sizeof range, "[%.0f, %.0f]", p->lo, p->hi);
    else
        snprintf(range, sizeof range, "[%g, %g]", p->lo, p->hi);
    return yerr_set(err, YOLO_EUSAGE, "'%s' is not %s with %s in %s%s", s, p->form, p->what, range,
                    order_words[p->order]);
}

int parse_shard(const char *s, long *k, long *n)
{
    static const parse_pair_spec shard = {.form = "K/N", .what = "numbers", .sep = '/',
                                          .order = PARSE_LT, .whole = 1, .lo = 0,
                                          .hi = PARSE_MAX_WHOLE};
    double v[2];
    if (parse_pair(s, &shard, v, NULL) < 0)
        return -1;
    *k = (long)v[0];
    *n = (long)v[1];
    return 0;
}

/* Part k of n starts after k parts: k * (total / n) items, and one more for
 * each of the first total % n parts before it. No product can pass total. */
static size_t shard_start(size_t k, size_t n, size_t total)
{
    size_t q = total / n, r = total % n;
    return k * q + (k < r ? k : r);
}

void parse_shard_range(long k, long n, size_t total, size_t *lo, size_t *hi)
{
    *lo = shard_start((size_t)k, (size_t)n, total);
    *hi = shard_start((size_t)k + 1, (size_t)n, total);
}
