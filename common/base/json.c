#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/base/json.h"

int json_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        int len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0)
            len = 2, cp = c & 0x1f, min = 0x80;
        else if ((c & 0xf0) == 0xe0)
            len = 3, cp = c & 0x0f, min = 0x800;
        else if ((c & 0xf8) == 0xf0)
            len = 4, cp = c & 0x07, min = 0x10000;
        else
            return 0;
        if (n - i < (size_t)len)
            return 0;
        for (int k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += (size_t)len;
    }
    return 1;
}

void json_put_str(ybuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (n == 0) { /* s may be NULL (msgpack-c's empty str) */
        ybuf_put(b, "\"\"", 2);
        return;
    }
    ybuf_putc(b, '"');
    size_t run = 0; /* bytes that need no escape, copied in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        ybuf_put(b, s + run, i - run);
        run = i + 1;
        char e[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t el = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\n': e[1] = 'n'; break;
        case '\t': e[1] = 't'; break;
        case '\r': e[1] = 'r'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        default:
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            el = 6;
        }
        ybuf_put(b, e, el);
    }
    ybuf_put(b, s + run, n - run);
    ybuf_putc(b, '"');
}

void json_put_u64(ybuf *b, uint64_t v)
{
    char t[24];
    int k = 0;
    do {
        t[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (ybuf_reserve(b, (size_t)k) < 0)
        return;
    while (k)
        b->p[b->len++] = (uint8_t)t[--k];
}

void json_put_i64(ybuf *b, int64_t v)
{
    if (v < 0) {
        ybuf_putc(b, '-');
        json_put_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        json_put_u64(b, (uint64_t)v);
    }
}

/* Appends t, adding ".0" when it would otherwise read as an integer. */
static void put_floaty(ybuf *b, const char *t)
{
    ybuf_puts(b, t);
    if (!strpbrk(t, ".eEn"))
        ybuf_puts(b, ".0");
}

/* Significant digits in a %g rendering ("1.25e-07" has 3). */
static int sig_digits(const char *t)
{
    int n = 0, lead = 1;
    for (; *t && *t != 'e'; t++) {
        if (*t < '0' || *t > '9')
            continue;
        if (*t == '0' && lead)
            continue;
        lead = 0;
        n++;
    }
    while (n > 1 && t[-1] == '0') /* %g strips trailing zeros, but be sure */
        n--, t--;
    return n;
}

/* The fewest %g digits that read back as v (checked by same()); hi digits
 * always do (9 for a float, 17 for a double). Reading back is monotone in
 * the digit count, so try hi - 1 first: if it fails the answer is hi, with no
 * check; if it holds, walk down from the digits it actually printed. */
static void shortest(char *t, size_t n, double v, int hi, int (*same)(const char *, double))
{
    snprintf(t, n, "%.*g", hi - 1, v);
    if (!same(t, v)) {
        snprintf(t, n, "%.*g", hi, v);
        return;
    }
    char u[320];
    for (int p = sig_digits(t) - 1; p >= 1; p--) {
        snprintf(u, sizeof u, "%.*g", p, v);
        if (!same(u, v))
            break;
        size_t ul = strlen(u);
        if (ul < n)
            memcpy(t, u, ul + 1);
    }
}

static int same64(const char *t, double v) { return strtod(t, NULL) == v; }
static int same32(const char *t, double v) { return strtof(t, NULL) == (float)v; }

void json_put_f64(ybuf *b, double v)
{
    char t[40];
    shortest(t, sizeof t, v, 17, same64);
    put_floaty(b, t);
}

void json_put_f32(ybuf *b, float v)
{
    char t[40];
    shortest(t, sizeof t, v, 9, same32);
    put_floaty(b, t);
}

void json_put_approx(ybuf *b, double v, int digits)
{
    char t[40];
    snprintf(t, sizeof t, "%.*g", digits, v);
    put_floaty(b, t);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(ybuf *b, const uint8_t *p, size_t n)
{
    if (ybuf_reserve(b, (n + 2) / 3 * 4) < 0)
        return;
    uint8_t *o = b->p + b->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = (uint8_t)b64[v >> 18];
        *o++ = (uint8_t)b64[v >> 12 & 63];
        *o++ = (uint8_t)b64[v >> 6 & 63];
        *o++ = (uint8_t)b64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        *o++ = (uint8_t)b64[v >> 18];
        *o++ = (uint8_t)b64[v >> 12 & 63];
        *o++ = i + 1 < n ? (uint8_t)b64[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    b->len = (size_t)(o - b->p);
}

static int b64val(char c)
{
    const char *q = c ? strchr(b64, c) : NULL;
    return q ? (int)(q - b64) : -1;
}

int base64_decode(ybuf *b, const char *s, size_t n)
{
    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int pad = last ? (s[i + 3] == '=') + (s[i + 2] == '=') : 0;
        if (pad == 1 && s[i + 2] == '=')
            return -1;
        uint32_t v = 0;
        for (int k = 0; k < 4; k++) {
            int d = k >= 4 - pad ? 0 : b64val(s[i + k]);
            if (d < 0)
                return -1;
            v = v << 6 | (uint32_t)d;
        }
        uint8_t o[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
        if (ybuf_put(b, o, (size_t)(3 - pad)) < 0)
            return -1;
    }
    return 0;
}

/* ---- reading JSON number tokens (yajl gives them as text) ---- */

/* A JSON integer token (yajl checked its syntax): 0, -1 if it has a fraction
 * or an exponent, -2 if it is outside int64. */
int json_parse_i64(const char *s, size_t n, int64_t *v)
{
    size_t i = n && s[0] == '-';
    if (i == n)
        return -1;
    uint64_t x = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned dg = (unsigned)(s[i] - '0');
        if (x > (UINT64_MAX - dg) / 10)
            return -2;
        x = x * 10 + dg;
    }
    if (s[0] == '-') {
        if (x > (uint64_t)INT64_MAX + 1)
            return -2;
        *v = x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x;
    } else {
        if (x > (uint64_t)INT64_MAX)
            return -2;
        *v = (int64_t)x;
    }
    return 0;
}

/* Clinger's fast path: a decimal of at most 15 digits with at most 22
 * after the point is m / 10^k with m and 10^k exact doubles, so the one
 * correctly rounded division gives what strtod would. 1 if it applied. */
static int fast_f64(const char *s, size_t n, double *v)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = n && s[0] == '-';
    uint64_t m = 0;
    int digits = 0, frac = -1;
    for (; i < n; i++) {
        if (s[i] == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (s[i] < '0' || s[i] > '9' || ++digits > 15)
            return 0; /* an exponent, or too many digits: strtod */
        m = m * 10 + (unsigned)(s[i] - '0');
        frac += frac >= 0;
    }
    if (frac > 22)
        return 0;
    double x = frac > 0 ? (double)m / p10[frac] : (double)m;
    *v = s[0] == '-' ? -x : x;
    return 1;
}

/* A JSON number token as a double: 0, -1 if it is out of range, -2 if it
 * is longer than any number needs to be. */
int json_parse_f64(const char *s, size_t n, double *v)
{
    if (fast_f64(s, n, v))
        return 0;
    char t[128];
    if (n >= sizeof t)
        return -2;
    memcpy(t, s, n);
    t[n] = 0;
    errno = 0;
    *v = strtod(t, NULL);
    return errno == ERANGE && isinf(*v) ? -1 : 0;
}

uint64_t json_count_lines(const uint8_t *s, size_t n)
{
    uint64_t k = 0;
    for (const uint8_t *q = s; (q = memchr(q, '\n', n - (size_t)(q - s))); q++)
        k++;
    return k;
}
