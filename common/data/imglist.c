#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "yolo/base/buf.h"
#include "yolo/base/parse.h"
#include "yolo/image/image.h"
#include "yolo/data/imglist.h"

/* A folder on the way down, to see a symlink lead back into it. */
typedef struct dir_id {
    dev_t dev;
    ino_t ino;
} dir_id;

static const yrep_kind kinds[IMGLIST_NKINDS] = {
    [IMGLIST_SKIPPED] = {"path skipped (missing, unreadable or not an image)",
                         "paths skipped (missing, unreadable or not an image)"},
    [IMGLIST_DUP_ID] = {"id given to two images (see --id path)",
                        "ids given to two images (see --id path)"},
};

/* A path that is skipped: a warning, counted; with --strict the error that
 * stops the run. 0 (go on) or -1 (stop). */
static int problem(imglist *l, yerr *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int problem(imglist *l, yerr *err, const char *fmt, ...)
{
    char msg[900], where[600] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (l->in)
        snprintf(where, sizeof where, "%.500s:%ld: ", l->in_name, l->line);
    return yrep_problem(l->rep, &l->probs, IMGLIST_SKIPPED, "skipped", err, "%s%s", where, msg);
}

void imglist_summary(imglist *l) { yrep_summary(l->rep, &l->probs); }

static int push(imglist *l, const char *path, yerr *err)
{
    if ((long)l->n >= IMGLIST_MAX_FILES)
        return yerr_set(err, YOLO_EINPUT, "%s: more than %ld images to list", path,
                        IMGLIST_MAX_FILES);
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return yerr_set(err, YOLO_EIO, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(path)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    l->n++;
    return 0;
}

/* The names a folder search lists (the decoder itself goes by the bytes). */
static int is_image_name(const char *name)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp"};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof ext / sizeof ext[0]; i++)
        if (strcasecmp(dot, ext[i]) == 0)
            return 1;
    return 0;
}

static int walk(imglist *l, ybuf *path, dir_id *up, int depth, yerr *err);

/* One entry of a folder, path->p: a subfolder to search, or an image. A
 * broken symlink named *.jpg (or .png, ...) is listed, to be warned about as
 * missing. */
static int entry(imglist *l, ybuf *path, dir_id *up, int depth, yerr *err)
{
    struct stat st;
    const char *p = (const char *)path->p, *name = strrchr(p, '/') + 1;
    if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
        return is_image_name(name) ? push(l, p, err) : 0;
    for (int i = 0; i <= depth; i++)
        if (up[i].dev == st.st_dev && up[i].ino == st.st_ino)
            return 0; /* a symlink back up: been there */
    if (depth + 1 >= IMGLIST_MAX_DEPTH)
        return problem(l, err, "%s: more than %d folders deep", p, IMGLIST_MAX_DEPTH);
    up[depth + 1] = (dir_id){st.st_dev, st.st_ino};
    return walk(l, path, up, depth + 1, err);
}

/* Lists the images under the folder path->p (a C string, path->len counting
 * its NUL), which is as it was on return. */
static int walk(imglist *l, ybuf *path, dir_id *up, int depth, yerr *err)
{
    DIR *d = opendir((const char *)path->p);
    if (!d)
        return problem(l, err, "%s: %s", (const char *)path->p, strerror(errno));
    size_t end = path->len - 1;
    int rc = 0, slash = end > 0 && path->p[end - 1] != '/';
    struct dirent *e;
    errno = 0;
    while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        path->len = end;
        if ((slash && ybuf_putc(path, '/') < 0) || ybuf_puts(path, e->d_name) < 0 ||
            ybuf_putc(path, 0) < 0)
            rc = yerr_set(err, YOLO_EIO, "out of memory");
        else
            rc = entry(l, path, up, depth, err);
        errno = 0;
    }
    path->len = end;
    ybuf_putc(path, 0);
    if (rc == 0 && errno)
        rc = problem(l, err, "%s: %s", (const char *)path->p, strerror(errno));
    closedir(d);
    return rc;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder's images sorted by path, or any other path as it is. */
static int add_path(imglist *l, const char *p, yerr *err)
{
    struct stat st;
    if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
        return push(l, p, err);
    dir_id up[IMGLIST_MAX_DEPTH] = {{st.st_dev, st.st_ino}};
    ybuf path = {0};
    size_t start = l->n;
    int rc = ybuf_puts(&path, p) < 0 || ybuf_putc(&path, 0) < 0
                 ? yerr_set(err, YOLO_EIO, "out of memory")
                 : walk(l, &path, up, 0, err);
    ybuf_free(&path);
    if (l->n > start)
        qsort(l->v + start, l->n - start, sizeof *l->v, cmp_path);
    return rc;
}

void imglist_init(imglist *l, const yrep *rep, int strict)
{
    memset(l, 0, sizeof *l);
    l->rep = rep;
    l->strict = strict;
    l->probs = (yrep_problems){.kinds = kinds, .n = IMGLIST_NKINDS, .strict = strict};
}

int imglist_add(imglist *l, const char *path, yerr *err) { return add_path(l, path, err); }

int imglist_open(imglist *l, const yrep *rep, int strict, char *const *paths, int npaths,
                 yerr *err)
{
    imglist_init(l, rep, strict);
    if ((l->from_stdin = npaths == 0)) {
        l->in = stdin;
        l->in_name = "<stdin>";
    }
    for (int i = 0; i < npaths; i++)
        if (add_path(l, paths[i], err) < 0)
            return -1;
    return 0;
}

int imglist_read_list(imglist *l, const char *list, const char *dot_base, yerr *err)
{
    if (!(l->in = fopen(list, "r")))
        return yerr_set(err, YOLO_EIO, "%s: %s", list, strerror(errno));
    l->in_name = list;
    l->in_owned = 1;
    l->dot_base = dot_base;
    l->line = 0;
    return 0;
}

/* The list read to its end (or given up): closed if it was opened here. */
static void end_list(imglist *l)
{
    if (l->in_owned)
        fclose(l->in);
    l->in = NULL;
    l->in_owned = 0;
    l->dot_base = NULL;
}

/* The next line of the list that is not blank, into l->buf without its
 * line end (LF or CRLF) or, on the first line, a UTF-8 byte-order mark.
 * 1, 0 at the end, -1 stop. */
static int read_line(imglist *l, yerr *err)
{
    while (fgets(l->buf, sizeof l->buf, l->in)) {
        size_t len = strlen(l->buf);
        l->line++;
        if (len == sizeof l->buf - 1 && l->buf[len - 1] != '\n') {
            int ch;
            while ((ch = getc(l->in)) != EOF && ch != '\n')
                ;
            if (problem(l, err, "a line longer than %d bytes", IMGLIST_MAX_LINE) < 0)
                return -1;
            continue;
        }
        if (l->line == 1 && strncmp(l->buf, "\xEF\xBB\xBF", 3) == 0)
            memmove(l->buf, l->buf + 3, (len -= 3) + 1);
        while (len && (l->buf[len - 1] == '\n' || l->buf[len - 1] == '\r'))
            l->buf[--len] = 0;
        size_t k = 0;
        while (k < len && isspace((unsigned char)l->buf[k]))
            k++;
        if (k < len)
            return 1;
    }
    if (ferror(l->in))
        return yerr_set(err, YOLO_EIO, "%s: %s", l->in_name, strerror(errno));
    return 0;
}

/* The path a line names: under dot_base when it starts "./" (and there is
 * one), else the line itself. NULL out of memory. */
static const char *line_path(imglist *l)
{
    if (!l->dot_base || strncmp(l->buf, "./", 2) != 0)
        return l->buf;
    ybuf *b = &l->joined;
    b->len = 0;
    ybuf_puts(b, l->dot_base);
    if (b->len && b->p[b->len - 1] != '/')
        ybuf_putc(b, '/');
    ybuf_puts(b, l->buf + 2);
    return ybuf_putc(b, 0) < 0 ? NULL : (const char *)b->p;
}

/* Forgets the paths already handed out (standard input: one line's worth). */
static void drop_listed(imglist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    l->n = l->next = 0;
}

int imglist_next(imglist *l, const char **path, yerr *err)
{
    while (l->next == l->n) {
        if (!l->in)
            return 0;
        drop_listed(l);
        int rc = read_line(l, err);
        if (rc == 0)
            end_list(l);
        if (rc <= 0)
            return rc;
        const char *p = line_path(l);
        if (!p)
            return yerr_set(err, YOLO_EIO, "out of memory");
        if (add_path(l, p, err) < 0)
            return -1;
    }
    *path = l->v[l->next++];
    return 1;
}

int imglist_shard(imglist *l, long k, long n, yerr *err)
{
    int rc;
    while (l->in && (rc = read_line(l, err)) != 0) {
        if (rc < 0)
            return -1;
        const char *p = line_path(l);
        if (!p)
            return yerr_set(err, YOLO_EIO, "out of memory");
        if (add_path(l, p, err) < 0)
            return -1;
    }
    if (l->in)
        end_list(l);
    size_t lo, hi;
    parse_shard_range(k, n, l->n - l->next, &lo, &hi);
    lo += l->next;
    hi += l->next;
    for (size_t i = l->next; i < l->n; i++)
        if (i < lo || i >= hi)
            free(l->v[i]);
    if (hi > lo)
        memmove(l->v + l->next, l->v + lo, (hi - lo) * sizeof *l->v);
    l->n = l->next + (hi - lo);
    return 0;
}

/* The slot of key k (not 0) in the id table: its own, or the empty one
 * where it would go. */
static size_t id_slot(const imglist *l, uint64_t k)
{
    size_t j = (size_t)k & (l->ids_cap - 1);
    while (l->ids[j] && l->ids[j] != k)
        j = (j + 1) & (l->ids_cap - 1);
    return j;
}

/* Adds id[0, n) to the set of ids given: 1 added, 0 there already, -1 out
 * of memory. The table stays at most half full. */
static int id_add(imglist *l, const char *id, size_t n)
{
    uint64_t k = ybuf_fnv1a(id, n);
    k += !k;   /* 0 marks an empty slot */
    if (l->ids_cap && l->ids[id_slot(l, k)])
        return 0;
    if (2 * (l->ids_n + 1) > l->ids_cap) {
        uint64_t *old = l->ids;
        size_t old_cap = l->ids_cap, cap = old_cap ? 2 * old_cap : 1024;
        uint64_t *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        l->ids = t;
        l->ids_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i])
                l->ids[id_slot(l, old[i])] = old[i];
        free(old);
    }
    l->ids[id_slot(l, k)] = k;
    l->ids_n++;
    return 1;
}

