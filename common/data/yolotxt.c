/* YOLO txt labels to truth boxes (include/yolo/data/yolotxt.h). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yolo/data/yolotxt.h"

static const yrep_kind problem_kinds[YOLOTXT_NPROBLEMS] = {
    [YOLOTXT_P_ROW] = {"row dropped (not a box, a polygon or a whole class)",
                       "rows dropped (not a box, a polygon or a whole class)"},
    [YOLOTXT_P_CLASS] = {"row dropped (class out of range)", "rows dropped (class out of range)"},
    [YOLOTXT_P_CLIP] = {"box clipped", "boxes clipped"},
    [YOLOTXT_P_DROP] = {"box dropped (outside [0, 1] or empty)",
                        "boxes dropped (outside [0, 1] or empty)"},
    [YOLOTXT_P_DUP] = {"repeated row dropped", "repeated rows dropped"},
    [YOLOTXT_P_TWO] = {"image with two label files (the first rule's read)",
                       "images with two label files (the first rule's read)"},
    [YOLOTXT_P_FILE] = {"image skipped (label file unreadable)",
                        "images skipped (label file unreadable)"},
};

void yolotxt_init(yolotxt *t, const yrep *rep, const names *classes, int strict)
{
    memset(t, 0, sizeof *t);
    t->rep = rep;
    t->classes = classes;
    t->probs = (yrep_problems){.kinds = problem_kinds, .n = YOLOTXT_NPROBLEMS,
                               .strict = strict};
}

void yolotxt_free(yolotxt *t)
{
    for (int i = 0; i < YOLOTXT_NRULES; i++)
        ybuf_free(&t->paths[i]);
    ybuf_free(&t->file);
    objlist_free(&t->objs);
    free(t->rows);
    free(t->order);
    free(t->first_missing);
    memset(t, 0, sizeof *t);
}

/* ---- where the label file is ---------------------------------------------- */

/* Where the folder called name starts in path (at its start or after a
 * '/', and followed by a '/'): the first one, or with last the last; -1
 * when there is none. */
static long folder_at(const char *path, const char *name, int last)
{
    size_t n = strlen(name);
    long found = -1;
    for (const char *s = path; (s = strstr(s, name)); s++) {
        if ((s == path || s[-1] == '/') && s[n] == '/') {
            found = (long)(s - path);
            if (!last)
                break;
        }
    }
    return found;
}

/* b = path with the folder [at, at + len) named "labels" (at < 0: none)
 * and the file name's extension, if it has one, made ".txt". */
static int label_path(ybuf *b, const char *path, long at, size_t len)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t end = dot && dot != base ? (size_t)(dot - path) : strlen(path);
    b->len = 0;
    if (at >= 0) {
        ybuf_put(b, path, (size_t)at);
        ybuf_puts(b, "labels");
        ybuf_put(b, path + at + (long)len, end - (size_t)at - len);
    } else {
        ybuf_put(b, path, end);
    }
    ybuf_puts(b, ".txt");
    return ybuf_putc(b, 0);
}

int yolotxt_paths(yolotxt *t, const char *image)
{
    const long at[YOLOTXT_NRULES] = {folder_at(image, "images", 1), folder_at(image, "images", 0),
                                     folder_at(image, "JPEGImages", 0), -1};
    const size_t len[YOLOTXT_NRULES] = {6, 6, 10, 0};
    t->npaths = 0;
    for (int k = 0; k < YOLOTXT_NRULES; k++) {
        if (k < YOLOTXT_NRULES - 1 && at[k] < 0)
            continue;
        ybuf *b = &t->paths[t->npaths];
        if (label_path(b, image, at[k], len[k]) < 0)
            return -1;
        int again = 0;
        for (int j = 0; j < t->npaths; j++)
            again |= strcmp((const char *)t->paths[j].p, (const char *)b->p) == 0;
        t->npaths += !again;
    }
    return 0;
}

/* "IMAGE (looked for A, B)": kept for the closing line. */
static void remember_missing(yolotxt *t, const char *image)
{
    ybuf b = {0};
    ybuf_puts(&b, image);
    for (int i = 0; i < t->npaths; i++) {
        ybuf_puts(&b, i ? ", " : " (looked for ");
        ybuf_puts(&b, (const char *)t->paths[i].p);
    }
    if (ybuf_puts(&b, ")") == 0 && ybuf_putc(&b, 0) == 0)
        t->first_missing = (char *)b.p;
    else
        ybuf_free(&b);
}

/* The label file of image: the index of the first path that exists, or -1
 * for none; a second one is a problem. -2: stop. */
