#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
    w->durable = 0;
    if (snprintf(w->tmp, sizeof w->tmp, "%s.tmp", path) >= (int)sizeof w->tmp)
        return yerr_set(err, YOLO_EIO, "%s: path too long", path);
    if (!(w->f = fopen(w->tmp, "wb")))
        return yerr_set(err, YOLO_EIO, "%s: %s", w->tmp, strerror(errno));
    return 0;
}

int yfile_open_durable(yfile *w, const char *path, yerr *err)
{
    int rc = yfile_open(w, path, err);
    w->durable = 1;
    return rc;
}

/* fsync, where the file system can: EINVAL is one that cannot (no
 * synchronisation for this kind of file), not a failure. */
static int sync_fd(int fd)
{
    return fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
}

/* The folder of path synced, so that the rename into it is on the disk. */
static int sync_folder(const char *path, yerr *err)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (n >= sizeof dir)
        return yerr_set(err, YOLO_EIO, "%s: path too long", path);
    if (!slash || n == 0) {
        strcpy(dir, slash ? "/" : ".");
    } else {
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : sync_fd(fd), e = errno;
    if (fd >= 0)
        close(fd);
    return rc < 0 ? yerr_set(err, YOLO_EIO, "%s: fsync: %s", dir, strerror(e)) : 0;
}

int yfile_commit(yfile *w, int ok, yerr *err)
{
    int e = errno;
    const char *what = "write error";
    if (ok && fflush(w->f) != 0)
        ok = 0, e = errno;
    /* a durable file's bytes reach the disk before its name does */
    if (ok && w->durable && sync_fd(fileno(w->f)) < 0)
        ok = 0, e = errno, what = "fsync";
    if (fclose(w->f) != 0 && ok)
        ok = 0, e = errno;
    w->f = NULL;
    if (ok && rename(w->tmp, w->path) == 0)
        return w->durable ? sync_folder(w->path, err) : 0;
    if (ok)
        e = errno;
    remove(w->tmp);
    return yerr_set(err, YOLO_EIO, "%s: %s: %s", ok ? w->path : w->tmp, what, strerror(e));
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

/* One folder: made (1), there already (0), or -1. */
static int make_dir(const char *path, yerr *err)
{
    struct stat st;
    if (mkdir(path, 0777) == 0)
        return 1;
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    return yerr_set(err, YOLO_EIO, "cannot make folder %s: %s", path,
                    errno == EEXIST ? "a file is in the way" : strerror(errno));
}

/* Makes buf (a path the caller may cut at a '/' and restore) and notes it. */
static int make_noted(const char *path, ybuf *made, yerr *err)
{
    int rc = make_dir(path, err);
    if (rc == 1 && made && ybuf_put(made, path, strlen(path) + 1) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    return rc < 0 ? -1 : 0;
}

int ydir_make(const char *path, ybuf *made, yerr *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return yerr_set(err, YOLO_EIO, "%s: path too long", path);
    struct stat st;
    if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/' && p[-1] != '/') {
            *p = 0;
            int rc = make_noted(buf, made, err);
            *p = '/';
            if (rc < 0)
                return -1;
        }
    return make_noted(buf, made, err);
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

int yfile_lines(const char *path, size_t max_len, const char *what, yline_fn fn, void *ctx,
                yerr *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    char *buf = malloc(max_len + 1);   /* [max_len + 1]: a line and its newline */
    if (!buf) {
        fclose(f);
        return yerr_set(err, YOLO_EIO, "out of memory");
    }
    long line = 0;
    int rc = 0;
    while (rc == 0 && fgets(buf, (int)max_len + 1, f)) {
        line++;
        size_t len = strlen(buf);
        if (len == max_len && buf[len - 1] != '\n') {
            rc = yerr_set(err, YOLO_EINPUT, "%s:%ld: line too long for %s", path, line, what);
            break;
        }
        char *s = buf;
        while (len && isspace((unsigned char)s[len - 1]))
            s[--len] = 0;
        while (len && isspace((unsigned char)*s))
            s++, len--;
        if (len)
            rc = fn(ctx, line, s, len, err);
    }
    if (rc == 0 && ferror(f))
        rc = yerr_set(err, YOLO_EIO, "%s: read error", path);
    free(buf);
    fclose(f);
    return rc;
}
