/* The training log: JSON Lines on disk, the same history in memory, an SVG
 * plot of it and a progress line (include/yolo/run/trainlog.h). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <yajl_tree.h>

#include "yolo/base/svg.h"
#include "yolo/base/buf.h"
#include "yolo/base/json.h"
#include "yolo/run/trainlog.h"

/* ---- the history ---------------------------------------------------------------- */

/* A part name the log, the plot's legend (XML) and the progress line can all
 * carry as it is: 1..31 bytes of UTF-8 without control characters. */
static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= TLOG_NAME_MAX || !json_utf8_valid((const uint8_t *)s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* map[j]: the column of names[j] in the history. The first iteration of a
 * history fixes the run's names; later ones must bring the same set. */
static int match_parts(tlog *t, const char *const *names, int n, int *map, yerr *err)
{
    if (n < 0 || n > TLOG_MAX_PARTS)
        return yerr_set(err, YOLO_EINPUT, "%d loss parts, at most %d", n, TLOG_MAX_PARTS);
    for (int j = 0; j < n; j++)
        if (!names[j] || !name_ok(names[j]))
            return yerr_set(err, YOLO_EINPUT, "loss part %d: a name of 1 to %d printable "
                            "UTF-8 bytes expected", j, TLOG_NAME_MAX - 1);
    if (t->n_it == 0) {
        t->nparts = n;
        for (int j = 0; j < n; j++)
            memcpy(t->names[j], names[j], strlen(names[j]) + 1);
    } else if (n != t->nparts) {
        return yerr_set(err, YOLO_EINPUT, "%d loss parts, the run's first line has %d", n,
                        t->nparts);
    }
    int used[TLOG_MAX_PARTS] = {0};
    for (int j = 0; j < n; j++) {
        int c = 0;
        while (c < t->nparts && strcmp(t->names[c], names[j]) != 0)
            c++;
        if (c == t->nparts)
            return yerr_set(err, YOLO_EINPUT, "loss part \"%s\" is not one of the run's "
                            "(its first line fixes them)", names[j]);
        if (used[c]++)
            return yerr_set(err, YOLO_EINPUT, "loss part \"%s\" given twice", names[j]);
        map[j] = c;
    }
    return 0;
}

static int add_iter(tlog *t, const tlog_iter *e, const char *const *names, const double *v,
                    int n, yerr *err)
{
    int map[TLOG_MAX_PARTS];
    if (e->iteration < 0)
        return yerr_set(err, YOLO_EINPUT, "iteration %ld is negative", e->iteration);
    if (match_parts(t, names, n, map, err) < 0)
        return -1;
    size_t np = (size_t)t->nparts;
    if (yvec_fit((void **)&t->it, &t->cap_it, t->n_it + 1, sizeof *t->it) < 0 ||
        (np && yvec_fit((void **)&t->parts, &t->cap_parts, (t->n_it + 1) * np,
                        sizeof *t->parts) < 0))
        return yerr_set(err, YOLO_EIO, "out of memory");
    t->it[t->n_it] = *e;
    for (int j = 0; j < n; j++)
        t->parts[t->n_it * np + (size_t)map[j]] = v[j];
    t->n_it++;
    return 0;
}

static int add_val(tlog *t, const tlog_val *v, yerr *err)
{
    if (v->iteration < 0)
        return yerr_set(err, YOLO_EINPUT, "iteration %ld is negative", v->iteration);
    if (yvec_fit((void **)&t->val, &t->cap_val, t->n_val + 1, sizeof *t->val) < 0)
        return yerr_set(err, YOLO_EIO, "out of memory");
    t->val[t->n_val++] = *v;
    return 0;
}

/* ---- lines out -------------------------------------------------------------------- */

/* null for NaN and infinities: JSON has no such numbers. */
static void put_real(ybuf *b, double v)
{
    if (isfinite(v))
        json_put_f64(b, v);
    else
        ybuf_puts(b, "null");
}

/* prefix (the JSON text before the value), then the value. */
static void put_field(ybuf *b, const char *prefix, double v)
{
    ybuf_puts(b, prefix);
    put_real(b, v);
}

/* History iteration i as one line, with its newline. */
static void line_iter(ybuf *b, const tlog *t, size_t i)
{
    const tlog_iter *e = &t->it[i];
    ybuf_puts(b, "{\"iteration\":");
    json_put_i64(b, e->iteration);
    ybuf_puts(b, ",\"seen\":");
    json_put_u64(b, e->seen);
    put_field(b, ",\"lr\":", e->lr);
    put_field(b, ",\"images_per_s\":", e->images_per_s);
    put_field(b, ",\"seconds\":", e->seconds);
    ybuf_puts(b, ",\"loss\":{");
    for (int j = 0; j < t->nparts; j++) {
        if (j)
            ybuf_putc(b, ',');
        json_put_str(b, t->names[j], strlen(t->names[j]));
        put_field(b, ":", t->parts[i * (size_t)t->nparts + (size_t)j]);
    }
    ybuf_puts(b, "}}\n");
}

static void line_val(ybuf *b, const tlog_val *v)
{
    ybuf_puts(b, "{\"iteration\":");
    json_put_i64(b, v->iteration);
    put_field(b, ",\"val_loss\":", v->val_loss);
    put_field(b, ",\"map\":", v->map);
    ybuf_puts(b, "}\n");
}

static int write_line(FILE *f, const char *path, ybuf *b, int flush, yerr *err)
{
    if (!f)
        return yerr_set(err, YOLO_EIO, "%s: not open (an earlier error)", path);
    if (b->oom)
        return yerr_set(err, YOLO_EIO, "out of memory");
    if (fwrite(b->p, 1, b->len, f) != b->len || (flush && fflush(f) != 0))
        return yerr_set(err, YOLO_EIO, "%s: write error: %s", path, strerror(errno));
    return 0;
}

/* The whole history to a fresh file, iteration and validation lines merged
 * by iteration (a validation line after the iterations up to its own), then
 * reopened for appending. */
static int rewrite(tlog *t, yerr *err)
{
    if (t->f)
        fclose(t->f);
    t->f = NULL;
    yfile w;
    if (yfile_open_durable(&w, t->path, err) < 0)
        return -1;
    ybuf b = {0};
    int rc = 0;
    for (size_t i = 0, j = 0; rc == 0 && (i < t->n_it || j < t->n_val);) {
        b.len = 0;
        if (j == t->n_val || (i < t->n_it && t->it[i].iteration <= t->val[j].iteration))
            line_iter(&b, t, i++);
        else
            line_val(&b, &t->val[j++]);
        rc = write_line(w.f, w.tmp, &b, 0, err);
    }
    ybuf_free(&b);
    if (yfile_commit(&w, rc == 0, rc == 0 ? err : NULL) < 0 || rc < 0)
        return -1;
    if (!(t->f = fopen(t->path, "a")))
        return yerr_set(err, YOLO_EIO, "%s: %s", t->path, strerror(errno));
    return 0;
}

/* ---- lines in --------------------------------------------------------------------- */

/* out[k]: the value of keys[k]; every key present once and no other. */
static int take_keys(yajl_val o, const char *const *keys, int nk, yajl_val *out, yerr *err)
{
    for (int k = 0; k < nk; k++)
        out[k] = NULL;
    for (size_t i = 0; i < o->u.object.len; i++) {
        const char *key = o->u.object.keys[i];
        int k = 0;
        while (k < nk && strcmp(key, keys[k]) != 0)
            k++;
        if (k == nk)
            return yerr_set(err, YOLO_EINPUT, "unknown key \"%.64s\"", key);
        if (out[k])
            return yerr_set(err, YOLO_EINPUT, "key \"%s\" twice", key);
        out[k] = o->u.object.values[i];
    }
    for (int k = 0; k < nk; k++)
        if (!out[k])
            return yerr_set(err, YOLO_EINPUT, "key \"%s\" missing", keys[k]);
    return 0;
}

/* A number, or null for NaN. Read from yajl's text, as strtod gives it. */
static int get_real(yajl_val v, const char *key, double *d, yerr *err)
{
    if (YAJL_IS_NULL(v)) {
        *d = NAN;
        return 0;
    }
    char *end;
    double x = YAJL_IS_NUMBER(v) ? strtod(YAJL_GET_NUMBER(v), &end) : NAN;
    if (!YAJL_IS_NUMBER(v) || *end || !isfinite(x))
        return yerr_set(err, YOLO_EINPUT, "%s: a finite number or null expected", key);
    *d = x;
    return 0;
}

static int get_count(yajl_val v, const char *key, uint64_t max, uint64_t *u, yerr *err)
{
    const char *s = YAJL_IS_NUMBER(v) ? YAJL_GET_NUMBER(v) : "";
    size_t n = strspn(s, "0123456789");
    errno = 0;
    unsigned long long x = n && !s[n] ? strtoull(s, NULL, 10) : 0;
    if (!n || s[n] || errno || x > max)
        return yerr_set(err, YOLO_EINPUT, "%s: an integer in [0, %llu] expected", key,
                        (unsigned long long)max);
    *u = x;
    return 0;
}

static int parse_iter(tlog *t, yajl_val o, yerr *err)
{
    static const char *const keys[] = {"iteration", "seen", "lr", "images_per_s", "seconds",
                                       "loss"};
    yajl_val k[6];
    tlog_iter e;
    uint64_t i;
    if (take_keys(o, keys, 6, k, err) < 0 || get_count(k[0], "iteration", LONG_MAX, &i, err) < 0 ||
        get_count(k[1], "seen", UINT64_MAX, &e.seen, err) < 0 ||
        get_real(k[2], "lr", &e.lr, err) < 0 ||
        get_real(k[3], "images_per_s", &e.images_per_s, err) < 0 ||
        get_real(k[4], "seconds", &e.seconds, err) < 0)
        return -1;
    e.iteration = (long)i;
    if (!YAJL_IS_OBJECT(k[5]))
        return yerr_set(err, YOLO_EINPUT, "loss: an object expected");
    size_t n = k[5]->u.object.len;
    if (n > TLOG_MAX_PARTS)
        return yerr_set(err, YOLO_EINPUT, "loss: %zu parts, at most %d", n, TLOG_MAX_PARTS);
    double v[TLOG_MAX_PARTS];
    char key[TLOG_NAME_MAX + 8];
    for (size_t j = 0; j < n; j++) {
        snprintf(key, sizeof key, "loss.%s", k[5]->u.object.keys[j]);
        if (get_real(k[5]->u.object.values[j], key, &v[j], err) < 0)
            return -1;
    }
    return add_iter(t, &e, (const char *const *)k[5]->u.object.keys, v, (int)n, err);
}

static int parse_val(tlog *t, yajl_val o, yerr *err)
{
    static const char *const keys[] = {"iteration", "val_loss", "map"};
    yajl_val k[3];
    uint64_t i;
    tlog_val v;
    if (take_keys(o, keys, 3, k, err) < 0 || get_count(k[0], "iteration", LONG_MAX, &i, err) < 0 ||
        get_real(k[1], "val_loss", &v.val_loss, err) < 0 || get_real(k[2], "map", &v.map, err) < 0)
        return -1;
    v.iteration = (long)i;
    return add_val(t, &v, err);
}

/* One line (NUL-terminated, no newline): an iteration line has "loss". */
static int parse_line(tlog *t, const char *line, yerr *err)
{
    char msg[256] = "";
    yajl_val o = yajl_tree_parse(line, msg, sizeof msg);
    if (!o) {
        msg[strcspn(msg, "\n")] = 0; /* yajl's first line says what is wrong */
        return yerr_set(err, YOLO_EINPUT, "not JSON: %s", msg);
    }
    int rc;
    if (!YAJL_IS_OBJECT(o))
        rc = yerr_set(err, YOLO_EINPUT, "not a JSON object");
    else if (yajl_tree_get(o, (const char *[]){"loss", NULL}, yajl_t_any))
        rc = parse_iter(t, o, err);
    else
        rc = parse_val(t, o, err);
    yajl_tree_free(o);
    return rc;
}

static int blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return !*s;
}

