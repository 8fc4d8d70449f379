#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "yolo/base/svg.h"
#include "yolo/data/anchors.h"
#include "yolo/data/box.h"
#include "yolo/base/parse.h"
#include "yolo/base/rng.h"
#include "yolo/records/schema.h"

/* ---- collecting boxes ------------------------------------------------------ */

void anchors_data_free(anchors_data *d)
{
    free(d->v);
    memset(d, 0, sizeof *d);
}

static int push_box(anchors_data *d, anchor_wh b, yerr *err)
{
    if (d->n == d->cap) {
        if (d->cap >= ANCHORS_MAX_BOXES)
            return yerr_set(err, YOLO_EINPUT, "more than %d boxes: kmeans-anchors keeps every "
                                              "box in memory; cluster a sample",
                            ANCHORS_MAX_BOXES);
        size_t cap = d->cap ? d->cap * 2 : 1024;
        if (cap > ANCHORS_MAX_BOXES)
            cap = ANCHORS_MAX_BOXES;
        anchor_wh *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return yerr_set(err, YOLO_EIO, "out of memory (%zu boxes)", cap);
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = b;
    return 0;
}

int anchors_add_record(anchors_data *d, rec *r, objlist *scratch, yerr *err)
{
    if (rec_has(r, "error")) {
        d->error_records++;
        return 0;
    }
    int rc = rec_get_objects(r, scratch, err);
    if (rc <= 0 || scratch->n == 0)
        return rc < 0 ? -1 : 0;
    double wh[2];   /* box sizes are fractions of the image's */
    if (rec_get_image_size(r, "missing: the image size is needed to normalise box sizes", wh,
                           err) < 0)
        return -1;
    for (size_t i = 0; i < scratch->n; i++) {
        box b = scratch->v[i].bbox;
        double w = b.x2 - b.x1, h = b.y2 - b.y1;
        if (w < 0 || h < 0) {
            char path[48];
            snprintf(path, sizeof path, "objects[%zu].bbox", i);
            return rec_fail(r, err, path, "x2 < x1 or y2 < y1 in [%g,%g,%g,%g]", b.x1, b.y1,
                            b.x2, b.y2);
        }
        if (w == 0 || h == 0) {
            d->empty_boxes++;
            continue;
        }
        if (push_box(d, (anchor_wh){w / wh[0], h / wh[1]}, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- k-means ------------------------------------------------------------------ */

static double iou(anchor_wh a, anchor_wh b) { return box_iou_wh(a.w, a.h, b.w, b.h); }

/* Index of the anchor in a[0, k) with the highest IoU with b (the first on
 * a tie, so the answer depends on nothing but the numbers); *best gets
 * that IoU. */
static int nearest(anchor_wh b, const anchor_wh *a, int k, double *best)
{
    int j_best = 0;
    *best = -1;
    for (int j = 0; j < k; j++) {
        double v = iou(b, a[j]);
        if (v > *best) {
            *best = v;
            j_best = j;
        }
    }
    return j_best;
}

double anchors_avg_iou(const anchor_wh *b, size_t n, const anchor_wh *a, int k)
{
    if (n == 0 || k <= 0)
        return 0;
    double sum = 0, v;
    for (size_t i = 0; i < n; i++) {
        nearest(b[i], a, k, &v);
        sum += v;
    }
    return sum / (double)n;
}

/* How far box b is from anchor a: the larger of each side's ratio either
 * way, 1 for the same shape. */
static double side_ratio(anchor_wh b, anchor_wh a)
{
    return fmax(fmax(b.w / a.w, a.w / b.w), fmax(b.h / a.h, a.h / b.h));
}

void anchors_ratio_fit(const anchor_wh *b, size_t n, const anchor_wh *a, int k, double thr,
                       anchors_set *s)
{
    long recalled = 0, within = 0;
#pragma omp parallel for schedule(static) reduction(+ : recalled, within)
    for (size_t i = 0; i < n; i++) {
        int m = 0;
        for (int j = 0; j < k; j++)
            m += side_ratio(b[i], a[j]) < thr;
        recalled += m > 0;
        within += m;
    }
    s->ratio_thresh = thr;
    s->bpr = n ? (double)recalled / (double)n : 0;
    s->aat = n ? (double)within / (double)n : 0;
}

/* Per-run scratch arrays, allocated once for all restarts. */
typedef struct km_work {
    int *assign;   /* [n] cluster of each box, -1 before the first step */
    double *best;  /* [n] IoU of each box with its cluster's centroid */
    double *dist;  /* [n] k-means++: 1 - IoU with the nearest centre so far */
} km_work;

static void work_free(km_work *w)
{
    free(w->assign);
    free(w->best);
    free(w->dist);
}

static int work_alloc(km_work *w, size_t n, yerr *err)
{
    w->assign = malloc(n * sizeof *w->assign);
    w->best = malloc(n * sizeof *w->best);
    w->dist = malloc(n * sizeof *w->dist);
    if (w->assign && w->best && w->dist)
        return 0;
    work_free(w);
    return yerr_set(err, YOLO_EIO, "out of memory (k-means over %zu boxes)", n);
}

/* Assignment step, the only O(n k) part: each box of b[0, n) goes to its
 * nearest centroid of a[0, k). Boxes are independent and the count of
 * changes is an integer sum, so the result is the same for any number of
 * threads. Returns the number of boxes that changed cluster. */
static long assign_all(const anchor_wh *b, size_t n, const anchor_wh *a, int k, km_work *w)
{
    long changed = 0;
#pragma omp parallel for schedule(static) reduction(+ : changed)
    for (size_t i = 0; i < n; i++) {
        int j = nearest(b[i], a, k, &w->best[i]);
        if (j != w->assign[i]) {
            w->assign[i] = j;
            changed++;
        }
    }
    return changed;
}

/* A cluster left without boxes takes the worst-fitted box of b[0, n) as
 * its centroid *c (the same box is not given to two empty clusters), so
 * the k anchors stay distinct where the data allows. */
static void reseed_empty(const anchor_wh *b, size_t n, km_work *w, anchor_wh *c)
{
    size_t worst = 0;
    for (size_t i = 1; i < n; i++)
        if (w->best[i] < w->best[worst])
            worst = i;
    *c = b[worst];
    w->best[worst] = 2; /* taken: above any IoU */
}

/* Update step: each centroid of a[0, k) becomes the mean w and mean h of
 * its boxes (YOLO9000's rule). Summed serially in box order, so the sums
 * do not depend on the thread count. */
static void update(const anchor_wh *b, size_t n, km_work *w, anchor_wh *a, int k)
{
    double sw[ANCHORS_MAX_K] = {0}, sh[ANCHORS_MAX_K] = {0};
    size_t cnt[ANCHORS_MAX_K] = {0};
    for (size_t i = 0; i < n; i++) {
        int j = w->assign[i];
        sw[j] += b[i].w;
        sh[j] += b[i].h;
        cnt[j]++;
    }
    for (int j = 0; j < k; j++) {
        if (cnt[j])
            a[j] = (anchor_wh){sw[j] / (double)cnt[j], sh[j] / (double)cnt[j]};
        else
            reseed_empty(b, n, w, &a[j]);
    }
}

/* Index of a box drawn with probability proportional to dist[i]^2
 * (dist[0, n)); when every box sits on a centre already, a uniform one. */
static size_t draw_d2(const double *dist, size_t n, yrng *rng)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += dist[i] * dist[i];
    if (!(total > 0))
        return (size_t)rng_below(rng, n);
    double u = rng_uniform(rng) * total, acc = 0;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        if (dist[i] <= 0)
            continue;
        acc += dist[i] * dist[i];
        last = i;
        if (acc > u)
            return i;
    }
    return last; /* u fell past the rounded total */
}

/* k-means++: the first centre uniform among the boxes b[0, n), each next
 * one drawn with probability proportional to d^2, d = 1 - IoU with the
 * nearest centre so far (kept in w->dist). Writes a[0, k). */
static void init_pp(const anchor_wh *b, size_t n, int k, yrng *rng, km_work *w, anchor_wh *a)
{
    a[0] = b[rng_below(rng, n)];
    for (int j = 1; j < k; j++) {
        const anchor_wh c = a[j - 1];
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < n; i++) {
            double d = 1 - iou(b[i], c);
            if (j == 1 || d < w->dist[i])
                w->dist[i] = d;
        }
        a[j] = b[draw_d2(w->dist, n, rng)];
    }
}

/* One k-means run over b[0, n) from a k-means++ start; s gets the anchors
 * (unsorted) and their avg IoU. */
static void run_once(const anchor_wh *b, size_t n, const anchors_params *p, yrng *rng,
                     km_work *w, anchors_set *s)
{
    s->k = p->k;
    init_pp(b, n, p->k, rng, w, s->a);
    for (size_t i = 0; i < n; i++)
        w->assign[i] = -1;
    long changed = assign_all(b, n, s->a, p->k, w);
    s->iters = 1;
    for (long u = 0; u < p->max_iter && changed; u++) {
        update(b, n, w, s->a, p->k);
        changed = assign_all(b, n, s->a, p->k, w);
        s->iters++;
    }
    /* best[] now matches the final centroids: the same serial sum as
     * anchors_avg_iou, so the two agree to the last bit. */
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += w->best[i];
    s->avg_iou = sum / (double)n;
}

void anchors_sort(anchor_wh *a, int k)
{
    for (int i = 1; i < k; i++) {
        anchor_wh x = a[i];
        int j = i;
        while (j > 0 && (a[j - 1].w * a[j - 1].h > x.w * x.h ||
                         (a[j - 1].w * a[j - 1].h == x.w * x.h && a[j - 1].w > x.w))) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
}

int anchors_kmeans(const anchor_wh *b, size_t n, const anchors_params *p, anchors_set *out,
                   yerr *err)
{
    if (p->k < 1 || p->k > ANCHORS_MAX_K || p->restarts < 1 || p->max_iter < 0)
        return yerr_set(err, YOLO_EUSAGE, "k-means: k, restarts or max_iter out of range");
    if (n < (size_t)p->k)
        return yerr_set(err, YOLO_EINPUT, "%zu box%s for k = %d anchors: k-means needs at least %d",
                        n, n == 1 ? "" : "es", p->k, p->k);
    km_work w;
    if (work_alloc(&w, n, err) < 0)
        return -1;
    yrng rng;
    rng_seed(&rng, p->seed);
    anchors_set cur;
    out->avg_iou = -1;
    for (long r = 0; r < p->restarts; r++) {
        run_once(b, n, p, &rng, &w, &cur);
        if (cur.avg_iou > out->avg_iou)
            *out = cur;
    }
    work_free(&w);
    anchors_sort(out->a, out->k);
    return 0;
}

/* ---- units and cfg text ------------------------------------------------------ */

static double unit_x(const anchors_units *u) { return (double)(u->pixels ? u->net_w : u->grid); }
static double unit_y(const anchors_units *u) { return (double)(u->pixels ? u->net_h : u->grid); }

int anchors_parse_net(const char *s, long *w, long *h)
{
    static const parse_pair_spec net = {.form = "W,H", .what = "sides", .sep = ',', .whole = 1,
                                        .lo = 1, .hi = 16384};
    double v[2];
    if (parse_pair(s, &net, v, NULL) < 0)   /* kmeans-anchors says why */
        return -1;
    *w = (long)v[0];
    *h = (long)v[1];
    return 0;
}

/* The next comma-separated number of a cfg value; *s moves past it. */
static int next_number(const char **s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(*s, &end);
    if (errno || end == *s || !isfinite(*v))
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end == ',')
        end++;
    else if (*end)
        return -1;
    *s = end;
    return 0;
}

int anchors_parse_list(const char *s, const anchors_units *u, anchors_set *out, char *why,
                       size_t whylen)
{
    double v[2 * ANCHORS_MAX_K];
    int n = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    while (*s) {
        if (n == 2 * ANCHORS_MAX_K) {
            snprintf(why, whylen, "more than %d anchors", ANCHORS_MAX_K);
            return -1;
        }
        if (next_number(&s, &v[n]) < 0 || !(v[n] > 0)) {
            snprintf(why, whylen, "number %d is not a positive number (want w0,h0, w1,h1, ...)",
                     n + 1);
            return -1;
        }
        n++;
    }
    if (n == 0 || n % 2) {
        snprintf(why, whylen, "%d numbers: want pairs w0,h0, w1,h1, ...", n);
        return -1;
    }
    out->k = n / 2;
    for (int j = 0; j < out->k; j++) {
        out->cfg[2 * j] = v[2 * j];
        out->cfg[2 * j + 1] = v[2 * j + 1];
        out->a[j] = (anchor_wh){v[2 * j] / unit_x(u), v[2 * j + 1] / unit_y(u)};
    }
    return 0;
}

void anchors_set_units(anchors_set *s, const anchors_units *u)
{
    for (int j = 0; j < s->k; j++) {
        s->cfg[2 * j] = s->a[j].w * unit_x(u);
        s->cfg[2 * j + 1] = s->a[j].h * unit_y(u);
    }
}

/* An anchor side as printed: a cfg with a 0 anchor would be useless, so
 * the printed value is at least the smallest one shown. */
static double cfg_value(double v, int pixels)
{
    double lo = pixels ? 1 : 0.01;
    if (pixels)
        v = round(v);
    return v < lo ? lo : v;
}

void anchors_print_cfg(FILE *f, const anchors_set *s, const anchors_units *u)
{
    int dec = u->pixels ? 0 : 2;
    fputs("anchors = ", f);
    for (int j = 0; j < s->k; j++)
        fprintf(f, "%s%.*f,%.*f", j ? ",  " : "", dec, cfg_value(s->cfg[2 * j], u->pixels), dec,
                cfg_value(s->cfg[2 * j + 1], u->pixels));
    fputc('\n', f);
}

int anchors_to_record(rec *r, const anchors_set *s, const anchors_units *u, size_t boxes,
                      const uint64_t *seed, yerr *err)
{
    msgpack_packer *pk = rec_set_begin(r, "anchors");
    msgpack_pack_array(pk, (size_t)(2 * s->k));
    for (int j = 0; j < 2 * s->k; j++)
        msgpack_pack_double(pk, s->cfg[j]);
    if (rec_set_end(r, err) < 0 || rec_set_i64(r, "k", s->k, err) < 0 ||
        rec_set_cstr(r, "units", u->pixels ? "pixels" : "grid", err) < 0)
        return -1;
    int rc = u->pixels ? (rec_set_i64(r, "net_w", u->net_w, err) |
                          rec_set_i64(r, "net_h", u->net_h, err))
                       : rec_set_i64(r, "grid", u->grid, err);
    if (rc < 0 || rec_set_f64(r, "avg_iou", s->avg_iou, err) < 0 ||
        rec_set_f64(r, "bpr", s->bpr, err) < 0 || rec_set_f64(r, "aat", s->aat, err) < 0 ||
        rec_set_f64(r, "ratio_thresh", s->ratio_thresh, err) < 0 ||
        rec_set_i64(r, "boxes", (int64_t)boxes, err) < 0)
        return -1;
    return seed ? rec_set_i64(r, "seed", (int64_t)*seed, err) : 0;
}

/* ---- the picture ------------------------------------------------------------- */

enum { SVG_PLOT = 480, SVG_LEFT = 20, SVG_TOP = 60, SVG_LEGEND = 220, SVG_SAMPLE = 500 };

/* A box of size a (fractions) centred on the plot, px pixels per unit. */
static void svg_rect(FILE *f, anchor_wh a, double px, const char *style)
{
    double cx = SVG_LEFT + SVG_PLOT / 2.0, cy = SVG_TOP + SVG_PLOT / 2.0;
    fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" %s/>\n",
            cx - a.w * px / 2, cy - a.h * px / 2, a.w * px, a.h * px, style);
}

/* The largest side shown (at least the image's): the plot's scale. */
static double svg_extent(const anchors_set *s, const anchor_wh *b, size_t n, size_t step)
{
    double m = 1;
    for (int j = 0; j < s->k; j++)
        m = fmax(m, fmax(s->a[j].w, s->a[j].h));
    for (size_t i = 0; i < n; i += step)
        m = fmax(m, fmax(b[i].w, b[i].h));
    return m;
}

static void svg_title(FILE *f, const anchors_set *s, const anchors_units *u, size_t n)
{
    char t[256];
    snprintf(t, sizeof t, "k = %d anchors, avg IoU %.4f over %zu boxes", s->k, s->avg_iou, n);
    fprintf(f, "<text x=\"%d\" y=\"24\" font-size=\"16\">", SVG_LEFT);
    svg_text(f, t);
    if (u->pixels)
        snprintf(t, sizeof t, "network input %ld x %ld pixels (dashed)", u->net_w, u->net_h);
    else
        snprintf(t, sizeof t, "grid %ld x %ld cells (dashed: the image)", u->grid, u->grid);
    fprintf(f, "</text>\n<text x=\"%d\" y=\"44\" font-size=\"12\" fill=\"#555\">", SVG_LEFT);
    svg_text(f, t);
    fputs("</text>\n", f);
}

/* The image frame, dashed, and for grid units its cells, faint. */
static void svg_frame(FILE *f, const anchors_units *u, double px)
{
    double x0 = SVG_LEFT + (SVG_PLOT - px) / 2, y0 = SVG_TOP + (SVG_PLOT - px) / 2;
    for (long i = 1; !u->pixels && i < u->grid; i++) {
        double t = px * (double)i / (double)u->grid;
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#eee\"/>\n",
                x0 + t, y0, x0 + t, y0 + px);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#eee\"/>\n",
                x0, y0 + t, x0 + px, y0 + t);
    }
    svg_rect(f, (anchor_wh){1, 1}, px, "fill=\"none\" stroke=\"#999\" stroke-dasharray=\"4 3\"");
}

