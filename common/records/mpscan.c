#include <string.h>

#include "yolo/records/mpscan.h"

void mp_scan_init(mp_scan *s)
{
    memset(s, 0, offsetof(mp_scan, left));
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* One item's header: h header bytes; then either n payload bytes or, for a
 * container, c items. lenbytes > 0 means the payload or count is a big-endian
 * field of that many bytes right after the first byte (after `skip` more). */
typedef struct {
    int h, lenbytes, container, map;
    uint64_t n;
} mp_hdr;

static int hdr_of(uint8_t b, mp_hdr *d)
{
    memset(d, 0, sizeof *d);
    d->h = 1;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return 0;
    if (b >= 0x80 && b <= 0x9f) {
        d->container = 1;
        d->map = b <= 0x8f;
        d->n = b & 0x0f;
        return 0;
    }
    if (b >= 0xa0 && b <= 0xbf) {
        d->n = b & 0x1f;
        return 0;
    }
    switch (b) {
    case 0xc4: case 0xd9: d->lenbytes = 1; break;              /* bin8 str8 */
    case 0xc5: case 0xda: d->lenbytes = 2; break;              /* bin16 str16 */
    case 0xc6: case 0xdb: d->lenbytes = 4; break;              /* bin32 str32 */
    case 0xc7: d->lenbytes = 1; d->n = 1; break;               /* ext8: +type */
    case 0xc8: d->lenbytes = 2; d->n = 1; break;
    case 0xc9: d->lenbytes = 4; d->n = 1; break;
    case 0xca: d->n = 4; break;                                /* float32 */
    case 0xcb: d->n = 8; break;                                /* float64 */
    case 0xcc: case 0xd0: d->n = 1; break;
    case 0xcd: case 0xd1: d->n = 2; break;
    case 0xce: case 0xd2: d->n = 4; break;
    case 0xcf: case 0xd3: d->n = 8; break;
    case 0xd4: d->n = 2; break;                                /* fixext1 */
    case 0xd5: d->n = 3; break;
    case 0xd6: d->n = 5; break;
    case 0xd7: d->n = 9; break;
    case 0xd8: d->n = 17; break;
    case 0xdc: d->lenbytes = 2; d->container = 1; break;       /* array16 */
    case 0xdd: d->lenbytes = 4; d->container = 1; break;
    case 0xde: d->lenbytes = 2; d->container = 1; d->map = 1; break;
    case 0xdf: d->lenbytes = 4; d->container = 1; d->map = 1; break;
    default: return -1;                                        /* 0xc1 */
    }
    d->h += d->lenbytes;
    return 0;
}

int mp_scan_step(mp_scan *s, const uint8_t *buf, size_t len)
{
    for (;;) {
        while (s->depth > 0 && s->left[s->depth - 1] == 0)
            s->depth--;
        if (s->depth == 0 && s->started)
            return MP_DONE;
        mp_hdr d;
        if (s->pos >= len) {
            s->need = s->pos + 1;
            return MP_MORE;
        }
        if (hdr_of(buf[s->pos], &d) < 0) {
            s->why = "invalid msgpack type byte 0xc1";
            return MP_ERROR;
        }
        if (len - s->pos < (size_t)d.h) {
            s->need = s->pos + (size_t)d.h;
            return MP_MORE;
        }
        if (d.lenbytes)
            d.n += be(buf + s->pos + 1, d.lenbytes);
        if (d.container) {
            if (s->depth == MP_MAX_DEPTH) {
                s->why = "nesting deeper than 32 containers";
                return MP_ERROR;
            }
            s->pos += (size_t)d.h;
        } else {
            if (len - s->pos - (size_t)d.h < d.n) {
                s->need = s->pos + (size_t)d.h + (size_t)d.n;
                return MP_MORE;
            }
            s->pos += (size_t)d.h + (size_t)d.n;
        }
        if (s->depth > 0)
            s->left[s->depth - 1]--;
        s->started = 1;
        if (d.container)
            s->left[s->depth++] = d.map ? 2 * d.n : d.n;
    }
}

size_t mp_skip(const uint8_t *buf, size_t len, const char **why)
{
    mp_scan s;
    mp_scan_init(&s);
    int rc = mp_scan_step(&s, buf, len);
    if (rc == MP_DONE)
        return s.pos;
    if (why)
        *why = rc == MP_MORE ? "object is incomplete" : s.why;
    return 0;
}

const char *mp_type_name(uint8_t b)
{
    if (b <= 0x7f || b >= 0xe0)
        return "int";
    if (b <= 0x8f || b == 0xde || b == 0xdf)
        return "map";
    if (b <= 0x9f || b == 0xdc || b == 0xdd)
        return "array";
    if (b <= 0xbf || (b >= 0xd9 && b <= 0xdb))
        return "string";
    switch (b) {
    case 0xc0: return "nil";
    case 0xc2: case 0xc3: return "bool";
    case 0xc4: case 0xc5: case 0xc6: return "bin";
    case 0xca: case 0xcb: return "float";
    case 0xc1: return "invalid";
    }
    if (b >= 0xcc && b <= 0xd3)
        return "int";
    return "ext";
}