/* Reads the log into the history. *cut: the file does not end in a newline
 * (a kill mid-line): a last line that does not parse is dropped, and the
 * file must be rewritten before anything is appended. */
static int read_log(tlog *t, FILE *f, int *cut, yerr *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long no = 0;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        no++;
        int whole = line[len - 1] == '\n';
        line[len - whole] = 0;
        *cut = !whole;
        yerr e = {0};
        if ((size_t)(len - whole) != strlen(line))
            rc = yerr_set(&e, YOLO_EINPUT, "a NUL byte");
        else if (!blank(line))
            rc = parse_line(t, line, &e);
        if (rc < 0 && !whole && e.code == YOLO_EINPUT) /* the last line, cut short */
            rc = 0;
        if (rc < 0 && err) {
            *err = e;
            yerr_prefix(err, "%s:%ld", t->path, no);
        }
    }
    if (rc == 0 && ferror(f))
        rc = yerr_set(err, YOLO_EIO, "%s: read error: %s", t->path, strerror(errno));
    free(line);
    return rc;
}

int tlog_open(tlog *t, const char *path, int resume, yerr *err)
{
    memset(t, 0, sizeof *t);
    if (!path)
        return 0;
    if (!(t->path = strdup(path)))
        return yerr_set(err, YOLO_EIO, "out of memory");
    int cut = 0, rc = 0;
    FILE *f = resume ? fopen(path, "r") : NULL;
    if (resume && !f && errno != ENOENT)
        rc = yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    if (f) {
        rc = read_log(t, f, &cut, err);
        fclose(f);
    }
    if (rc == 0 && cut)
        rc = rewrite(t, err);
    else if (rc == 0 && !(t->f = fopen(path, resume ? "a" : "w")))
        rc = yerr_set(err, YOLO_EIO, "%s: %s", path, strerror(errno));
    if (rc < 0)
        tlog_free(t);
    return rc;
}