static int find_label(yolotxt *t, const char *image, yerr *err)
{
    struct stat st;
    int first = -1;
    for (int i = 0; i < t->npaths; i++) {
        if (stat((const char *)t->paths[i].p, &st) < 0)
            continue;
        if (first < 0) {
            first = i;
            continue;
        }
        if (yrep_problem(t->rep, &t->probs, YOLOTXT_P_TWO, "the first is read", err,
                         "%s: two label files, %s and %s", image,
                         (const char *)t->paths[first].p, (const char *)t->paths[i].p) < 0)
            return -2;
        break;
    }
    return first;
}

/* ---- reading it --------------------------------------------------------------- */

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

static int feed_file(void *ctx, const uint8_t *buf, size_t len, yerr *err)
{
    ybuf *b = ctx;
    if (b->len + len > (size_t)YOLOTXT_MAX_BYTES)
        return yerr_set(err, YOLO_EINPUT, ": larger than %ld bytes", YOLOTXT_MAX_BYTES);
    return ybuf_put(b, buf, len) < 0 ? yerr_set(err, YOLO_EIO, "out of memory") : 0;
}

static int fed(void *ctx, yerr *err)
{
    (void)ctx;
    (void)err;
    return 0;
}

/* The label file into t->file, NUL-terminated. 1 read, 0 the image is
 * skipped (warned), -1 stop. */
static int load(yolotxt *t, const char *label, yerr *err)
{
    char why[2100] = "";
    struct stat st;
    yerr e;
    ybuf_feeder f = {feed_file, fed, &t->file};
    int fd = open(label, O_RDONLY);
    t->file.len = 0;
    if (fd < 0)
        snprintf(why, sizeof why, "label file %.1000s: %s", label, strerror(errno));
    else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        snprintf(why, sizeof why, "label file %.1000s: not a regular file", label);
    else if (ybuf_feed_fd(fd, label, 1 << 16, &f, &e) < 0)
        snprintf(why, sizeof why, "%s%.1000s%s", e.code == YOLO_EINPUT ? "label file " : "",
                 e.code == YOLO_EINPUT ? label : "", e.msg);
    if (fd >= 0)
        close(fd);
    if (t->file.oom || strcmp(why, "out of memory") == 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (why[0])
        return yrep_problem(t->rep, &t->probs, YOLOTXT_P_FILE, "image skipped", err, "%s",
                            why) < 0 ? -1 : 0;
    return ybuf_putc(&t->file, 0) < 0 ? yerr_set(err, YOLO_EIO, "out of memory") : 1;
}

/* Ends the word at s (at its first blank) and returns it. */
static char *word_at(char *s)
{
    char *end = s;
    while (*end && !is_blank(*end))
        end++;
    *end = 0;
    return s;
}

/* One row's numbers: the class, the first four coordinates, each axis's
 * extent (for a polygon) and how far the furthest lies outside [0, 1]. */
typedef struct row_nums {
    double cls, v[4], lo[2], hi[2], out;
    long n;                 /* coordinates after the class */
} row_nums;

/* Reads the numbers of s. 0, or -1 with bad pointing at the word that is
 * not a finite number. */
static int numbers(char *s, row_nums *r, char **bad)
{
    *r = (row_nums){.lo = {INFINITY, INFINITY}, .hi = {-INFINITY, -INFINITY}};
    for (long k = 0; *s; k++) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || (*end && !is_blank(*end)) || !isfinite(v)) {
            *bad = s;
            return -1;
        }
        if (k == 0) {
            r->cls = v;
        } else {
            int axis = (int)((k - 1) % 2);
            if (k <= 4)
                r->v[k - 1] = v;
            r->lo[axis] = fmin(r->lo[axis], v);
            r->hi[axis] = fmax(r->hi[axis], v);
            r->out = fmax(r->out, fmax(-v, v - 1));
            r->n++;
        }
        s = end;
        while (is_blank(*s))
            s++;
    }
    return 0;
}

typedef struct row_at {
    const char *label;      /* the label file */
    long line;
} row_at;

/* The row's class: 1 it is in the list, 0 dropped, -1 stop. */
static int row_class(yolotxt *t, const row_at *at, const row_nums *r, char *word, yerr *err)
{
    if (r->cls != floor(r->cls))
        return yrep_problem(t->rep, &t->probs, YOLOTXT_P_ROW, "row dropped", err,
                            "%s:%ld: class '%.20s' is not a whole number", at->label, at->line,
                            word_at(word));
    if (r->cls < 0 || r->cls >= t->classes->n)
        return yrep_problem(t->rep, &t->probs, YOLOTXT_P_CLASS, "row dropped", err,
                            "%s:%ld: class %.0f is not in 0..%d (%d class names)", at->label,
                            at->line, r->cls, t->classes->n - 1, t->classes->n);
    return 1;
}