static void svg_anchors(FILE *f, const anchors_set *s, const anchors_units *u, double px)
{
    char style[160], t[96];
    int dec = u->pixels ? 0 : 2;
    for (int j = 0; j < s->k; j++) {
        const char *col = svg_colour(j);
        snprintf(style, sizeof style,
                 "fill=\"%s\" fill-opacity=\"0.06\" stroke=\"%s\" stroke-width=\"2\"", col, col);
        svg_rect(f, s->a[j], px, style);
        double ly = SVG_TOP + 16.0 * (j + 1);
        fprintf(f, "<rect x=\"%d\" y=\"%.0f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
                SVG_LEFT + SVG_PLOT + 20, ly - 11, col);
        snprintf(t, sizeof t, "%d: %.*f x %.*f %s", j, dec, s->cfg[2 * j], dec,
                 s->cfg[2 * j + 1], u->pixels ? "px" : "cells");
        fprintf(f, "<text x=\"%d\" y=\"%.0f\" font-size=\"12\">", SVG_LEFT + SVG_PLOT + 38, ly);
        svg_text(f, t);
        fputs("</text>\n", f);
    }
}

int anchors_write_svg(const char *path, const anchors_set *s, const anchors_units *u,
                      const anchor_wh *b, size_t n, yerr *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return yerr_set(err, YOLO_EIO, "--plot %s: %s", path, strerror(errno));
    size_t step = n > SVG_SAMPLE ? (n + SVG_SAMPLE - 1) / SVG_SAMPLE : 1;
    double px = SVG_PLOT / svg_extent(s, b, n, step);
    int side = SVG_TOP + SVG_PLOT + 20, width = SVG_LEFT + SVG_PLOT + SVG_LEGEND;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
               "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
            width, side, width, side);
    svg_title(f, s, u, n);
    svg_frame(f, u, px);
    /* a sample, every step-th box, so big datasets stay a small file */
    for (size_t i = 0; i < n; i += step)
        svg_rect(f, b[i], px, "fill=\"none\" stroke=\"#888\" stroke-opacity=\"0.2\"");
    svg_anchors(f, s, u, px);
    fputs("</svg>\n", f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return yerr_set(err, YOLO_EIO, "--plot %s: write error: %s", path,
                        strerror(errno ? errno : EIO));
    return 0;
}