int tlog_truncate(tlog *t, long iteration, yerr *err)
{
    size_t np = (size_t)t->nparts, k = 0, kv = 0;
    for (size_t i = 0; i < t->n_it; i++)
        if (t->it[i].iteration <= iteration) {
            t->it[k] = t->it[i];
            if (np) /* parts is NULL without parts */
                memmove(t->parts + k * np, t->parts + i * np, np * sizeof *t->parts);
            k++;
        }
    for (size_t i = 0; i < t->n_val; i++)
        if (t->val[i].iteration <= iteration)
            t->val[kv++] = t->val[i];
    int dropped = k < t->n_it || kv < t->n_val;
    t->n_it = k;
    t->n_val = kv;
    return dropped && t->path ? rewrite(t, err) : 0;
}

int tlog_iteration(tlog *t, const tlog_entry *e, yerr *err)
{
    tlog_iter it = {e->iteration, e->seen, e->lr, e->images_per_s, e->seconds};
    if (add_iter(t, &it, e->names, e->parts, e->nparts, err) < 0)
        return -1;
    if (!t->path)
        return 0;
    ybuf b = {0};
    line_iter(&b, t, t->n_it - 1);
    int rc = write_line(t->f, t->path, &b, 1, err);
    ybuf_free(&b);
    return rc;
}

