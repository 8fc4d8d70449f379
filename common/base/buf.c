#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yolo/base/buf.h"

int ybuf_reserve(ybuf *b, size_t n)
{
    if (b->oom)
        return -1;
    if (n <= b->cap - b->len)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return -1;
        }
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

int yvec_fit(void **v, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap)
        return 0;
    size_t c = *cap ? *cap : 16;
    while (c < n && c <= SIZE_MAX / 2)
        c *= 2;
    if (c < n || c > SIZE_MAX / size)
        return -1;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

int ybuf_put(ybuf *b, const void *p, size_t n)
{
    if (ybuf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

int ybuf_putc(ybuf *b, int c)
{
    if (b->len == b->cap && ybuf_reserve(b, 1) < 0)
        return -1;
    b->p[b->len++] = (uint8_t)c;
    return 0;
}

int ybuf_puts(ybuf *b, const char *s) { return ybuf_put(b, s, strlen(s)); }

void ybuf_free(ybuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

int yfile_open(yfile *w, const char *path, yerr *err)
{
    w->path = path;
    w->f = NULL;
    if (snprintf(w->tmp, sizeof w->tmp, "%s.tmp", path) >= (int)sizeof w->tmp)
        return yerr_set(err, YOLO_EIO, "%s: path too long", path);
    if (!(w->f = fopen(w->tmp, "wb")))
        return yerr_set(err, YOLO_EIO, "%s: %s", w->tmp, strerror(errno));
    return 0;
}

int yfile_commit(yfile *w, int ok, yerr *err)
{
    int e = errno;
    if (fclose(w->f) != 0 && ok)
        ok = 0, e = errno;
    w->f = NULL;
    if (ok && rename(w->tmp, w->path) == 0)
        return 0;
    if (ok)
        e = errno;
    remove(w->tmp);
    return yerr_set(err, YOLO_EIO, "%s: write error: %s", ok ? w->path : w->tmp, strerror(e));
}

uint64_t ybuf_fnv1a(const void *p, size_t n)
{
    const unsigned char *b = p;   /* [n] */
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

int ybuf_save(const ybuf *b, const char *path, yerr *err)
{
    if (b->oom)
        return yerr_set(err, YOLO_EIO, "%s: out of memory", path);
    yfile w;
    if (yfile_open(&w, path, err) < 0)
        return -1;
    return yfile_commit(&w, !b->len || fwrite(b->p, 1, b->len, w.f) == b->len, err);
}

int ybuf_feed_fd(int fd, const char *name, size_t chunk, const ybuf_feeder *f, yerr *err)
{
    uint8_t *buf = malloc(chunk);
    if (!buf)
        return yerr_set(err, YOLO_EIO, "out of memory");
    int rc;
    for (;;) {
        ssize_t k = read(fd, buf, chunk);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            rc = yerr_set(err, YOLO_EIO, "%s: read error: %s", name, strerror(errno));
            break;
        }
        if (k == 0) {
            rc = f->finish(f->ctx, err);
            break;
        }
        if ((rc = f->feed(f->ctx, buf, (size_t)k, err)) < 0)
            break;
    }
    free(buf);
    return rc;
}