int imglist_record(imglist *l, const char *path, rec *r, yerr *err)
{
    int w, h;
    yerr e;
    if (img_read_size(path, &w, &h, &e) < 0)
        return problem(l, err, "%s", e.msg);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    const char *id = l->id_path ? path : base;
    while (l->id_path && strncmp(id, "./", 2) == 0)
        id += 2;
    size_t len = (size_t)((dot && dot != base ? dot : base + strlen(base)) - id);
    int fresh = id_add(l, id, len);
    if (fresh < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (!fresh && yrep_problem(l->rep, &l->probs, IMGLIST_DUP_ID, "given again", err,
                               "%s: id '%.*s' was given to an earlier image", path, (int)len,
                               id) < 0)
        return -1;
    rec_clear(r);
    if (rec_set_str(r, "id", id, len, err) < 0 || rec_set_cstr(r, "image", path, err) < 0 ||
        rec_set_i64(r, "width", w, err) < 0 || rec_set_i64(r, "height", h, err) < 0)
        return -1;
    return 1;
}

void imglist_free(imglist *l)
{
    if (l->in)
        end_list(l);
    free(l->ids);
    l->ids = NULL;
    l->ids_n = l->ids_cap = 0;
    drop_listed(l);
    free(l->v);
    l->v = NULL;
    l->cap = 0;
    ybuf_free(&l->joined);
}