int tlog_validation(tlog *t, long iteration, double val_loss, double map, yerr *err)
{
    tlog_val v = {iteration, val_loss, map};
    if (add_val(t, &v, err) < 0)
        return -1;
    if (!t->path)
        return 0;
    ybuf b = {0};
    line_val(&b, &v);
    int rc = write_line(t->f, t->path, &b, 1, err);
    ybuf_free(&b);
    return rc;
}

void tlog_free(tlog *t)
{
    if (t->f)
        fclose(t->f);
    free(t->path);
    free(t->it);
    free(t->parts);
    free(t->val);
    memset(t, 0, sizeof *t);
}

/* ---- the plot ------------------------------------------------------------------- */

/* Geometry in SVG pixels. A series longer than 2 * PL_W points is drawn as
 * the minimum and maximum of each of PL_W buckets of consecutive points (in
 * their order): one bucket per pixel column, so spikes stay visible and the
 * file stays small however long the run. */
enum { PL_LEFT = 70, PL_TOP = 60, PL_W = 720, PL_H = 400, PL_RIGHT = 60, PL_LEGEND = 200 };
enum { PL_WIDTH = PL_LEFT + PL_W + PL_RIGHT + PL_LEGEND, PL_HEIGHT = PL_TOP + PL_H + 60 };
enum { ROLE_HIDE, ROLE_LEFT, ROLE_RIGHT };

typedef struct axis {
    double lo, hi, step; /* step: between linear ticks */
    int log;             /* log10 scale, ticks at powers of ten */
} axis;

typedef struct plot {
    FILE *f;
    double x0, x1;       /* iterations shown */
    axis left, right;
    int legend;          /* legend entries so far */
} plot;

/* One series' finite points: [n] each. */
typedef struct pts {
    double *x, *y;
    size_t n;
} pts;