/* ---- the stage's work after the stream ---------------------------------------- */

int anchors_run(const anchors_job *j, const anchors_data *d, rec_writer *w, FILE *summary,
                yerr *err)
{
    anchors_set s;
    uint64_t seed = j->p.seed;
    if (j->eval) {
        if (d->n == 0)
            return yerr_set(err, YOLO_EINPUT, "no boxes to evaluate the anchors on");
        s = j->given;
        s.avg_iou = anchors_avg_iou(d->v, d->n, s.a, s.k);
        s.iters = 0;
    } else {
        if (anchors_kmeans(d->v, d->n, &j->p, &s, err) < 0)
            return -1;
        anchors_set_units(&s, &j->u);
    }
    anchors_ratio_fit(d->v, d->n, s.a, s.k, j->ratio_thresh, &s);
    if (j->plot && anchors_write_svg(j->plot, &s, &j->u, d->v, d->n, err) < 0)
        return -1;
    rec r;
    rec_init(&r);
    int rc = anchors_to_record(&r, &s, &j->u, d->n, j->eval ? NULL : &seed, err);
    if (rc == 0)
        rc = rec_write(w, &r, err);
    rec_free(&r);
    if (rc == 0 && summary) {
        anchors_print_cfg(summary, &s, &j->u);
        fprintf(summary, "avg IoU %.4f over %zu boxes\n", s.avg_iou, d->n);
        fprintf(summary, "best possible recall %.4f, %.2f anchors a box (side ratios below %g)\n",
                s.bpr, s.aat, s.ratio_thresh);
    }
    return rc;
}
