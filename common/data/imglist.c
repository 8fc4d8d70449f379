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
    char msg[900], where[48] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (l->from_stdin)
        snprintf(where, sizeof where, "<stdin>:%ld: ", l->line);
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

int imglist_open(imglist *l, const yrep *rep, int strict, char *const *paths, int npaths,
                 yerr *err)
{
    memset(l, 0, sizeof *l);
    l->rep = rep;
    l->strict = strict;
    l->probs = (yrep_problems){.kinds = kinds, .n = IMGLIST_NKINDS, .strict = strict};
    l->from_stdin = npaths == 0;
    for (int i = 0; i < npaths; i++)
        if (add_path(l, paths[i], err) < 0)
            return -1;
    return 0;
}

/* The next line of standard input that is not blank, into l->buf without
 * its line end (LF or CRLF). 1, 0 at the end, -1 stop. */
static int read_line(imglist *l, yerr *err)
{
    while (fgets(l->buf, sizeof l->buf, stdin)) {
        size_t len = strlen(l->buf);
        l->line++;
        if (len == sizeof l->buf - 1 && l->buf[len - 1] != '\n') {
            int ch;
            while ((ch = getchar()) != EOF && ch != '\n')
                ;
            if (problem(l, err, "a line longer than %d bytes", IMGLIST_MAX_LINE) < 0)
                return -1;
            continue;
        }
        while (len && (l->buf[len - 1] == '\n' || l->buf[len - 1] == '\r'))
            l->buf[--len] = 0;
        size_t k = 0;
        while (k < len && isspace((unsigned char)l->buf[k]))
            k++;
        if (k < len)
            return 1;
    }
    if (ferror(stdin))
        return yerr_set(err, YOLO_EIO, "<stdin>: %s", strerror(errno));
    return 0;
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
        if (!l->from_stdin)
            return 0;
        drop_listed(l);
        int rc = read_line(l, err);
        if (rc <= 0 || add_path(l, l->buf, err) < 0)
            return rc <= 0 ? rc : -1;
    }
    *path = l->v[l->next++];
    return 1;
}

static size_t id_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return (size_t)h;
}

/* Adds id[0, n) to the set of ids given: 1 added, 0 there already, -1 out
 * of memory. The table stays at most half full. */
static int id_add(imglist *l, const char *id, size_t n)
{
    if (2 * (l->ids_n + 1) > l->ids_cap) {
        size_t cap = l->ids_cap ? 2 * l->ids_cap : 1024;
        char **t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t i = 0; i < l->ids_cap; i++)
            if (l->ids[i]) {
                size_t j = id_hash(l->ids[i], strlen(l->ids[i])) & (cap - 1);
                while (t[j])
                    j = (j + 1) & (cap - 1);
                t[j] = l->ids[i];
            }
        free(l->ids);
        l->ids = t;
        l->ids_cap = cap;
    }
    size_t j = id_hash(id, n) & (l->ids_cap - 1);
    for (; l->ids[j]; j = (j + 1) & (l->ids_cap - 1))
        if (strlen(l->ids[j]) == n && memcmp(l->ids[j], id, n) == 0)
            return 0;
    if (!(l->ids[j] = strndup(id, n)))
        return -1;
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
    for (size_t i = 0; i < l->ids_cap; i++)
        free(l->ids[i]);
    free(l->ids);
    drop_listed(l);
    free(l->v);
    l->v = NULL;
    l->cap = 0;
}