static double px_x(const plot *p, double x)
{
    return PL_LEFT + PL_W * (x - p->x0) / (p->x1 - p->x0);
}

/* Values outside the axis (a log axis's zeros) are drawn at its edge. */
static double px_y(const axis *a, double v)
{
    double u = a->log ? (log10(fmax(v, a->lo)) - log10(a->lo)) / (log10(a->hi) - log10(a->lo))
                      : (v - a->lo) / (a->hi - a->lo);
    return PL_TOP + PL_H * (1 - fmin(1, fmax(0, u)));
}

/* 1, 2 or 5 times a power of ten, near raw. */
static double nice(double raw)
{
    double p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

/* The loss axis for finite values min..max (smallest positive minpos, n of
 * them): log when they span more than two decades (at most six below the
 * maximum), else linear from 0 (or below) with about five ticks. */
static axis make_axis(double min, double max, double minpos, size_t n)
{
    axis a = {0, 1, 0.2, 0};
    if (n == 0)
        return a;
    if (max > 0 && minpos < INFINITY && max / minpos > 100) {
        a.log = 1;
        a.lo = pow(10, floor(log10(fmax(minpos, max * 1e-6))));
        a.hi = pow(10, ceil(log10(max)));
        return a;
    }
    double lo = fmin(0, min), hi = max > lo ? max : lo + 1;
    a.step = nice((hi - lo) / 5);
    a.lo = floor(lo / a.step) * a.step;
    a.hi = ceil(hi / a.step) * a.step;
    return a;
}

static int listed(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

tlog_plot_cfg tlog_plot_defaults(void)
{
    static const char *const right[] = {"avg_iou", "recall50", NULL};
    static const char *const hide[] = {"count", NULL};
    return (tlog_plot_cfg){"Training loss", right, hide};
}

static void text(FILE *f, double x, double y, const char *attrs, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" %s>", x, y, attrs);
    svg_text(f, s);
    fputs("</text>\n", f);
}

static void pts_part(pts *s, const tlog *t, int j)
{
    s->n = 0;
    for (size_t i = 0; i < t->n_it; i++) {
        double v = t->parts[i * (size_t)t->nparts + (size_t)j];
        if (isfinite(v)) {
            s->x[s->n] = (double)t->it[i].iteration;
            s->y[s->n++] = v;
        }
    }
}

static void pts_val(pts *s, const tlog *t, int map)
{
    s->n = 0;
    for (size_t i = 0; i < t->n_val; i++) {
        double v = map ? t->val[i].map : t->val[i].val_loss;
        if (isfinite(v)) {
            s->x[s->n] = (double)t->val[i].iteration;
            s->y[s->n++] = v;
        }
    }
}

static void point(const plot *p, const axis *a, const pts *s, size_t i)
{
    fprintf(p->f, "%.1f,%.1f ", px_x(p, s->x[i]), px_y(a, s->y[i]));
}

static void polyline(const plot *p, const axis *a, const pts *s, const char *style)
{
    fprintf(p->f, "<polyline fill=\"none\" %s points=\"", style);
    if (s->n <= 2 * PL_W)
        for (size_t i = 0; i < s->n; i++)
            point(p, a, s, i);
    else
        for (size_t b = 0; b < PL_W; b++) {
            size_t i0 = b * s->n / PL_W, i1 = (b + 1) * s->n / PL_W, lo = i0, hi = i0;
            for (size_t i = i0 + 1; i < i1; i++) {
                lo = s->y[i] < s->y[lo] ? i : lo;
                hi = s->y[i] > s->y[hi] ? i : hi;
            }
            point(p, a, s, lo < hi ? lo : hi);
            if (lo != hi)
                point(p, a, s, lo < hi ? hi : lo);
        }
    fputs("\"/>\n", p->f);
    if (s->n == 1) /* a line of one point shows nothing */
        fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"none\" %s/>\n",
                px_x(p, s->x[0]), px_y(a, s->y[0]), style);
}

/* Markers, every step-th when there are more than 2 * PL_W. */
static void markers(const plot *p, const axis *a, const pts *s, const char *style)
{
    size_t step = s->n > 2 * PL_W ? (s->n + 2 * PL_W - 1) / (2 * PL_W) : 1;
    for (size_t i = 0; i < s->n; i += step)
        fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" %s/>\n", px_x(p, s->x[i]),
                px_y(a, s->y[i]), style);
}