/* The row's box as fractions of the image, [x1, y1, x2, y2]: checked,
 * perhaps clipped. 1 kept, 0 dropped, -1 stop. */
static int row_box(yolotxt *t, const row_at *at, const row_nums *r, box *f, yerr *err)
{
    if (r->out > YOLOTXT_MARGIN)
        return yrep_problem(t->rep, &t->probs, YOLOTXT_P_DROP, "row dropped", err,
                            "%s:%ld: a number lies %.6g outside [0, 1] (fractions of the image's "
                            "width and height: are these pixels?)", at->label, at->line, r->out);
    if (r->n == 4)
        *f = (box){r->v[0] - r->v[2] / 2, r->v[1] - r->v[3] / 2, r->v[0] + r->v[2] / 2,
                   r->v[1] + r->v[3] / 2};
    else
        *f = (box){r->lo[0], r->lo[1], r->hi[0], r->hi[1]};
    if (f->x2 <= f->x1 || f->y2 <= f->y1)
        return yrep_problem(t->rep, &t->probs, YOLOTXT_P_DROP, "row dropped", err,
                            "%s:%ld: the box has no width or height", at->label, at->line);
    box c = box_clip(*f, 1, 1);
    double past = fmax(fmax(c.x1 - f->x1, c.y1 - f->y1), fmax(f->x2 - c.x2, f->y2 - c.y2));
    box was = *f;
    *f = c;
    if (c.x2 <= c.x1 || c.y2 <= c.y1)
        return yrep_problem(t->rep, &t->probs, YOLOTXT_P_DROP, "row dropped", err,
                            "%s:%ld: the box lies outside the image", at->label, at->line);
    if (past <= YOLOTXT_ROUNDING)
        return 1;
    return yrep_problem(t->rep, &t->probs, YOLOTXT_P_CLIP, "clipped to the image", err,
                        "%s:%ld: the box [%.6g, %.6g, %.6g, %.6g] (fractions) reaches past the "
                        "image's edge", at->label, at->line, was.x1, was.y1, was.x2,
                        was.y2) < 0 ? -1 : 1;
}