/* A legend entry: a line and / or a marker in the series' style. */
static void legend(plot *p, const char *name, const char *line, const char *marker)
{
    double x = PL_LEFT + PL_W + PL_RIGHT + 10, y = PL_TOP + 8 + 18.0 * p->legend++;
    if (line)
        fprintf(p->f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", x, y,
                x + 24, y, line);
    if (marker)
        fprintf(p->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" %s/>\n", x + 12, y, marker);
    text(p->f, x + 30, y + 4, "font-size=\"12\"", name);
}

static void ticks_x(const plot *p)
{
    double step = fmax(1, nice((p->x1 - p->x0) / 8)), first = ceil(p->x0 / step);
    char t[32];
    for (int k = 0; k < 100 && (first + k) * step <= p->x1; k++) {
        double x = (first + k) * step, X = px_x(p, x);
        fprintf(p->f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>\n", X,
                PL_TOP, X, PL_TOP + PL_H);
        snprintf(t, sizeof t, "%.0f", x);
        text(p->f, X, PL_TOP + PL_H + 16, "font-size=\"11\" text-anchor=\"middle\"", t);
    }
}

/* Ticks of a (the left axis: grid lines too) at x, labels anchored as said. */
static void ticks_y(const plot *p, const axis *a, int right)
{
    double x = right ? PL_LEFT + PL_W + 6 : PL_LEFT - 6;
    const char *attrs = right ? "font-size=\"11\" text-anchor=\"start\""
                              : "font-size=\"11\" text-anchor=\"end\"";
    char t[32];
    int n = a->log ? (int)lround(log10(a->hi / a->lo)) : (int)lround((a->hi - a->lo) / a->step);
    for (int k = 0; k <= n && k <= 100; k++) {
        double v = a->log ? a->lo * pow(10, k) : a->lo + k * a->step, Y = px_y(a, v);
        if (!a->log && fabs(v) < a->step * 1e-9)
            v = 0; /* not -0 or 1e-17 */
        if (!right)
            fprintf(p->f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>\n",
                    PL_LEFT, Y, PL_LEFT + PL_W, Y);
        snprintf(t, sizeof t, "%.4g", v);
        text(p->f, x, Y + 4, attrs, t);
    }
}

static void frame(const plot *p, int right)
{
    FILE *f = p->f;
    ticks_x(p);
    ticks_y(p, &p->left, 0);
    if (right)
        ticks_y(p, &p->right, 1);
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
               "stroke=\"#333\"/>\n", PL_LEFT, PL_TOP, PL_W, PL_H);
    text(f, PL_LEFT + PL_W / 2.0, PL_TOP + PL_H + 40, "font-size=\"13\" text-anchor=\"middle\"",
         "iteration");
    char t[96];
    snprintf(t, sizeof t, "loss per image%s", p->left.log ? " (log scale)" : "");
    fprintf(f, "<text x=\"0\" y=\"0\" font-size=\"13\" text-anchor=\"middle\" "
               "transform=\"translate(18 %d) rotate(-90)\">", PL_TOP + PL_H / 2);
    svg_text(f, t);
    fputs("</text>\n", f);
    if (right)
        fprintf(f, "<text x=\"0\" y=\"0\" font-size=\"13\" text-anchor=\"middle\" "
                   "transform=\"translate(%d %d) rotate(90)\">mAP, fractions (0 to 1)</text>\n",
                PL_LEFT + PL_W + PL_RIGHT - 12, PL_TOP + PL_H / 2);
}

static void head(const plot *p, const tlog *t, const char *title)
{
    FILE *f = p->f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            PL_WIDTH, PL_HEIGHT, PL_WIDTH, PL_HEIGHT);
    text(f, PL_LEFT, 24, "font-size=\"16\"", title);
    char s[256];
    if (t->n_it) {
        const tlog_iter *e = &t->it[t->n_it - 1];
        int n = snprintf(s, sizeof s, "%zu iterations logged, last %ld, %llu images seen",
                         t->n_it, e->iteration, (unsigned long long)e->seen);
        if (t->n_it > 2 * PL_W && n > 0 && (size_t)n < sizeof s)
            snprintf(s + n, sizeof s - (size_t)n, "; lines show the min and max of %d buckets",
                     PL_W);
    } else {
        snprintf(s, sizeof s, "no iterations logged yet");
    }
    text(f, PL_LEFT, 44, "font-size=\"12\" fill=\"#555\"", s);
}

/* The part drawn bold: "total", else the first one on the loss axis. */
static int bold_part(const tlog *t, const int *role)
{
    int first = -1;
    for (int j = 0; j < t->nparts; j++) {
        if (role[j] == ROLE_LEFT && strcmp(t->names[j], "total") == 0)
            return j;
        if (role[j] == ROLE_LEFT && first < 0)
            first = j;
    }
    return first;
}

/* Part j's drawing pass (0 right axis, 1 thin, 2 bold, -1 hidden) and style. */
static int part_style(const int *role, int j, int bold, char *style, size_t n)
{
    snprintf(style, n, "stroke=\"%s\" stroke-width=\"%s\"%s",
             svg_colour(j), j == bold ? "2.5" : "1",
             role[j] == ROLE_RIGHT ? " stroke-dasharray=\"4 3\"" : "");
    return role[j] == ROLE_HIDE ? -1 : role[j] == ROLE_RIGHT ? 0 : j == bold ? 2 : 1;
}

/* The lines drawn right axis first, bold last (on top); the legend lists
 * them bold first, right axis last. */
static void series(plot *p, const tlog *t, const int *role, pts *s)
{
    static const int legend_pass[3] = {2, 1, 0};
    char style[160];
    int bold = bold_part(t, role);
    for (int pass = 0; pass < 3; pass++)
        for (int j = 0; j < t->nparts; j++)
            if (part_style(role, j, bold, style, sizeof style) == pass) {
                pts_part(s, t, j);
                polyline(p, pass == 0 ? &p->right : &p->left, s, style);
            }
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < t->nparts; j++)
            if (part_style(role, j, bold, style, sizeof style) == legend_pass[k])
                legend(p, t->names[j], style, NULL);
    const char *vstyle = "fill=\"white\" stroke=\"black\" stroke-width=\"1.5\"";
    pts_val(s, t, 0);
    if (s->n) {
        markers(p, &p->left, s, vstyle);
        legend(p, "val_loss", NULL, vstyle);
    }
    pts_val(s, t, 1);
    if (s->n) {
        polyline(p, &p->right, s, "stroke=\"black\" stroke-width=\"1.5\"");
        markers(p, &p->right, s, "fill=\"black\"");
        legend(p, "mAP", "stroke=\"black\" stroke-width=\"1.5\"", "fill=\"black\"");
    }
}

/* Axes from the data: x over every iteration, the loss axis over the loss
 * parts and validation losses. 1 if the right axis has something to show. */
static int scale(plot *p, const tlog *t, const int *role)
{
    double x0 = INFINITY, x1 = -INFINITY, min = INFINITY, max = -INFINITY, minpos = INFINITY;
    size_t n = 0;
    int right = 0;
    for (size_t i = 0; i < t->n_it; i++) {
        x0 = fmin(x0, (double)t->it[i].iteration);
        x1 = fmax(x1, (double)t->it[i].iteration);
        for (int j = 0; j < t->nparts; j++) {
            double v = t->parts[i * (size_t)t->nparts + (size_t)j];
            right |= role[j] == ROLE_RIGHT;
            if (role[j] != ROLE_LEFT || !isfinite(v))
                continue;
            min = fmin(min, v), max = fmax(max, v), n++;
            minpos = v > 0 ? fmin(minpos, v) : minpos;
        }
    }
    for (size_t i = 0; i < t->n_val; i++) {
        double v = t->val[i].val_loss;
        x0 = fmin(x0, (double)t->val[i].iteration);
        x1 = fmax(x1, (double)t->val[i].iteration);
        right |= isfinite(t->val[i].map);
        if (isfinite(v)) {
            min = fmin(min, v), max = fmax(max, v), n++;
            minpos = v > 0 ? fmin(minpos, v) : minpos;
        }
    }
    p->x0 = x0 < INFINITY ? x0 : 0;
    p->x1 = x1 > p->x0 ? x1 : p->x0 + 1;
    p->left = make_axis(min, max, minpos, n);
    p->right = (axis){0, 1, 0.2, 0};
    return right;
}