/* Keeps the object of a row read: class, its name, the box in pixels. */
static int keep(yolotxt *t, const row_at *at, const row_nums *r, box f, int w, int h, yerr *err)
{
    int cls = (int)r->cls;
    yobj o = {.cls = cls, .name = t->classes->v[cls], .name_len = strlen(t->classes->v[cls]),
              .bbox = {f.x1 * w, f.y1 * h, f.x2 * w, f.y2 * h}};
    if (yvec_fit((void **)&t->rows, &t->rows_cap, t->objs.n + 1, sizeof *t->rows) < 0 ||
        objlist_push(&t->objs, &o) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    yolotxt_row *row = &t->rows[t->objs.n - 1];
    *row = (yolotxt_row){.cls = cls, .line = at->line};
    memcpy(row->v, r->n == 4 ? r->v : (double[4]){r->lo[0], r->lo[1], r->hi[0], r->hi[1]},
           sizeof row->v);
    return 1;
}

/* One line of the label file: 1 an object kept, 0 none (blank, or
 * dropped), -1 stop. */
static int row(yolotxt *t, const row_at *at, char *s, int w, int h, yerr *err)
{
    while (is_blank(*s))
        s++;
    if (!*s)
        return 0;
    row_nums r;
    char *bad, *word = s;
    box f;
    int rc;
    if (numbers(s, &r, &bad) < 0)
        return yrep_problem(t->rep, &t->probs, YOLOTXT_P_ROW, "row dropped", err,
                            "%s:%ld: '%.20s' is not a number", at->label, at->line,
                            word_at(bad));
    if (r.n != 4 && (r.n < 6 || r.n % 2))
        return yrep_problem(t->rep, &t->probs, YOLOTXT_P_ROW, "row dropped", err,
                            "%s:%ld: %ld numbers, not class cx cy w h (5) nor a polygon (class "
                            "and 3 or more x y points)", at->label, at->line, r.n + 1);
    if ((rc = row_class(t, at, &r, word, err)) < 1 || (rc = row_box(t, at, &r, &f, err)) < 1)
        return rc;
    if (r.n > 4 && t->polygons++ == 0)
        yrep_warn(t->rep, "%s:%ld: a polygon of %ld points: read as its bounding box, as "
                  "ultralytics does (so are the others, counted at the end)", at->label,
                  at->line, r.n / 2);
    return keep(t, at, &r, f, w, h, err);
}

static int cmp_row(const void *a, const void *b)
{
    const yolotxt_row *x = *(yolotxt_row *const *)a, *y = *(yolotxt_row *const *)b;
    if (x->cls != y->cls)
        return x->cls < y->cls ? -1 : 1;
    for (int k = 0; k < 4; k++)
        if (x->v[k] != y->v[k])
            return x->v[k] < y->v[k] ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* Drops the objects whose row repeats an earlier one (warned, in file
 * order). 0, or -1 stop. */
static int drop_repeats(yolotxt *t, const char *label, yerr *err)
{
    size_t n = t->objs.n, w = 0;
    if (n < 2)
        return 0;
    if (yvec_fit((void **)&t->order, &t->order_cap, n, sizeof *t->order) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    for (size_t i = 0; i < n; i++)
        t->order[i] = &t->rows[i];
    qsort(t->order, n, sizeof *t->order, cmp_row);
    for (size_t i = 1; i < n; i++) {
        yolotxt_row *a = t->order[i - 1], *b = t->order[i];
        if (a->cls == b->cls && memcmp(a->v, b->v, sizeof a->v) == 0)
            b->dup_of = a->dup_of ? a->dup_of : a->line;
    }
    for (size_t i = 0; i < n; i++) {
        if (t->rows[i].dup_of &&
            yrep_problem(t->rep, &t->probs, YOLOTXT_P_DUP, "row dropped", err,
                         "%s:%ld: the same row as line %ld", label, t->rows[i].line,
                         t->rows[i].dup_of) < 0)
            return -1;
        if (!t->rows[i].dup_of) {
            t->objs.v[w] = t->objs.v[i];
            t->rows[w++] = t->rows[i];
        }
    }
    t->objs.n = w;
    return 0;
}

/* The rows of t->file (label's), each line to an object or a warning. */
static int rows(yolotxt *t, const char *label, int w, int h, yerr *err)
{
    char *s = (char *)t->file.p, *end = s + t->file.len - 1;   /* the NUL */
    row_at at = {label, 0};
    if (strncmp(s, "\xEF\xBB\xBF", 3) == 0)
        s += 3;
    while (s < end) {
        char *eol = memchr(s, '\n', (size_t)(end - s));
        eol = eol ? eol : end;
        *eol = 0;
        at.line++;
        if (at.line > YOLOTXT_MAX_ROWS)
            return yrep_problem(t->rep, &t->probs, YOLOTXT_P_FILE, "image skipped", err,
                                "label file %s: more than %d lines", label, YOLOTXT_MAX_ROWS) <
                           0 ? -1 : 0;
        if (row(t, &at, s, w, h, err) < 0)
            return -1;
        s = eol + 1;
    }
    return drop_repeats(t, label, err) < 0 ? -1 : 1;
}

/* Whether the file holds nothing but blanks and line ends. */
static int blank_file(const ybuf *b)
{
    for (size_t i = 0; i + 1 < b->len; i++)
        if (!isspace(b->p[i]))
            return 0;
    return 1;
}

int yolotxt_read(yolotxt *t, const char *image, int w, int h, yerr *err)
{
    t->objs.n = 0;
    t->images++;
    if (yolotxt_paths(t, image) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    int k = find_label(t, image, err), rc;
    if (k == -2)
        return -1;
    if (k < 0) {
        if (t->missing++ == 0)
            remember_missing(t, image);
        return 1;
    }
    const char *label = (const char *)t->paths[k].p;
    if ((rc = load(t, label, err)) < 1)
        return rc;
    if (blank_file(&t->file)) {
        t->empty++;
        return 1;
    }
    return rows(t, label, w, h, err);
}

void yolotxt_summary(yolotxt *t)
{
    yrep_summary(t->rep, &t->probs);
    if (t->missing)
        yrep_warn(t->rep, "%ld of %ld image%s had no label file, read as background (no "
                  "objects); the first: %s", t->missing, t->images, t->images == 1 ? "" : "s",
                  t->first_missing ? t->first_missing : "");
    if (t->empty)
        yrep_warn(t->rep, "%ld image%s had an empty label file (background)", t->empty,
                  t->empty == 1 ? "" : "s");
    if (t->polygons)
        yrep_warn(t->rep, "%ld polygon row%s read as %s bounding box%s", t->polygons,
                  t->polygons == 1 ? "" : "s", t->polygons == 1 ? "its" : "their",
                  t->polygons == 1 ? "" : "es");
}