int tlog_plot(const tlog *t, const char *svg_path, const tlog_plot_cfg *cfg, yerr *err)
{
    tlog_plot_cfg def = tlog_plot_defaults();
    cfg = cfg ? cfg : &def;
    int role[TLOG_MAX_PARTS];
    for (int j = 0; j < t->nparts; j++)
        role[j] = listed(cfg->hide, t->names[j])    ? ROLE_HIDE
                  : listed(cfg->right, t->names[j]) ? ROLE_RIGHT
                                                    : ROLE_LEFT;
    size_t cap = t->n_it > t->n_val ? t->n_it : t->n_val;
    pts s = {malloc((cap ? cap : 1) * sizeof(double)), malloc((cap ? cap : 1) * sizeof(double)), 0};
    yfile w;
    int rc = !s.x || !s.y ? yerr_set(err, YOLO_EIO, "out of memory")
                          : yfile_open(&w, svg_path, err);
    if (rc == 0) {
        plot p = {.f = w.f};
        int right = scale(&p, t, role);
        head(&p, t, cfg->title ? cfg->title : "Training loss");
        frame(&p, right);
        series(&p, t, role, &s);
        fputs("</svg>\n", w.f);
        rc = yfile_commit(&w, !ferror(w.f), err);
    }
    free(s.x);
    free(s.y);
    return rc;
}

/* ---- the progress line ------------------------------------------------------------ */

void tlog_hms(double s, char *buf, size_t n)
{
    if (!(s >= 0)) {
        snprintf(buf, n, "-");
        return;
    }
    if (s >= 999.5 * 3600) {
        snprintf(buf, n, ">999h");
        return;
    }
    long r = lround(s), h = r / 3600, m = r / 60 % 60, sec = r % 60;
    if (h)
        snprintf(buf, n, "%ldh%02ldm%02lds", h, m, sec);
    else if (m)
        snprintf(buf, n, "%ldm%02lds", m, sec);
    else
        snprintf(buf, n, "%lds", sec);
}

/* Seconds left to max_iterations at the recent pace: over up to the last
 * ETA_WINDOW steps in which both the iteration and the time grew (a resumed
 * run's clock may restart). 0 if there is no such step yet. */
enum { ETA_WINDOW = 50 };
static int eta(const tlog *t, long max, double *left)
{
    const tlog_iter *it = t->it;
    size_t last = t->n_it - 1, r = last;
    while (r > 0 && last - r < ETA_WINDOW && it[r - 1].iteration < it[r].iteration &&
           it[r - 1].seconds < it[r].seconds)
        r--;
    if (r == last || it[last].iteration >= max)
        return 0;
    *left = (double)(max - it[last].iteration) * (it[last].seconds - it[r].seconds) /
            (double)(it[last].iteration - it[r].iteration);
    return 1;
}

/* snprintf at *k of buf[n], *k kept within n. */
static void addf(char *buf, size_t n, size_t *k, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void addf(char *buf, size_t n, size_t *k, const char *fmt, ...)
{
    if (*k + 1 >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *k, n - *k, fmt, ap);
    va_end(ap);
    *k = w < 0 ? *k : *k + (size_t)w < n ? *k + (size_t)w : n - 1;
}

void tlog_progress(const tlog *t, long max, char *buf, size_t n)
{
    size_t k = 0;
    if (n == 0)
        return;
    buf[0] = 0;
    if (t->n_it == 0) {
        addf(buf, n, &k, "no iterations yet");
        return;
    }
    const tlog_iter *e = &t->it[t->n_it - 1];
    addf(buf, n, &k, "iter %ld", e->iteration);
    if (max > 0)
        addf(buf, n, &k, "/%ld (%.0f%%)", max, floor(100.0 * (double)e->iteration / (double)max));
    int tot = 0;
    while (tot < t->nparts && strcmp(t->names[tot], "total") != 0)
        tot++;
    if (t->nparts)
        addf(buf, n, &k, "  loss %.4g", t->parts[(t->n_it - 1) * (size_t)t->nparts +
                                                (size_t)(tot < t->nparts ? tot : 0)]);
    addf(buf, n, &k, e->lr >= 1e-3 || e->lr == 0 ? "  lr %.5f" : "  lr %.2e", e->lr);
    if (isfinite(e->images_per_s))
        addf(buf, n, &k, "  %.1f img/s", e->images_per_s);
    double left;
    char hms[16];
    if (max > 0 && eta(t, max, &left)) {
        tlog_hms(left, hms, sizeof hms);
        addf(buf, n, &k, "  ETA %s", hms);
    }
}
